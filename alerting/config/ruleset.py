"""Load rule files and the measure catalogue from `rules/` into frozen, validated models.

Each file stands alone: a file with any error contributes nothing and is reported with file,
line and field, while the other files load. Files with a top-level `measures:` list are
catalogues; files with `rules:` hold rules; files with `tests:` are rule unit tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alerting.model.catalogue import Catalogue, catalogue_from_document, merge_catalogues
from alerting.model.problems import (
    PathKey,
    Problem,
    ProblemsFound,
    YamlDocument,
    display_path,
    problems_from_validation,
    read_yaml,
)
from alerting.rules import RULE_TYPES, Rule
from notifiers import alert_template_keys


@dataclass(frozen=True)
class FileOutcome:
    """What one file contributed, or why it contributed nothing."""

    file: str
    rules: tuple[Rule, ...] = ()
    catalogue: Catalogue | None = None
    problems: tuple[Problem, ...] = ()
    # The line of every key and list item, so later checks (lint) can name lines too.
    lines: Mapping[PathKey, int] = field(default_factory=dict, repr=False, compare=False)

    def line_of(self, path: PathKey) -> int | None:
        """The line of the deepest part of `path` the file has (the field, else its parent)."""
        return YamlDocument(self.file, None, self.lines).line_of(path)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


@dataclass(frozen=True)
class RuleSet:
    """The rules and catalogue in force, with every problem found while loading them."""

    rules: tuple[Rule, ...] = ()
    catalogue: Catalogue = field(default_factory=Catalogue)
    problems: tuple[Problem, ...] = ()
    files: tuple[FileOutcome, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    def enabled(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.enabled)

    def rule_titles(self) -> dict[str, str]:
        """Each rule's title as notices show it (its id where it has none)."""
        return {r.id: r.display_title for r in self.rules}

    def rule_templates(self) -> dict[str, dict[str, str]]:
        """Per rule, the template files it names for its part of a notice."""
        return {r.id: {str(k): v for k, v in r.templates.items()}
                for r in self.rules if r.templates}



def yaml_files(paths: Iterable[Path]) -> list[Path]:
    """Expand directories into their YAML files (sorted, recursive); keep named files."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"}
                                and p.is_file()))
        else:
            found.append(path)
    return found


def parse_rule(entry: Any, document: YamlDocument, index: int) -> tuple[Rule | None, list[Problem]]:
    """Validate one entry of a `rules:` list against the model of its type."""
    base = ("rules", index)
    if not isinstance(entry, Mapping):
        return None, [Problem(document.file, document.line_of(base),
                              f"rule #{index + 1}: must be a mapping of fields")]
    subject = f"rule '{entry['id']}'" if entry.get("id") else f"rule #{index + 1}"
    kind = entry.get("type")
    model = RULE_TYPES.get(str(kind)) if kind is not None else None
    if model is None:
        known = ", ".join(sorted(RULE_TYPES))
        message = ("type is required" if kind is None
                   else f"type must be one of {known}, got {kind!r}")
        return None, [Problem(document.file, document.line_of((*base, "type")),
                              f"{subject}: {message}")]
    try:
        return model.model_validate(dict(entry),
                                    context={"template_keys": alert_template_keys()}), []
    except ValidationError as exc:
        return None, problems_from_validation(exc, document, base, subject, model)


def _test_file(document: YamlDocument, data: Mapping[str, Any]) -> FileOutcome:
    """Rule unit tests are read by `alerting test`, never as rules. Inline `rules:` or
    `measures:` beside `tests:` are allowed only in a `tests` folder: anywhere else the
    author may have meant them as real rules, which would silently stop alerting."""
    inline = [key for key in ("rules", "measures") if key in data]
    if not inline or "tests" in Path(document.file).parts[:-1]:
        return FileOutcome(document.file)
    key = inline[0]
    return FileOutcome(document.file, problems=(Problem(
        document.file, document.line_of((key,)),
        f"{key}: this file also has tests:, so the service would not load its {key} as "
        "real ones; keep rule tests in a tests/ folder (e.g. rules/tests/) and the rules "
        "here"),))


def rules_from_document(document: YamlDocument) -> FileOutcome:
    data = document.data
    if isinstance(data, Mapping) and "tests" in data:
        return _test_file(document, data)
    if isinstance(data, Mapping) and "measures" in data and "rules" not in data:
        catalogue, found = catalogue_from_document(document)
        return FileOutcome(document.file, catalogue=catalogue, problems=tuple(found),
                           lines=document.lines)
    if data is None:
        return FileOutcome(document.file)
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), list):
        return FileOutcome(document.file, problems=(Problem(
            document.file, document.line_of(("rules",)) or 1,
            "a rule file must have a top-level 'rules:' list (or 'measures:' for a catalogue)"),))
    unknown = sorted(set(map(str, data)) - {"rules", "measures"})
    problems: list[Problem] = [
        Problem(document.file, document.line_of((key,)), f"unknown top-level key '{key}'")
        for key in unknown
    ]
    rules: list[Rule] = []
    for index, entry in enumerate(data["rules"]):
        rule, found = parse_rule(entry, document, index)
        problems.extend(found)
        if rule is not None:
            rules.append(rule)
    if problems:
        return FileOutcome(document.file, problems=tuple(problems))
    return FileOutcome(document.file, rules=tuple(rules), lines=document.lines)


def load_file(path: Path) -> FileOutcome:
    try:
        document = read_yaml(path)
    except ProblemsFound as exc:
        return FileOutcome(display_path(path), problems=exc.problems)
    return rules_from_document(document)


def assemble(outcomes: Sequence[FileOutcome]) -> RuleSet:
    """Combine file outcomes; a rule id defined twice is an error on the later file, naming
    the file and line of the first."""
    problems: list[Problem] = []
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    catalogues = []
    for outcome in outcomes:
        problems.extend(outcome.problems)
        if outcome.catalogue is not None and outcome.ok:
            catalogues.append(outcome.catalogue)
        for index, rule in enumerate(outcome.rules):
            line = outcome.line_of(("rules", index, "id"))
            if rule.id in seen:
                problems.append(Problem(outcome.file, line,
                                        f"rule '{rule.id}': id is already used in {seen[rule.id]}"))
                continue
            seen[rule.id] = f"{outcome.file}:{line}" if line else outcome.file
            rules.append(rule)
    return RuleSet(tuple(rules), merge_catalogues(catalogues), tuple(problems), tuple(outcomes))


def load_rules(paths: Iterable[Path]) -> RuleSet:
    """Load every rule and catalogue file under `paths`."""
    files = yaml_files(paths)
    outcomes = []
    for path in files:
        if not path.exists():
            outcomes.append(FileOutcome(display_path(path), problems=(
                Problem(display_path(path), None, "does not exist"),)))
            continue
        outcomes.append(load_file(path))
    return assemble(outcomes)
