"""The rules in force for an unattended run: re-read every run, last good version kept.

Each rule or catalogue file is read afresh. A file that loads without errors is in force
and saved to the store as that file's last good version. A file with errors is reported
(file, line, field) and its last good version stays in force, so a half-finished edit
never switches a rule off. A file that has never loaded cleanly contributes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import structlog

from alerting.config.ruleset import FileOutcome, RuleSet, assemble, rules_from_document, yaml_files
from alerting.model.problems import Problem, ProblemsFound, display_path, parse_yaml
from alerting.store import Store

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class BrokenFile:
    """A rule file with errors, and whether its last good version is standing in for it."""

    file: str
    problems: tuple[Problem, ...]
    last_good_saved: bool

    @property
    def summary(self) -> str:
        kept = ("its last good version is still in force" if self.last_good_saved
                else "it has never loaded without errors, so none of its rules are in force")
        return f"{self.file} has {len(self.problems)} error(s); {kept}"


@dataclass(frozen=True)
class RulesInForce:
    ruleset: RuleSet
    broken: tuple[BrokenFile, ...] = ()


def _read(path: Path) -> tuple[str | None, FileOutcome]:
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, FileOutcome(name, problems=(Problem(name, None,
                                                         f"cannot be read: {exc.strerror}"),))
    except UnicodeDecodeError:
        return None, FileOutcome(name, problems=(Problem(name, None, "is not UTF-8 text"),))
    return _read_text(text, name)


def _read_text(text: str, name: str) -> tuple[str, FileOutcome]:
    try:
        return text, rules_from_document(parse_yaml(text, name))
    except ProblemsFound as exc:
        return text, FileOutcome(name, problems=exc.problems)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rules_in_force(store: Store, paths: Iterable[Path], now: datetime) -> RulesInForce:
    """Read every rule file; keep the last good version of any file with errors."""
    good = store.good_rule_files()
    outcomes: list[FileOutcome] = []
    broken: list[BrokenFile] = []
    newly_good: dict[str, tuple[str, str]] = {}
    reported: list[Problem] = []
    for path in yaml_files(paths):
        text, outcome = _read(path)
        name = outcome.file
        if outcome.ok and text is not None:
            outcomes.append(outcome)
            reported.extend(outcome.problems)  # warnings
            sha = _sha(text)
            if good.get(name, ("",))[0] != sha:
                newly_good[name] = (sha, text)
            continue
        reported.extend(outcome.problems)
        kept = good.get(name)
        if kept is not None:
            _, last_outcome = _read_text(kept[1], name)
            if last_outcome.ok:
                outcomes.append(last_outcome)
        broken.append(BrokenFile(name, outcome.problems, kept is not None))
        log.error("rule_file_broken", file=name, errors=len(outcome.problems),
                  last_good_in_force=kept is not None,
                  first_error=str(outcome.problems[0]) if outcome.problems else "")
    store.save_good_rule_files(newly_good, now)
    assembled = assemble(outcomes)
    ruleset = replace(assembled, problems=(*reported, *assembled.problems))
    return RulesInForce(ruleset, tuple(broken))


__all__ = ["BrokenFile", "RulesInForce", "display_path", "rules_in_force"]
