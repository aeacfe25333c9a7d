"""`alerting test`: rule unit tests on the real engine, their diff output, errors and exit codes."""

import sys
from datetime import date
from pathlib import Path

import pytest

from alerting.authoring.testing.runner import run_document
from alerting.authoring.testing.series import parse_values, periods
from alerting.cli.main import main
from alerting.config.ruleset import load_rules
from alerting.model.catalogue import Frequency
from alerting.model.periods import parse_period
from alerting.model.problems import parse_yaml
from alerting.rules import RULE_TYPES, RagScheme
from tests.conftest import RULES

CATALOGUE = """\
measures:
  - {id: visits, title: Initial visits in time, polarity: bigger_is_better, unit: percent,
     frequency: monthly, tolerance: {relative: 5%}}
"""
RULES_INLINE = """\
rules:
  - {id: below-target, type: tolerance, include_amber: true}
  - {id: falling, type: decline, periods: 3}
"""
PASSING = CATALOGUE + RULES_INLINE + """\
tests:
  - name: red below tolerance
    as_of: 2021-09-30
    series:
      - {measure: visits, area: Stroud, start: Sep-21, values: "69.5", target: 85}
    expect:
      - {rule: below-target, subject: visits, area: Stroud, status: red}
  - name: on target is quiet
    as_of: 2021-09-30
    series:
      - {measure: visits, area: Stroud, start: Sep-21, values: "85", target: 85}
    expect: []
"""
FAILING = CATALOGUE + RULES_INLINE + """\
tests:
  - name: amber is not red
    as_of: 2021-09-30
    series:
      - {measure: visits, area: Stroud, start: Sep-21, values: "82", target: 85}
    expect:
      - {rule: below-target, subject: visits, area: Stroud, status: red}
  - name: nothing should fire
    as_of: 2021-09-30
    series:
      - {measure: visits, area: Gloucestershire, start: Jun-21, values: "84 80 77 73",
         target: 85}
    expect: []
"""


def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            *args: str, **files: str) -> tuple[int, str]:
    """Write files into an empty folder, run `alerting test ARGS` there; (exit code, stdout)."""
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        path = tmp_path / (name.replace("__", "/") + ".yaml")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    code = main(["test", *args])
    return code, capsys.readouterr().out


def test_the_starter_pack_tests_pass_as_ci_runs_them(monkeypatch, capsys):
    """`alerting test` (rules/tests by default) passes on the shipped rules: exit 0."""
    monkeypatch.chdir(RULES.parent)
    assert main(["test"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert out.splitlines()[-1].endswith("passed, 0 failed")
    assert out.count("PASS ") >= 50


def test_every_starter_rule_has_a_firing_and_a_quiet_test():
    """Each shipped rule is expected to fire in some test, and to stay quiet in another."""
    shipped = {r.id for r in load_rules([RULES]).rules}
    fires, quiet = set(), set()
    for path in sorted((RULES / "tests").glob("*.yaml")):
        document = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        rule_files = document.data.get("rule_files", [])
        in_file = {r.id for r in load_rules([path.parent / f for f in rule_files]).rules}
        for test in document.data["tests"]:
            evaluated = set(test.get("rules") or in_file)
            expected = {e["rule"] for e in test["expect"]}
            fires |= expected
            quiet |= evaluated - expected
    assert shipped <= fires, f"never expected to fire: {sorted(shipped - fires)}"
    assert shipped <= quiet, f"never tested quiet: {sorted(shipped - quiet)}"


def test_a_passing_file_prints_pass_per_test_and_exits_0(tmp_path, monkeypatch, capsys):
    """PASS name (file:line) for each test, then the summary."""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "t.yaml", t=PASSING)
    assert code == 0
    assert out == ("PASS red below tolerance  (t.yaml:8)\n"
                   "PASS on target is quiet  (t.yaml:14)\n"
                   "2 test(s) in 1 file(s): 2 passed, 0 failed\n")


def test_failures_print_a_diff_of_expected_and_actual_findings(tmp_path, monkeypatch, capsys):
    """A wrong status shows as - expected / + actual (with what the rule saw); an empty
    expectation fails when something fires; exit 1."""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "t.yaml", t=FAILING)
    assert code == 1
    assert out == (
        "FAIL amber is not red  (t.yaml:8)\n"
        "    as of 2021-09-30, rules evaluated: below-target, falling\n"
        "    - expected but not produced, + produced but not expected:\n"
        "    - below-target  visits  Stroud  red\n"
        "    + below-target  visits  Stroud  amber  (82.0% in Sep-21, worse than target 85.0% "
        "but within tolerance — amber)\n"
        "FAIL nothing should fire  (t.yaml:14)\n"
        "    as of 2021-09-30, rules evaluated: below-target, falling\n"
        "    - expected but not produced, + produced but not expected:\n"
        "    + below-target  visits  Gloucestershire  red     (73.0% in Sep-21, worse than "
        "target 85.0% by more than tolerance — red)\n"
        "    + falling       visits  Gloucestershire  breach  (declined for the third month "
        "running, from 84.0% in Jun-21 to 73.0% in Sep-21 (bigger is better))\n"
        "2 test(s) in 1 file(s): 0 passed, 2 failed\n")


