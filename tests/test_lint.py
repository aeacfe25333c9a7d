"""Lint warnings in `alerting validate`: rules that select nothing, polarity rules on measures
without polarity, tolerances no value can exceed, duplicate ids, routes no alert can reach."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pytest

from alerting.cli.commands import validate
from alerting.cli.main import main
from alerting.config.settings import Settings
from tests.conftest import ROOT

CATALOGUE = """\
measures:
  - id: visits-in-time
    polarity: bigger_is_better
    unit: percent
    service_area: contact_activity
    tags: [scorecard]
    tolerance: {relative: 5%}
    targets: {"Sep-21": 85}
  - id: contacts-received
    polarity: none
    unit: count
    service_area: contact_activity
    tags: [scorecard, volumes]
  - id: exclusions
    polarity: smaller_is_better
    unit: count
    service_area: schools
    tags: [scorecard]
    tolerance: {absolute: 3}
    targets: {"Sep-21": 2}
"""

RULES = """\
rules:
  - id: red
    type: tolerance
    severity: high
  - id: cp-over-2y
    type: case_duration
    older_than: 2y
    select:
      plan_types: [CP]
  - id: risk-score-rise
    type: risk_rise
"""

RECIPIENTS = """\
receivers:
  - name: performance-team
    email: {to: [performance@example.gov.uk]}
  - name: safeguarding
    email: {to: [safeguarding@example.gov.uk]}
route:
  receiver: performance-team
  routes:
    - match: {rule_type: case_duration, team: Stroud Safeguarding}
      receiver: safeguarding
    - {match: {rule: cp-*}, receiver: safeguarding,
       continue: true}
    - {match: {severity: [high, critical], rule_type: tolerance}, min_severity: high,
       continue: true}
    - match: {area: Cotswolds, measure: visits-*, service_area: contact_activity}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with a catalogue, rules, recipients and the config naming them."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "rules/measures.yaml", CATALOGUE)
    write(tmp_path, "rules/rules.yaml", RULES)
    write(tmp_path, "config/recipients.yaml", RECIPIENTS)
    write(tmp_path, "config/service.yaml",
          "rules: [rules]\nrecipients: config/recipients.yaml\n")
    return tmp_path


