"""Rule files: validated into frozen models; errors name file, line and field; one bad file
does not stop the others."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from alerting.config.ruleset import load_rules
from alerting.rules import RULE_TYPES
from notifiers import alert_template_keys
from tests.conftest import RULES

GOOD = """\
rules:
  - id: below-target
    type: tolerance
    severity: high
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def messages(ruleset):
    return [p.message for p in ruleset.problems]


def test_the_issue_example_error_names_file_line_and_field(tmp_path, monkeypatch):
    """`older_than: 2 years` gives exactly the sentence a performance lead should see."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "safeguarding.yaml", """\
# Child-level rules
rules:
  - id: cp-over-2y
    type: case_duration
    title: CP plans over two years
    older_than: 2 years
""")
    ruleset = load_rules([Path("safeguarding.yaml")])
    assert [str(p) for p in ruleset.problems] == [
        "safeguarding.yaml:6: rule 'cp-over-2y': older_than must be a duration like 2y, 18m or "
        "10wd (working days), got '2 years'"]
    assert ruleset.rules == ()


@pytest.mark.parametrize(("entry", "line", "expected"), [
    ("  - id: r\n    type: tolerance\n    severty: high\n", 4,
     "rule 'r': unknown field 'severty' (did you mean 'severity'?)"),
    ("  - id: r\n    type: tolerence\n", 3,
     f"rule 'r': type must be one of {', '.join(sorted(RULE_TYPES))}, got 'tolerence'"),
    ("  - id: r\n", 2, "rule 'r': type is required"),
    ("  - type: decline\n", 2, "rule #1: id is required"),
    ("  - id: r\n    type: decline\n    periods: three\n", 4,
     "rule 'r': periods must be a valid integer, unable to parse string as an integer, "
     "got 'three'"),
    ("  - id: r\n    type: decline\n    periods: 0\n", 4,
     "rule 'r': periods must be greater than or equal to 1, got 0"),
    ("  - id: r\n    type: tolerance\n    severity: urgent\n", 4,
     "rule 'r': severity must be 'info', 'low', 'medium', 'high' or 'critical', got 'urgent'"),
    ("  - id: r\n    type: risk_rise\n    select:\n      riskz: [SR7]\n", 5,
     "rule 'r': unknown field 'select.riskz'"),
    ("  - id: r\n    type: case_duration\n    older_than: 0wd\n", 4,
     "rule 'r': older_than must be at least 1 working day (1wd), got '0wd'"),
    ("  - id: r\n    type: case_duration\n    older_than: -3wd\n", 4,
     "rule 'r': older_than must be at least 1 working day (1wd), got '-3wd'"),
    ("  - id: r\n    type: case_duration\n    older_than: 1.5wd\n", 4,
     "rule 'r': older_than must be a whole number of working days, like 10wd, got '1.5wd'"),
    ("  - id: r\n    type: missing_data\n    grace: 0wd\n", 4,
     "rule 'r': grace must be at least 1 working day (1wd), got '0wd'"),
    ("  - id: bad id\n    type: tolerance\n", 2,
     "rule 'bad id': id must use only letters, digits, '.', '_' and '-' (no spaces), "
     "got 'bad id'"),
])
def test_field_errors_in_plain_english_with_lines(tmp_path, entry, line, expected):
    """Each kind of mistake is reported on the line of the field (or of the rule)."""
    path = write(tmp_path, "r.yaml", "rules:\n" + entry)
    [problem] = load_rules([path]).problems
    assert problem.message == expected
    assert problem.line == line


def test_rule_template_keys_are_those_the_channels_declare(tmp_path):
    """A rule's templates: takes the email parts and each channel document's key (teams);
    a misspelt key is named with the keys there are."""
    good = write(tmp_path, "a.yaml", "rules:\n  - id: r\n    type: tolerance\n"
                 "    templates: {email_text: a.j2, email_html: b.j2, teams: c.j2}\n")
    bad = write(tmp_path, "b.yaml", "rules:\n  - id: s\n    type: tolerance\n"
                "    templates: {email_txt: a.j2}\n")
    ruleset = load_rules([good, bad])
    assert alert_template_keys() == ["email_text", "email_html", "teams"]
    assert [r.id for r in ruleset.rules] == ["r"]
    assert [(p.line, p.message) for p in ruleset.problems] == [
        (4, "rule 's': templates.email_txt.[key] must be 'email_text', 'email_html' or "
            "'teams', got 'email_txt'")]


def test_yaml_syntax_error_names_the_line(tmp_path):
    """A tab or bad indentation is reported as a syntax error with its line."""
    path = write(tmp_path, "r.yaml", "rules:\n  - id: r\n    type: tolerance\n   severity: [\n")
    [problem] = load_rules([path]).problems
    assert problem.line == 4
    assert problem.message.startswith("YAML syntax error")


def test_one_broken_file_does_not_stop_the_others(tmp_path):
    """The good file's rules load; the broken file contributes nothing and is reported."""
    write(tmp_path, "a-good.yaml", GOOD)
    write(tmp_path, "b-bad.yaml", "rules:\n  - id: x\n    type: decline\n    periods: -1\n"
                                  "  - id: y\n    type: decline\n")
    ruleset = load_rules([tmp_path])
    assert [r.id for r in ruleset.rules] == ["below-target"]
    assert len(ruleset.errors) == 1
    assert ruleset.errors[0].file.endswith("b-bad.yaml")