def test_an_expected_finding_that_is_not_produced_is_a_minus_line(tmp_path, monkeypatch, capsys):
    """Expecting a decline that did not happen (and a finding twice) lists each missing one."""
    text = CATALOGUE + RULES_INLINE + """\
tests:
  - name: expects too much
    as_of: 2021-09-30
    rules: [falling]
    series:
      - {measure: visits, area: Stroud, start: Aug-21, values: "80 77", target: 85}
    expect:
      - {rule: falling, subject: visits, area: Stroud, status: breach}
      - {rule: falling, subject: visits, area: Stroud, status: breach}
"""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "t.yaml", t=text)
    assert code == 1
    assert out.splitlines()[1:5] == [
        "    as of 2021-09-30, rules evaluated: falling",
        "    - expected but not produced, + produced but not expected:",
        "    - falling  visits  Stroud  breach",
        "    - falling  visits  Stroud  breach",
    ]


def test_rules_on_a_test_limit_what_is_evaluated(tmp_path, monkeypatch, capsys):
    """With `rules: [falling]` the red rating is not evaluated, so it is not unexpected."""
    text = CATALOGUE + RULES_INLINE + """\
tests:
  - name: decline only
    as_of: 2021-09-30
    rules: [falling]
    series:
      - {measure: visits, area: Stroud, start: Jun-21, values: "84 80 77 73", target: 85}
    expect:
      - {rule: falling, subject: visits, area: Stroud, status: breach}
"""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "t.yaml", t=text)
    assert (code, out.splitlines()[0]) == (0, "PASS decline only  (t.yaml:8)")


def test_rule_files_are_relative_to_the_test_file_and_shared_series_reach_every_test(
        tmp_path, monkeypatch, capsys):
    """A test in rules/tests names ../x.yaml; series at the top of the file are in each test."""
    test = """\
rule_files: [../catalogue.yaml, ../pack.yaml]
series:
  - {measure: visits, area: Stroud, start: Sep-21, values: "60", target: 85}
tests:
  - name: shared series fires
    as_of: 2021-09-30
    expect:
      - {rule: below-target, subject: visits, area: Stroud, status: red}
  - name: plus this test's own
    as_of: 2021-09-30
    series:
      - {measure: visits, area: Cotswolds, start: Sep-21, values: "60", target: 85}
    expect:
      - {rule: below-target, subject: visits, area: Stroud, status: red}
      - {rule: below-target, subject: visits, area: Cotswolds, status: red}
"""
    code, out = run_cli(tmp_path, monkeypatch, capsys, rules__catalogue=CATALOGUE,
                        rules__pack=RULES_INLINE, rules__tests__t=test)
    assert code == 0, out
    assert out.splitlines()[-1] == "2 test(s) in 1 file(s): 2 passed, 0 failed"


