"""docs/rules.md: every example runs and passes, and every rule type, option and test-file key
in the code is in the guide, so the guide cannot drift from the code."""

import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from alerting.authoring.testing.model import (
    CaseInput,
    EventInput,
    ExpectedFinding,
    RiskInput,
    RuleTest,
    RuleTestFile,
    SeriesInput,
)
from alerting.authoring.testing.runner import FileResult, run_document
from alerting.cli.rule_tests import report
from alerting.model.catalogue import Frequency, Measure, Polarity, Tolerance, Unit
from alerting.model.derivation import AreaLevel, Count, Derivation
from alerting.model.findings import Severity, Status
from alerting.model.problems import parse_yaml
from alerting.rules import RULE_TYPES, RagScheme, Rule, Selection
from tests.conftest import ROOT

GUIDE = ROOT / "docs" / "rules.md"
TEXT = GUIDE.read_text(encoding="utf-8")
# Examples run as if saved in rules/tests/, so `rule_files: [../performance.yaml]` works.
BASE = ROOT / "rules" / "tests"
BLOCK = re.compile(r"<!-- (?P<kind>example|failing-example|output): (?P<name>[\w-]+) -->\n"
                   r"```(?:yaml)?\n(?P<body>.*?)```", re.DOTALL)


def blocks(kind: str) -> dict[str, str]:
    found = {m["name"]: m["body"] for m in BLOCK.finditer(TEXT) if m["kind"] == kind}
    assert found, f"no {kind} blocks in the guide"
    return found


EXAMPLES = blocks("example")


def run_example(name: str, body: str) -> FileResult:
    """Run a guide example; a first line `# rules/tests/x.yaml` names the file it shows."""
    first = body.splitlines()[0]
    file = first.removeprefix("# ").strip() if first.startswith("# ") else f"docs/rules.md:{name}"
    return run_document(parse_yaml(body, file), BASE)


def example_rules() -> list[dict[str, Any]]:
    return [rule for body in EXAMPLES.values()
            for rule in (parse_yaml(body, "x").data.get("rules") or [])]


def mentioned(name: str) -> bool:
    return f"`{name}`" in TEXT


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_example_in_the_guide_passes(name):
    """Each marked YAML block is a complete test file whose tests all pass."""
    result = run_example(name, EXAMPLES[name])
    assert result.problems == ()
    assert result.outcomes, "an example must have tests"
    failed = [o.name for o in result.outcomes if not o.passed]
    assert failed == []


def test_every_yaml_block_in_the_guide_is_an_example_that_runs():
    """No YAML in the guide escapes testing: each ```yaml block is marked as an example."""
    yaml_blocks = TEXT.count("```yaml")
    marked = sum(1 for m in BLOCK.finditer(TEXT) if m["kind"] != "output")
    assert yaml_blocks == marked


FENCE = re.compile(r"^```(?P<tag>[\w-]*)\n(?P<body>.*?)^```$", re.DOTALL | re.MULTILINE)


def test_every_block_that_looks_like_a_test_file_is_a_checked_example():
    """A ```yaml or untagged block with a top-level `tests:` is a marked example (so it
    runs), whatever its tag: an untagged test file cannot escape testing."""
    marked = {m["body"] for m in BLOCK.finditer(TEXT)}
    test_like = [m["body"] for m in FENCE.finditer(TEXT)
                 if m["tag"] in {"", "yaml"} and re.search(r"^tests:", m["body"], re.MULTILINE)]
    assert len(test_like) >= len(EXAMPLES)
    escaped = [body.splitlines()[0] for body in test_like if body not in marked]
    assert escaped == []


def test_the_failing_example_prints_what_the_guide_shows(capsys):
    """'Reading the results' shows exactly what `alerting test` prints for its example."""
    for name, body in blocks("failing-example").items():
        result = run_example(name, body)
        assert result.problems == ()
        capsys.readouterr()  # only what the report prints
        assert report([result], []) == 1
        assert capsys.readouterr().out == blocks("output")[name]


def test_every_rule_type_has_a_worked_example():
    """Each rule type in the code is used by an example rule and named in the guide."""
    used = {rule["type"] for rule in example_rules()}
    assert set(RULE_TYPES) <= used, f"no example for: {sorted(set(RULE_TYPES) - used)}"
    assert all(f"## {name}:" in TEXT for name in RULE_TYPES)


def own_options(model: type[Rule]) -> set[str]:
    return set(model.model_fields) - set(Rule.model_fields)


@pytest.mark.parametrize("rule_type", sorted(RULE_TYPES))
def test_every_option_of_every_rule_type_is_explained_and_used(rule_type):
    """An option added to a rule type in code fails this until the guide shows it."""
    options = own_options(RULE_TYPES[rule_type])
    used = {key for rule in example_rules() if rule["type"] == rule_type for key in rule}
    assert options <= used, f"{rule_type}: options without an example: {options - used}"
    assert all(mentioned(option) for option in options)


def test_every_common_rule_field_and_selection_key_is_explained_and_used():
    """id, type, title, severity, labels, enabled, select, templates…; select's keys."""
    rules = example_rules()
    used = {key for rule in rules for key in rule}
    selected = {key for rule in rules for key in (rule.get("select") or {})}
    assert set(Rule.model_fields) <= used
    assert set(Selection.model_fields) <= selected
    assert all(mentioned(name) for name in [*Rule.model_fields, *Selection.model_fields])


@pytest.mark.parametrize("model", [Measure, Tolerance, RuleTestFile, RuleTest, SeriesInput,
                                   RiskInput, CaseInput, EventInput, ExpectedFinding])
def test_every_catalogue_and_test_file_field_is_in_the_guide(model: type[BaseModel]):
    """Catalogue fields and every key of the test-file format are explained."""
    missing = [name for name in model.model_fields if not mentioned(name)]
    assert missing == []


def test_every_key_of_a_derived_measure_is_in_the_guide_and_used():
    """`derived:`'s keys (as authors write them: `from`, not the field's name) are explained,
    and the worked example computes a measure from events."""
    keys = [field.alias or name for name, field in Derivation.model_fields.items()]
    assert [k for k in keys if not mentioned(k)] == []
    assert any("derived:" in body and "events:" in body for body in EXAMPLES.values())


@pytest.mark.parametrize("choices", [Polarity, Unit, Frequency, Severity, RagScheme, Status,
                                     Count, AreaLevel])
def test_every_choice_a_field_accepts_is_in_the_guide(choices: type[StrEnum]):
    """Polarities, units, frequencies, severities, RAG schemes and statuses are all named."""
    missing = [c.value for c in choices if not mentioned(c.value)]
    assert missing == []


def test_the_guide_is_linked_from_where_rule_authors_look():
    """The guide's own sections are all reachable from its contents list."""
    headings = re.findall(r"^## (.+)$", TEXT, re.MULTILINE)
    contents = TEXT.split("## Contents", 1)[1].split("\n## ", 1)[0]
    for heading in headings[1:]:
        anchor = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        assert f"(#{anchor})" in contents, heading


def test_examples_are_found_where_the_guide_says_tests_live():
    """Examples with `rule_files` name files that exist relative to rules/tests/."""
    for body in EXAMPLES.values():
        for name in parse_yaml(body, "x").data.get("rule_files") or []:
            assert (BASE / Path(name)).exists(), name