def test_every_error_in_a_file_is_listed(tmp_path):
    """validate lists every problem, not just the first."""
    path = write(tmp_path, "r.yaml", "rules:\n  - id: a\n    type: nope\n  - id: b\n"
                                     "    type: decline\n    periods: x\n")
    assert len(load_rules([path]).errors) == 2


def test_duplicate_rule_ids_across_files(tmp_path):
    """A rule id used in two files is an error on the later file and line, naming the first
    file and line; the first is kept."""
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", GOOD)
    ruleset = load_rules([tmp_path])
    assert len(ruleset.rules) == 1
    assert messages(ruleset) == ["rule 'below-target': id is already used in " +
                                 str(tmp_path / "a.yaml") + ":2"]
    assert (ruleset.problems[0].file, ruleset.problems[0].line) == (str(tmp_path / "b.yaml"), 2)


def test_files_without_a_rules_list_are_reported(tmp_path):
    """A file that is neither rules nor a catalogue says what it should contain."""
    path = write(tmp_path, "r.yaml", "- id: r\n  type: tolerance\n")
    [problem] = load_rules([path]).problems
    assert "top-level 'rules:' list" in problem.message


def test_catalogue_errors_name_the_measure_and_field(tmp_path):
    """measures.yaml problems point at the measure and field too."""
    path = write(tmp_path, "measures.yaml", """\
measures:
  - id: iv
    polarity: upwards
  - id: rr
    tolerance: {relative: 5}
""")
    ruleset = load_rules([path])
    assert [str(p).split(": ", 1)[1] for p in ruleset.problems] == [
        "measure 'iv': polarity must be one of bigger_is_better, smaller_is_better, plan_is_best "
        "or none, got 'upwards'",
        "measure 'rr': tolerance.relative must be a share like 5% or 0.05, got 5",
    ]
    assert [p.line for p in ruleset.problems] == [3, 5]


def test_polarity_accepts_the_words_reports_use():
    """'Bigger is Better', 'Low', 'Plan is Best' map to the polarity codes."""
    from alerting.model.catalogue import Measure, Polarity

    assert Measure(id="a", polarity="Bigger is Better").polarity is Polarity.BIGGER_IS_BETTER
    assert Measure(id="a", polarity="Low").polarity is Polarity.SMALLER_IS_BETTER
    assert Measure(id="a", polarity="Plan is Best").polarity is Polarity.PLAN_IS_BEST


def test_tolerance_needs_exactly_one_kind():
    """absolute and relative together is ambiguous."""
    from alerting.model.catalogue import Tolerance

    with pytest.raises(ValidationError, match="exactly one"):
        Tolerance(absolute=1, relative=0.05)


def test_rules_are_frozen_after_loading(tmp_path):
    """Rules cannot be mutated once loaded."""
    ruleset = load_rules([write(tmp_path, "r.yaml", GOOD)])
    with pytest.raises(ValidationError):
        ruleset.rules[0].severity = "low"  # type: ignore[misc]


def test_every_shipped_rule_and_config_file_loads_cleanly():
    """The starter pack and catalogue in rules/ never rot."""
    ruleset = load_rules([RULES])
    assert ruleset.problems == ()
    assert {r.rule_type for r in ruleset.rules} == {
        "tolerance", "decline", "case_duration", "risk_rise", "missing_data", "comparator",
        "spc", "case_deadline"}
    assert len(ruleset.catalogue) > 100


def test_a_date_that_does_not_exist_is_named_with_its_line(tmp_path):
    """YAML reads 2021-09-31 as a date and fails: reported as a problem, not a traceback."""
    bad = tmp_path / "measures.yaml"
    bad.write_text("measures:\n  - id: m\n    title: M\n    targets: {2021-09-31: 80}\n")
    ruleset = load_rules([bad])
    assert [str(p) for p in ruleset.problems] == [
        f"{bad}:4: 2021-09-31 is not a real date (day is out of range for month)"]


def test_a_negative_tolerance_is_an_error_naming_its_line(tmp_path):
    """-5% would turn the ratings round (79.5 against 80 would be red)."""
    bad = tmp_path / "measures.yaml"
    bad.write_text("measures:\n  - id: m\n    title: M\n    polarity: bigger_is_better\n"
                   "    tolerance: {relative: -5%}\n")
    [problem] = load_rules([bad]).problems
    assert problem.line == 5
    assert "must not be negative" in str(problem) and "'-5%'" in str(problem)


def test_rules_beside_tests_outside_a_tests_folder_are_an_error(tmp_path):
    """Tests appended to a rule file would silently drop its rules from the service."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "performance.yaml").write_text(
        "rules:\n  - id: r\n    type: tolerance\ntests:\n  - name: t\n    as_of: 2021-09-30\n"
        "    expect: []\n")
    (rules / "tests").mkdir()
    (rules / "tests" / "inline.yaml").write_text(
        "rules:\n  - id: inline\n    type: tolerance\ntests: []\n")
    ruleset = load_rules([rules])
    assert [str(p) for p in ruleset.problems] == [
        f"{rules / 'performance.yaml'}:1: rules: this file also has tests:, so the service would "
        "not load its rules as real ones; keep rule tests in a tests/ folder (e.g. rules/tests/) "
        "and the rules here"]
    assert ruleset.rules == ()  # neither file's rules are in force