SERIES_TEST = (CATALOGUE + RULES_INLINE
               + "tests:\n  - name: x\n    as_of: 2021-09-30\n    series:\n")


@pytest.mark.parametrize(("text", "expected"), [
    ("tests:\n  - name: [x\n",
     "t.yaml:3: YAML syntax error: did not find expected ',' or ']'"),
    ("tests:\n  - name: x\n    as_of: 2021-09-31\n    expect: []\n",
     "t.yaml:3: 2021-09-31 is not a real date (day is out of range for month)"),
    ("rule_file: [a.yaml]\ntests:\n  - {name: x, as_of: 2021-09-30, expect: []}\n",
     "t.yaml:1: test file: unknown field 'rule_file' (did you mean 'rule_files'?)"),
    ("rule_files: [nope.yaml]\ntests:\n  - {name: x, as_of: 2021-09-30, expect: []}\n",
     "t.yaml:1: rule_files: 'nope.yaml' does not exist (looked for nope.yaml; paths are "
     "relative to the test file)"),
    (RULES_INLINE + "tests:\n  - name: x\n    as_of: 2021-09-30\n    serie: []\n"
     "    expect: []\n",
     "t.yaml:7: test 'x': unknown field 'serie' (did you mean 'series'?)"),
    (CATALOGUE + RULES_INLINE + "tests:\n  - name: x\n    as_of: 2021-09-30\n    series:\n"
     "      - {measure: visits, area: G, start: Smarch-21, values: '1'}\n    expect: []\n",
     "t.yaml:11: test 'x': series[0].start must be a month (Sep-21), a quarter (Q2 2021/22) "
     "or a year (2021/22), got 'Smarch-21'"),
    (CATALOGUE + RULES_INLINE + "tests:\n  - name: x\n    as_of: 2021-09-30\n    series:\n"
     "      - measure: visits\n        area: G\n        start: Sep-21\n"
     "        values: '85 8x 80'\n    expect: []\n",
     "t.yaml:14: test 'x': series[0].values item 2 ('8x') is not a number; write numbers "
     "separated by spaces with _ for a missing value, got '85 8x 80'"),
    (CATALOGUE + RULES_INLINE + "tests:\n  - name: x\n    as_of: 2021-09-30\n    series:\n"
     "      - {measure: visit, area: G, start: Sep-21, values: '1'}\n    expect: []\n",
     "t.yaml:11: test 'x': series[0].measure: 'visit' is not in the measure catalogue "
     "(rule_files or measures:) (did you mean 'visits'?)"),
    (RULES_INLINE + "tests:\n  - name: x\n    as_of: 2021-09-30\n    expect:\n"
     "      - {rule: below-targets, subject: m, status: red}\n",
     "t.yaml:8: test 'x': expect[0].rule: there is no rule 'below-targets' among the rules "
     "under test (did you mean 'below-target'?)"),
    (RULES_INLINE + "tests:\n  - name: x\n    as_of: 2021-09-30\n    expect:\n"
     "      - {rule: below-target, subject: m, status: reddish}\n",
     "t.yaml:8: test 'x': expect[0].status must be one of green, amber, red, "
     "better_than_tolerance, within_tolerance, worse_than_tolerance, no_value, missing_target, "
     "no_information, breach, warning, ok, got 'reddish'"),
    (RULES_INLINE + "tests:\n  - name: x\n    as_of: 2021-09-30\n    risks:\n"
     "      - {risk: SR1, start: Q1 2021/22, scores: '8 30'}\n    expect: []\n",
     "t.yaml:8: test 'x': risks[0].scores item 2 must be between 1 and 25 (likelihood x "
     "impact), got 30"),
    ("rules:\n  - {id: r, type: decline, periods: three}\n"
     "tests:\n  - {name: x, as_of: 2021-09-30, expect: []}\n",
     "t.yaml:2: rule 'r': periods must be a valid integer, unable to parse string as an "
     "integer, got 'three'"),
    ("tests:\n  - {name: x, as_of: 2021-09-30}\n",
     "t.yaml:2: test 'x': expect is required"),
    ("tests: []\n", "t.yaml:1: tests must be a list of tests, each with name, as_of and expect"),
    ("tests:\n  - {name: x, as_of: 2021-09-30, expect: []}\n",
     "t.yaml:1: there are no rules to test: name rule files in rule_files, or write rules "
     "under rules:"),
    # Malformed values and periods (the reviewer's scratch cases).
    (SERIES_TEST + "      - {measure: visits, area: G, start: Sep-21, values: '8_0'}\n"
     "    expect: []\n",
     "t.yaml:11: test 'x': series[0].values item 1 ('8_0') is not a number; write numbers "
     "separated by spaces with _ for a missing value, got '8_0'"),
    (SERIES_TEST + "      - {measure: visits, area: G, start: Aug-21, values: '1 1_000'}\n"
     "    expect: []\n",
     "t.yaml:11: test 'x': series[0].values item 2 ('1_000') is not a number; write numbers "
     "separated by spaces with _ for a missing value, got '1 1_000'"),
    (SERIES_TEST + "      - {measure: visits, area: G, start: Aug-21, values: '84, 80'}\n"
     "    expect: []\n",
     "t.yaml:11: test 'x': series[0].values item 1 ('84,') is not a number; separate values "
     "with spaces, not commas, got '84, 80'"),
    (SERIES_TEST + "      - {measure: visits, area: G, start: Q4 2020/21, values: '1'}\n"
     "    expect: []\n",
     "t.yaml:11: test 'x': series[0].start: a monthly series must start at a month (like "
     "Sep-21), not a quarter (Q4 2020/21)"),
    (SERIES_TEST + "      - {measure: visits, area: G, start: Sep-21, values: '1', targets: 3}\n"
     "    expect: []\n",
     "t.yaml:11: test 'x': unknown field 'series[0].targets' (did you mean 'target'?)"),
    (RULES_INLINE + "tests:\n  - name: x\n    as_of: 2021-09-30\n    expect:\n",
     "t.yaml:7: test 'x': expect must be a list (write `expect: []` for nothing)"),
    ("rule_files: pack.yaml\ntests:\n  - {name: x, as_of: 2021-09-30, expect: []}\n",
     "t.yaml:1: test file: rule_files must be a list, like [../measures.yaml, "
     "../performance.yaml], got 'pack.yaml'"),
    # A date the engine cannot hold is a problem in the file, not a traceback.
    (SERIES_TEST + "      - {measure: visits, area: G, start: Dec-9999, values: '84 80'}\n"
     "    expect: []\n",
     "t.yaml:11: test 'x': series[0].values: 2 monthly values from the period ending "
     "9999-12-31 would run past December 9999, the last month a date can have; give fewer "
     "values or an earlier start"),
    (RULES_INLINE + "tests:\n  - name: x\n    as_of: 2021-09-30\n    risks:\n"
     "      - {risk: SR1, start: Dec-9999, scores: '8 9'}\n    expect: []\n",
     "t.yaml:8: test 'x': risks[0].scores: 2 quarterly values from the period ending "
     "9999-12-31 would run past December 9999, the last month a date can have; give fewer "
     "values or an earlier start"),
    # The rules step at the measure's frequency, so another frequency only makes gaps.
    (SERIES_TEST + "      - {measure: visits, area: G, start: Sep-21, frequency: quarterly,\n"
     "         values: '1'}\n    expect: []\n",
     "t.yaml:11: test 'x': series[0].frequency: visits is monthly in the measure catalogue, "
     "and the rules step at the measure's frequency, so a quarterly series would look to them "
     "like gaps and never fire; leave frequency out (or write monthly)"),
    # Tests that could never fail, or never pass.
    (RULES_INLINE + "tests:\n  - name: x\n    as_of: 2021-09-30\n    rules: []\n"
     "    expect: []\n",
     "t.yaml:7: test 'x': rules: is empty, so no rule is evaluated and the test can never "
     "fail; list rule ids, or leave rules: out for every enabled rule"),
    ("rules:\n  - {id: live, type: decline}\n  - {id: quiet, type: decline, enabled: false}\n"
     "tests:\n  - name: x\n    as_of: 2021-09-30\n    rules: [quiet]\n    expect: []\n",
     "t.yaml:7: test 'x': rules: quiet is switched off (enabled: false), so no rule is "
     "evaluated and the test can never fail"),
    ("rules:\n  - {id: live, type: decline}\n  - {id: quiet, type: decline, enabled: false}\n"
     "tests:\n  - name: x\n    as_of: 2021-09-30\n    expect:\n"
     "      - {rule: quiet, subject: m, status: breach}\n",
     "t.yaml:8: test 'x': expect[0].rule: 'quiet' is switched off (enabled: false), so it "
     "cannot fire"),
    *[(RULES_INLINE + "tests:\n  - name: x\n    as_of: 2021-09-30\n    expect:\n"
       f"      - {{rule: below-target, subject: m, status: {status}}}\n",
       f"t.yaml:8: test 'x': expect[0].status: a tolerance rule never finds {status} under "
       "the target_with_tolerance scheme; it finds red or amber (with include_amber), so "
       "this test could never pass")
      for status in ["green", "ok", "breach", "worse_than_tolerance"]],
    ("rules:\n  - {id: r, type: tolerance, scheme: tolerance_band}\n"
     "tests:\n  - name: x\n    as_of: 2021-09-30\n    expect:\n"
     "      - {rule: r, subject: m, status: red}\n",
     "t.yaml:7: test 'x': expect[0].status: a tolerance rule never finds red under the "
     "tolerance_band scheme; it finds worse_than_tolerance or within_tolerance (with "
     "include_amber), so this test could never pass"),
    ("rules:\n  - {id: r, type: tolerance}\ntests:\n  - name: x\n    as_of: 2021-09-30\n"
     "    expect:\n      - {rule: r, subject: m, status: amber}\n",
     "t.yaml:7: test 'x': expect[0].status: rule 'r' has no include_amber, so it never finds "
     "amber; it finds red or amber (with include_amber), so this test could never pass"),
    (RULES_INLINE + "tests:\n  - name: x\n    as_of: 2021-09-30\n    expect:\n"
     "      - {rule: falling, subject: m, status: warning}\n",
     "t.yaml:8: test 'x': expect[0].status: rule 'falling' has no warn_at, so it never finds "
     "warning; it finds breach or warning (with warn_at), so this test could never pass"),
    # An inline rule whose id a rule file already uses: the line of the inline one.
    ("rule_files: [pack.yaml]\nrules:\n  - {id: falling, type: decline}\n"
     "tests:\n  - {name: x, as_of: 2021-09-30, expect: []}\n",
     "t.yaml:3: rule 'falling': id is already used in pack.yaml:6"),
    # A rule file named twice would clash with itself.
    ("rule_files: [pack.yaml, ./pack.yaml]\n"
     "tests:\n  - {name: x, as_of: 2021-09-30, expect: []}\n",
     "t.yaml:1: rule_files[1]: './pack.yaml' is listed twice (rule_files[0]); name each rule "
     "file once"),
    ("rule_files: [rules, rules/pack.yaml]\n"
     "tests:\n  - {name: x, as_of: 2021-09-30, expect: []}\n",
     "t.yaml:1: rule_files[1]: 'rules/pack.yaml' is already included by 'rules' "
     "(rule_files[0]); name each rule file once"),
])
def test_a_malformed_file_names_file_line_and_field_and_exits_2(tmp_path, monkeypatch, capsys,
                                                                text, expected):
    """Each mistake is one plain message with its line; no test of the file runs."""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "t.yaml", t=text,
                        pack=CATALOGUE + RULES_INLINE, rules__pack=RULES_INLINE)
    assert code == 2
    [message, summary] = out.splitlines()
    assert message == expected
    assert summary == "0 test(s) in 1 file(s): 0 passed, 0 failed; 1 file(s) with errors, not run"