Runner = Callable[..., tuple[int, list[str]]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Runner:
    """`alerting validate ARGS` with the project's config: exit code and output lines."""
    def call(*argv: str) -> tuple[int, list[str]]:
        code = main(["--config", "config/service.yaml", "validate", *argv])
        return code, capsys.readouterr().out.splitlines()
    return call


def warnings(lines: list[str]) -> list[str]:
    return [line for line in lines if ": warning: " in line]


def test_the_example_project_has_no_warnings(project: Path, run: Runner) -> None:
    """The fixture itself is clean: every check below adds exactly what it pins down."""
    code, lines = run()
    assert code == 0
    assert lines == ["OK: 3 rule(s) and 3 measure(s) in 3 file(s)"]


def test_the_shipped_rules_and_config_have_no_warnings(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """rules/ and config/ as shipped validate without a warning."""
    monkeypatch.chdir(ROOT)
    assert main(["validate"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert warnings(lines) == []
    assert lines[-1].startswith("OK: ")


# --- 1. rules that select nothing --------------------------------------------------------

def test_a_measure_glob_that_matches_no_measure(project: Path, run: Runner) -> None:
    """A selection matching no catalogue measure names the field, line and patterns."""
    write(project, "rules/more.yaml",
          "rules:\n  - id: ni-117\n    type: decline\n    select:\n      measures: ['ni-117*']\n")
    code, lines = run()
    assert code == 0
    assert warnings(lines) == [
        "rules/more.yaml:5: warning: rules[0].select.measures: rule 'ni-117' selects no "
        "measure in the catalogue ('ni-117*')"]
    assert lines[-1] == "OK: 4 rule(s) and 3 measure(s) in 4 file(s), 1 warning(s)"


def test_a_glob_that_matches_a_measure_is_not_warned(project: Path, run: Runner) -> None:
    write(project, "rules/more.yaml",
          "rules:\n  - id: visits\n    type: decline\n    select:\n      measures: ['VISITS-*']\n")
    assert warnings(run()[1]) == []


def test_a_misspelt_measure_id_suggests_the_close_one(project: Path, run: Runner) -> None:
    write(project, "rules/more.yaml",
          "rules:\n  - id: v\n    type: decline\n    select: {measures: visit-in-time}\n")
    assert warnings(run()[1]) == [
        "rules/more.yaml:4: warning: rules[0].select.measures: rule 'v' selects no measure in "
        "the catalogue ('visit-in-time'; did you mean 'visits-in-time'?)"]


def test_keys_that_each_select_but_not_together(project: Path, run: Runner) -> None:
    """Tags and service area each match a measure, but no measure has both."""
    write(project, "rules/more.yaml",
          "rules:\n  - id: m\n    type: missing_data\n    select:\n      tags: volumes\n"
          "      service_area: schools\n")
    assert warnings(run()[1]) == [
        "rules/more.yaml:4: warning: rules[0].select: rule 'm' selects no measure in the "
        "catalogue (no measure has tags 'volumes'; service_area 'schools' together)"]


def test_a_selection_key_the_rule_type_ignores(project: Path, run: Runner) -> None:
    """Case rules select cases: `measures:` on one narrows nothing."""
    write(project, "rules/more.yaml",
          "rules:\n  - id: cin\n    type: case_duration\n    older_than: 1y\n    select:\n"
          "      plan_types: CIN\n      measures: visits-in-time\n")
    assert warnings(run()[1]) == [
        "rules/more.yaml:7: warning: rules[0].select.measures: rule 'cin' is a case_duration "
        "rule, which selects cases by plan_types, teams, areas: measures has no effect"]


def test_without_the_catalogue_only_the_catalogue_free_checks_run(
        project: Path, run: Runner) -> None:
    """Validating one rule file alone: its selections cannot be judged, so no warning."""
    write(project, "rules/more.yaml",
          "rules:\n  - id: ni-117\n    type: decline\n    select: {measures: 'ni-117*'}\n")
    code, lines = run("rules/more.yaml")
    assert code == 0
    assert lines == ["OK: 1 rule(s) and 0 measure(s) in 1 file(s)"]


def test_a_broken_file_next_to_one_with_warnings_reports_both(project: Path, run: Runner) -> None:
    """The YAML error and the other file's warning are both listed; errors come first."""
    write(project, "rules/broken.yaml", "rules:\n  - id: [unclosed\n")
    write(project, "rules/more.yaml",
          "rules:\n  - id: ni-117\n    type: decline\n    select: {measures: 'ni-117*'}\n")
    code, lines = run()
    assert code == 1
    assert lines[0].startswith("rules/broken.yaml:3: YAML syntax error")
    assert lines[1:] == [
        "rules/more.yaml:4: warning: rules[0].select.measures: rule 'ni-117' selects no "
        "measure in the catalogue ('ni-117*')",
        "1 error(s) in 5 file(s), 1 warning(s); 4 rule(s) and 3 measure(s) loaded from the "
        "files without errors"]


def test_a_broken_catalogue_does_not_make_every_selection_empty(project: Path, run: Runner) -> None:
    write(project, "rules/measures.yaml", CATALOGUE + "  - id: bad\n    polarity: upwards\n")
    write(project, "rules/more.yaml",
          "rules:\n  - id: visits\n    type: decline\n    select: {measures: 'visits-*'}\n")
    code, lines = run()
    assert code == 1
    assert warnings(lines) == []


# --- 2. polarity rules on measures without polarity --------------------------------------

def test_a_tolerance_rule_naming_a_measure_without_polarity(project: Path, run: Runner) -> None:
    write(project, "rules/more.yaml",
          "rules:\n  - id: volumes-red\n    type: tolerance\n    select:\n"
          "      measures: [contacts-received, visits-in-time]\n")
    assert warnings(run()[1]) == [
        "rules/more.yaml:5: warning: rules[0].select.measures: rule 'volumes-red' rates values "
        "by polarity, but 'contacts-received' has no polarity in the catalogue, so it is "
        "never rated"]


def test_a_decline_rule_without_direction_on_a_volume(project: Path, run: Runner) -> None:
    write(project, "rules/more.yaml",
          "rules:\n  - id: contacts-rising\n    type: decline\n"
          "    select: {measures: contacts-received}\n")
    assert warnings(run()[1]) == [
        "rules/more.yaml:4: warning: rules[0].select.measures: rule 'contacts-rising' follows "
        "polarity, but 'contacts-received' has no polarity in the catalogue, so it is never "
        "counted as declining (set direction: increase or decrease)"]


def test_comparator_and_spc_rules_on_a_volume(project: Path, run: Runner) -> None:
    """A comparator rule never compares a volume; an spc rule only finds it neutral."""
    write(project, "rules/more.yaml",
          "rules:\n  - id: contacts-vs-england\n    type: comparator\n    comparator: england\n"
          "    select: {measures: contacts-received}\n"
          "  - id: contacts-spc\n    type: spc\n    select: {measures: contacts-received}\n"
          "  - id: contacts-spc-neutral\n    type: spc\n    fire_on: [neutral]\n"
          "    select: {measures: contacts-received}\n")
    assert warnings(run()[1]) == [
        "rules/more.yaml:5: warning: rules[0].select.measures: rule 'contacts-vs-england' "
        "compares by polarity, but 'contacts-received' has no polarity in the catalogue, so it "
        "is never compared",
        "rules/more.yaml:8: warning: rules[1].select.measures: rule 'contacts-spc' judges "
        "special causes by polarity, but 'contacts-received' has no polarity in the catalogue, "
        "so it is only ever neutral, never a concern (add neutral to fire_on)"]


def test_a_decline_rule_with_a_direction_on_a_volume_is_fine(project: Path, run: Runner) -> None:
    write(project, "rules/more.yaml",
          "rules:\n  - id: contacts-rising\n    type: decline\n    direction: increase\n"
          "    select: {measures: contacts-received}\n")
    assert warnings(run()[1]) == []


def test_a_broad_selection_skips_volumes_quietly_unless_it_has_nothing_else(
        project: Path, run: Runner) -> None:
    """`tags: scorecard` includes a volume (fine); `tags: volumes` has only volumes."""
    write(project, "rules/more.yaml",
          "rules:\n  - id: scorecard-red\n    type: tolerance\n    select: {tags: scorecard}\n"
          "  - id: volumes-red\n    type: tolerance\n    select: {tags: volumes}\n")
    assert warnings(run()[1]) == [
        "rules/more.yaml:7: warning: rules[1].select.tags: rule 'volumes-red' rates values by "
        "polarity, but no measure it selects has a polarity in the catalogue "
        "('contacts-received'), so it is never rated"]


# --- 3. tolerances no value can exceed ---------------------------------------------------

@pytest.mark.parametrize(("measure", "line", "expected"), [
    ("  - id: m\n    polarity: bigger_is_better\n    unit: percent\n"
     "    tolerance: {absolute: 90}\n    targets: {'Sep-21': 85}\n", 24,
     "measures[3].tolerance: measure 'm': tolerance (absolute 90) is at least the target "
     "(85.0% for Sep-21), so no value can be worse than tolerance: it would have to be "
     "below zero"),
    ("  - id: m\n    polarity: smaller_is_better\n    unit: percent\n"
     "    tolerance: {relative: 5%}\n    targets: {'Sep-21': 96}\n", 24,
     "measures[3].tolerance: measure 'm': the target (96.0% for Sep-21) plus tolerance "
     "(relative 5%) reaches 100%, so no value can be worse than tolerance"),
    ("  - id: m\n    polarity: plan_is_best\n    unit: rate_per_1000\n"
     "    tolerance: {relative: 100%}\n", 24,
     "measures[3].tolerance: measure 'm': tolerance (relative 100%) is the whole target, so "
     "no value below plan can be worse than tolerance: it would have to be below zero"),
    ("  - id: m\n    polarity: smaller_is_better\n    unit: percent\n"
     "    tolerance: {absolute: 100}\n", 24,
     "measures[3].tolerance: measure 'm': tolerance (absolute 100) covers the whole 0-100% "
     "scale, so no value can be worse than tolerance"),
])
def test_a_tolerance_no_value_can_exceed(project: Path, run: Runner, measure: str,
                                         line: int, expected: str) -> None:
    write(project, "rules/measures.yaml", CATALOGUE + measure)
    assert warnings(run()[1]) == [f"rules/measures.yaml:{line}: warning: {expected}"]


@pytest.mark.parametrize("measure", [
    # Smaller is better: a count can rise past target + tolerance however large it is.
    "  - id: m\n    polarity: smaller_is_better\n    unit: count\n"
    "    tolerance: {absolute: 50}\n    targets: {'Sep-21': 2}\n",
    # Just under the target: a value of 0 is still worse than tolerance.
    "  - id: m\n    polarity: bigger_is_better\n    unit: percent\n"
    "    tolerance: {absolute: 84.5}\n    targets: {'Sep-21': 85}\n",
    # Currency may go below zero; a volume is never rated.
    "  - id: m\n    polarity: bigger_is_better\n    unit: currency\n"
    "    tolerance: {absolute: 900}\n    targets: {'Sep-21': 500}\n",
    "  - id: m\n    polarity: none\n    unit: count\n    tolerance: {relative: 100%}\n",
])
def test_a_tolerance_that_can_be_exceeded_is_fine(project: Path, run: Runner,
                                                  measure: str) -> None:
    write(project, "rules/measures.yaml", CATALOGUE + measure)
    assert warnings(run()[1]) == []


# --- 4. duplicate rule ids ---------------------------------------------------------------

def test_a_duplicate_rule_id_names_both_files_and_lines(project: Path, run: Runner) -> None:
    """Still an error (exit 1), at the later file's line, naming the first file and line."""
    write(project, "rules/zz.yaml", "# again\nrules:\n  - id: other\n    type: tolerance\n"
                                    "  - id: red\n    type: tolerance\n")
    code, lines = run()
    assert code == 1
    assert lines[0] == "rules/zz.yaml:5: rule 'red': id is already used in rules/rules.yaml:2"


# --- 5. routes ---------------------------------------------------------------------------

def _route(match: str, extra: str = "") -> str:
    return RECIPIENTS + f"    - match: {match}\n{extra}"


@pytest.mark.parametrize(("match", "extra", "line", "expected"), [
    ("{rule: cp-over-2yrs}", "", 16,
     "route.routes[4].match.rule: matches no rule id ('cp-over-2yrs'; did you mean "
     "'cp-over-2y'?)"),
    ("{teem: performance}", "", 16,
     "route.routes[4].match.teem: no rule gives its alerts a 'teem' label (did you mean "
     "'team'?)"),
    ("{severity: critcal}", "", 16,
     "route.routes[4].match.severity: no rule's alerts have severity 'critcal' (they have "
     "high, medium)"),
    ("{measure: [ni-117, ni-118]}", "", 16,
     "route.routes[4].match.measure: no rule's alerts have measure 'ni-117' or 'ni-118' (they "
     "have contacts-received, exclusions, visits-in-time)"),
    ("{rule_type: risk_rise, measure: visits-in-time}", "", 16,
     "route.routes[4].match: no rule's alerts have rule_type 'risk_rise' and measure "
     "'visits-in-time' together"),
    ("{rule_type: case_duration}", "      routes:\n        - match: {area: Cotswolds}\n", 18,
     "route.routes[4].routes[0].match: no rule's alerts have rule_type 'case_duration' and "
     "area 'Cotswolds' together (with what the routes above it match)"),
    ("{rule_type: risk_rise}", "      min_severity: high\n", 17,
     "route.routes[4].min_severity: no rule whose alerts reach this route has severity "
     "high or above"),
])
def test_a_route_no_alert_can_reach(project: Path, run: Runner, match: str, extra: str,
                                    line: int, expected: str) -> None:
    write(project, "config/recipients.yaml", _route(match, extra))
    code, lines = run()
    assert code == 0
    assert warnings(lines) == [f"config/recipients.yaml:{line}: warning: {expected}"]


@pytest.mark.parametrize(("match", "rules"), [
    ("{rule: cp-over-2y}", ""),
    ("{team: Cheltenham*}", ""),  # from the data of case rules
    ("{owner: 'Spencer, Chris'}", ""),  # from the risk register
    ("{alert: 'red|*'}", ""),
    ("{team: performance, rule_type: tolerance}",  # a label the rule sets itself
     "  - id: perf-red\n    type: tolerance\n    labels: {team: performance}\n"),
])
def test_a_route_some_alert_can_reach_is_fine(project: Path, run: Runner, match: str,
                                              rules: str) -> None:
    write(project, "config/recipients.yaml", _route(match))
    if rules:
        write(project, "rules/more.yaml", "rules:\n" + rules)
    assert warnings(run()[1]) == []


@pytest.mark.parametrize(("inhibit", "expected"), [
    ("  - source: {rule: cp-over-2yrs}\n    target: {rule_type: tolerance}\n",
     "config/recipients.yaml:17: warning: inhibit[0].source.rule: matches no rule id "
     "('cp-over-2yrs'; did you mean 'cp-over-2y'?)"),
    ("  - source: {rule: cp-over-2y}\n    target: {teem: x}\n",
     "config/recipients.yaml:18: warning: inhibit[0].target.teem: no rule gives its alerts a "
     "'teem' label (did you mean 'team'?)"),
])
def test_an_inhibit_rule_matching_nothing_is_warned(project: Path, run: Runner, inhibit: str,
                                                    expected: str) -> None:
    """Inhibit matchers are checked like route matchers (status and subject are not labels
    and are left alone)."""
    write(project, "config/recipients.yaml", RECIPIENTS + "inhibit:\n" + inhibit)
    code, lines = run()
    assert code == 0
    assert warnings(lines) == [expected]


def test_an_inhibit_rule_on_real_labels_is_fine(project: Path, run: Runner) -> None:
    write(project, "config/recipients.yaml", RECIPIENTS + "inhibit:\n  - source: "
          "{rule_type: tolerance, status: red}\n    target: {rule: cp-*}\n    equal: [area]\n")
    assert warnings(run()[1]) == []


def test_a_route_after_one_that_takes_all_its_alerts_is_warned(project: Path,
                                                                run: Runner) -> None:
    """First match wins: a route below one that takes every alert it could get never
    receives anything (routes test shows only the first)."""
    write(project, "config/recipients.yaml", RECIPIENTS.replace(
        "    - {match: {rule: cp-*}, receiver: safeguarding,\n       continue: true}\n",
        "    - {match: {rule: cp-*}, receiver: safeguarding}\n"
        "    - {match: {rule: cp-over-2y}, receiver: performance-team}\n"))
    assert warnings(run()[1]) == [
        "config/recipients.yaml:12: warning: route.routes[2]: every alert it could take is "
        "taken first by route.routes[1] above it (which has no continue: true); move this "
        "route up or add continue: true there"]


def test_a_route_matching_only_a_disabled_rule_is_warned(project: Path, run: Runner) -> None:
    write(project, "rules/more.yaml", "rules:\n  - id: paused\n    type: tolerance\n"
                                      "    enabled: false\n")
    write(project, "config/recipients.yaml", _route("{rule: paused}"))
    [warned] = warnings(run()[1])
    assert warned.endswith("route.routes[4].match.rule: matches only rules that are switched "
                           "off (enabled: false): paused")


def test_an_unknown_receiver_is_an_error_of_validate(project: Path, run: Runner) -> None:
    write(project, "config/recipients.yaml", _route("{rule: red}", "      receiver: nobody\n"))
    code, lines = run()
    assert code == 1
    assert lines == [
        "config/recipients.yaml:17: route: receiver 'nobody' is not defined under receivers",
        "1 error(s) in 3 file(s); 3 rule(s) and 3 measure(s) loaded from the files without "
        "errors"]


def test_an_unset_webhook_variable_only_stops_the_route_check(
        project: Path, run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets are often unset where rules are edited: a warning, not an error."""
    monkeypatch.delenv("LINT_TEST_WEBHOOK", raising=False)
    write(project, "config/recipients.yaml", RECIPIENTS.replace(
        "    email: {to: [safeguarding@example.gov.uk]}\n",
        "    teams: {url: '${LINT_TEST_WEBHOOK}'}\n") + "    - match: {rule: nothing-like-it}\n")
    code, lines = run()
    assert code == 0
    assert warnings(lines) == [
        "config/recipients.yaml:5: warning: environment variable LINT_TEST_WEBHOOK is not set, "
        "so the routes were not checked"]


def test_routes_are_not_linted_while_a_rule_file_is_broken(project: Path, run: Runner) -> None:
    """A rule missing from a broken file would make its routes look unreachable."""
    write(project, "rules/rules.yaml", RULES.replace("older_than: 2y", "older_than: 2 years"))
    code, lines = run()
    assert code == 1
    assert warnings(lines) == []


def test_routes_are_linted_only_with_the_rules_from_the_config(project: Path, run: Runner) -> None:
    """Given rule files, validate checks those alone: the routes are for all the rules."""
    write(project, "config/recipients.yaml", _route("{rule: nothing-like-it}"))
    code, lines = run("rules")
    assert code == 0
    assert lines == ["OK: 3 rule(s) and 3 measure(s) in 2 file(s)"]


# --- exit codes --------------------------------------------------------------------------

def test_warnings_fail_validate_only_with_strict(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 0 with warnings; 1 when the command line sets --strict."""
    write(project, "config/recipients.yaml", _route("{rule: nothing-like-it}"))
    settings = Settings(rules=("rules",), recipients="config/recipients.yaml")
    assert validate(argparse.Namespace(paths=[]), settings) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == "OK: 3 rule(s) and 3 measure(s) in 3 file(s), 1 warning(s)"
    assert validate(argparse.Namespace(paths=[], strict=True), settings) == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == "1 warning(s) in 3 file(s), failing with --strict; 3 rule(s) and 3 measure(s)"