def test_a_broken_rule_file_under_test_is_reported_with_its_own_line(tmp_path, monkeypatch,
                                                                    capsys):
    """The rule file's error (as `alerting validate` gives it), then which test file it stops."""
    code, out = run_cli(
        tmp_path, monkeypatch, capsys, "t.yaml",
        pack="rules:\n  - id: cp-over-2y\n    type: case_duration\n    older_than: 2 years\n",
        t="rule_files: [pack.yaml]\ntests:\n  - {name: x, as_of: 2021-09-30, expect: []}\n")
    assert code == 2
    assert out.splitlines()[:2] == [
        "pack.yaml:4: rule 'cp-over-2y': older_than must be a duration like 2y, 18m or 10wd "
        "(working days), got '2 years'",
        "t.yaml:1: the rule files under test have 1 error(s) (listed above); no test in this "
        "file was run"]


def test_file_errors_win_over_failures_for_the_exit_code(tmp_path, monkeypatch, capsys):
    """One failing file and one broken file: the good file still runs, and the exit is 2."""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "a.yaml", "b.yaml",
                        a=FAILING, b="tests: []\n")
    assert code == 2
    assert "FAIL amber is not red  (a.yaml:8)" in out
    assert out.splitlines()[-1] == ("2 test(s) in 2 file(s): 0 passed, 2 failed; "
                                    "1 file(s) with errors, not run")


def test_a_path_that_does_not_exist_or_holds_no_tests_exits_2(tmp_path, monkeypatch, capsys):
    """Nothing tested is not a pass."""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "missing.yaml")
    assert (code, out.splitlines()[0]) == (2, "missing.yaml: does not exist")
    code, out = run_cli(tmp_path, monkeypatch, capsys, "folder", folder__rules="rules: []\n")
    assert code == 2
    assert out == ("No rule test files found in folder (a test file has a top-level "
                   "'tests:' list).\n")


def test_folders_are_searched_for_test_files_only(tmp_path, monkeypatch, capsys):
    """`alerting test rules` runs the test files and passes over the rule files beside them."""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "rules",
                        rules__catalogue=CATALOGUE, rules__pack=RULES_INLINE,
                        rules__tests__t=PASSING.replace(CATALOGUE + RULES_INLINE,
                                                        "rule_files: [../catalogue.yaml, "
                                                        "../pack.yaml]\n"))
    assert code == 0, out
    assert out.splitlines()[-1] == "2 test(s) in 1 file(s): 2 passed, 0 failed"


def test_inline_rules_or_measures_inside_the_rules_folder_stay_tests(tmp_path, monkeypatch,
                                                                    capsys):
    """A test file with inline measures inside rules/ runs as a test, and the service's
    loader does not take its measures as real ones."""
    test = CATALOGUE + "rule_files: [../pack.yaml]\n" + PASSING.removeprefix(CATALOGUE
                                                                             + RULES_INLINE)
    code, out = run_cli(tmp_path, monkeypatch, capsys, rules__pack=RULES_INLINE,
                        rules__tests__t=test)
    assert code == 0, out
    assert out.splitlines()[-1] == "2 test(s) in 1 file(s): 2 passed, 0 failed"
    assert "visits" not in load_rules([tmp_path / "rules"]).catalogue


def test_compact_values_name_the_position_of_a_bad_item():
    """`_` is a missing value; anything else that is not a number is named by position."""
    assert parse_values("85 84 _ 73") == (85.0, 84.0, None, 73.0)
    assert parse_values(85) == (85.0,)
    with pytest.raises(ValueError, match=r"item 3 \('x'\) is not a number"):
        parse_values("1 2 x")
    with pytest.raises(ValueError, match="at least one value"):
        parse_values("  ")


@pytest.mark.parametrize(("start", "frequency", "labels"), [
    ("Nov-21", Frequency.MONTHLY, ["Nov-21", "Dec-21", "Jan-22"]),
    ("Dec-20", Frequency.QUARTERLY, ["Dec-20", "Mar-21", "Jun-21"]),
    ("Q4 2020/21", Frequency.QUARTERLY, ["Q4 2020/21", "Q1 2021/22", "Q2 2021/22"]),
    ("2019/20", Frequency.ANNUAL, ["2019/20", "2020/21", "2021/22"]),
    ("Academic Year Ending 2019", Frequency.ANNUAL, ["AY 2018/19", "AY 2019/20", "AY 2020/21"]),
])
def test_series_step_from_the_start_at_the_frequency(start, frequency, labels):
    """Periods keep the start's kind and step by the frequency, across year ends."""
    assert [p.label for p in periods(parse_period(start), frequency, 3)] == labels


def test_the_runner_evaluates_enabled_rules_only():
    """A disabled rule never fires, as in the service."""
    text = CATALOGUE + """\
rules:
  - {id: below-target, type: tolerance, enabled: false}
tests:
  - name: disabled
    as_of: 2021-09-30
    series:
      - {measure: visits, area: Stroud, start: Sep-21, values: "10", target: 85}
    expect: []
"""
    result = run_document(parse_yaml(text, "t.yaml"), Path())
    assert result.problems == ()
    [outcome] = result.outcomes
    assert outcome.passed and outcome.rules == () and outcome.as_of == date(2021, 9, 30)


def test_a_series_past_the_year_9999_stops_only_its_own_file(tmp_path, monkeypatch, capsys):
    """100,000 monthly values from Jan-00 is a problem in that file; the next file still runs."""
    values = " ".join(["50"] * 100_000)
    long = CATALOGUE + RULES_INLINE + f"""\
tests:
  - name: long
    as_of: 2021-09-30
    series:
      - {{measure: visits, area: G, start: Jan-00, values: "{values}"}}
    expect: []
"""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "a.yaml", "b.yaml", a=long, b=PASSING)
    assert code == 2
    assert out.splitlines() == [
        "a.yaml:11: test 'long': series[0].values: 100000 monthly values from the period "
        "ending 2000-01-31 would run past December 9999, the last month a date can have; give "
        "fewer values or an earlier start",
        "PASS red below tolerance  (b.yaml:8)",
        "PASS on target is quiet  (b.yaml:14)",
        "2 test(s) in 2 file(s): 2 passed, 0 failed; 1 file(s) with errors, not run"]


def test_values_after_as_of_are_named_beside_a_failure_only(tmp_path, monkeypatch, capsys):
    """Values after as_of (no rule sees them) are often the reason a test fails (a wrong start
    year), so a failing test names them; a passing test that has later values on purpose (the
    rules ignore future data) says nothing."""
    text = CATALOGUE + RULES_INLINE + """\
tests:
  - name: wrong year
    as_of: 2021-09-30
    rules: [falling]
    series:
      - {measure: visits, area: G, start: May-22, values: "84 80 77 73"}
    expect:
      - {rule: falling, subject: visits, area: G, status: breach}
  - name: future values on purpose
    as_of: 2021-06-30
    rules: [falling]
    series:
      - {measure: visits, area: G, start: May-21, values: "84 80 77 73 70"}
    expect: []
"""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "t.yaml", t=text)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == ("t.yaml:12: warning: test 'wrong year': series[0].values: all 4 values "
                        "(May-22 to Aug-22) are after as_of 2021-09-30, so no rule sees them")
    assert sum("warning" in line for line in lines) == 1
    assert "PASS future values on purpose  (t.yaml:15)" in lines


def test_shared_values_after_every_as_of_are_named_when_a_test_fails(tmp_path, monkeypatch,
                                                                      capsys):
    text = CATALOGUE + RULES_INLINE + """\
series:
  - {measure: visits, area: Cotswolds, start: Aug-21, values: "85 85 85", target: 85}
tests:
  - name: expects a decline that is not there
    as_of: 2021-09-30
    rules: [falling]
    expect:
      - {rule: falling, subject: visits, area: Cotswolds, status: breach}
"""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "t.yaml", t=text)
    assert code == 1
    assert out.splitlines()[0] == (
        "t.yaml:8: warning: series[0].values: the value for Oct-21 is after 2021-09-30, the "
        "last as_of in this file, so no rule sees it")


def test_a_test_that_evaluated_no_rule_is_marked(tmp_path, monkeypatch, capsys):
    """When every rule under test is switched off, the PASS says nothing was evaluated."""
    text = CATALOGUE + """\
rules:
  - {id: below-target, type: tolerance, enabled: false}
tests:
  - name: disabled
    as_of: 2021-09-30
    series:
      - {measure: visits, area: Stroud, start: Sep-21, values: "10", target: 85}
    expect: []
"""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "t.yaml", t=text)
    assert code == 0
    assert out.splitlines() == [
        "PASS disabled  (t.yaml:7)  [no rule evaluated: every rule under test is switched off]",
        "1 test(s) in 1 file(s): 1 passed, 0 failed (1 evaluated no rule)"]


PER_PERIOD = CATALOGUE + RULES_INLINE + """\
tests:
  - name: per-period targets
    as_of: 2021-09-30
    rules: [below-target]
    series:
      - {measure: visits, area: Stroud, start: Jun-21, frequency: monthly,
         values: "84 84 84 84", target: "TARGETS"}
    expect:
      - {rule: below-target, subject: visits, area: Stroud, status: red}
"""


def test_per_period_targets_rate_the_latest_value_against_its_own_period(tmp_path, monkeypatch,
                                                                          capsys):
    """`target: "80 80 80 90"` gives Sep-21 the 90 (84 is red); reversed, Sep-21 has 80
    (green). The measure's own frequency may be written out."""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "t.yaml",
                        t=PER_PERIOD.replace("TARGETS", "80 80 80 90"))
    assert (code, out.splitlines()[0]) == (0, "PASS per-period targets  (t.yaml:8)")
    code, out = run_cli(tmp_path, monkeypatch, capsys, "t.yaml",
                        t=PER_PERIOD.replace("TARGETS", "90 80 80 80"))
    assert code == 1
    assert out.splitlines()[3] == "    - below-target  visits  Stroud  red"


def test_a_subject_that_differs_keeps_the_minus_line_first(tmp_path, monkeypatch, capsys):
    """Only the subject differs: the expected (-) line comes before the produced (+) one,
    though the produced subject sorts first."""
    text = CATALOGUE + RULES_INLINE + """\
tests:
  - name: wrong subject
    as_of: 2021-09-30
    rules: [below-target]
    series:
      - {measure: visits, area: Stroud, start: Sep-21, values: "60", target: 85}
    expect:
      - {rule: below-target, subject: visitss, area: Stroud,
         status: Significantly worse than target}
"""
    code, out = run_cli(tmp_path, monkeypatch, capsys, "t.yaml", t=text)
    assert code == 1
    assert out.splitlines()[3:5] == [
        "    - below-target  visitss  Stroud  red",
        "    + below-target  visits   Stroud  red  (60.0% in Sep-21, worse than target 85.0% by "
        "more than tolerance — red)"]


def test_every_rule_type_says_which_statuses_it_raises():
    """Every rule type says which statuses it can raise under each scheme, and each status
    (and the option it needs) is used in that rule type's own module."""
    for rule_type, model in RULE_TYPES.items():
        source = Path(sys.modules[model.__module__].__file__ or "").read_text()
        for scheme in RagScheme:
            statuses = model.model_construct().raises(scheme)
            assert statuses, (rule_type, scheme)
            for status, option in statuses.items():
                assert f"Status.{status.name}" in source, (rule_type, status)
                assert option is None or option in model.model_fields
