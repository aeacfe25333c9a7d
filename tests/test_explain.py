"""`alerting explain`: why a rule fired or did not for one subject, in plain English."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alerting.cli.main import main

MEASURES = """\
measures:
  - id: visits
    title: Initial visits in time
    polarity: bigger_is_better
    unit: percent
    frequency: monthly
    service_area: safeguarding
    tags: [scorecard]
    tolerance: {relative: 5%}
  - id: placements
    title: Placement stability
    polarity: bigger_is_better
    unit: percent
    frequency: monthly
    service_area: children_in_care
    tags: [scorecard]
    tolerance: {relative: 5%}
  - id: re-referrals
    title: Re-referrals
    polarity: smaller_is_better
    unit: percent
    frequency: monthly
  - id: audits
    title: Audits completed
    polarity: bigger_is_better
    unit: percent
    frequency: quarterly
    tags: [scorecard]
"""

RULES = """\
rules:
  - id: worse-than-target
    type: tolerance
    title: Significantly worse than target
    severity: high
  - id: decline
    type: decline
    title: Declined for the third month
    periods: 3
  - id: cic-decline
    type: decline
    title: Children in care decline
    select: {service_area: children_in_care}
  - id: overdue
    type: missing_data
    title: Value overdue
    select: {tags: [scorecard]}
  - id: risk-rise
    type: risk_rise
    title: Risk rose
    severity: high
  - id: cp-over-2y
    type: case_duration
    title: CP plan two years or more
    severity: high
    older_than: 2y
    warn_after: 21m
    select: {plan_types: [CP]}
  - id: old-rule
    type: tolerance
    title: Old tolerance rule
    enabled: false
"""

OBSERVATIONS = """\
measure_id,period,area,value,target
visits,Jun-21,Cotswolds,9.0,10
visits,Jul-21,Cotswolds,8.5,10
visits,Aug-21,Cotswolds,8.1,10
visits,Aug-21,Stroud,10.4,10
visits,Aug-21,Tewkesbury,9.5,10
visits,Jul-21,Cheltenham,9.9,10
visits,Aug-21,Cheltenham,Not published,10
placements,May-21,Gloucestershire,84,80
placements,Jun-21,Gloucestershire,82,80
placements,Jul-21,Gloucestershire,75,80
placements,Aug-21,Gloucestershire,73,80
re-referrals,May-21,Gloucestershire,20,22
re-referrals,Jun-21,Gloucestershire,24,22
re-referrals,Aug-21,Gloucestershire,29,22
"""

RISKS = """\
risk_id,period,score,owner,title
SR1,Jun-21,8,J Smith,Workforce capacity
SR1,Sep-21,12,J Smith,Workforce capacity
SR2,Jun-21,12,A Jones,Placement sufficiency
SR2,Sep-21,9,A Jones,Placement sufficiency
"""

CASES = """\
child_id,plan_type,start_date,end_date,team,locality,worker
C001,CP,2019-06-01,,Stroud Safeguarding,Stroud,Worker 1
C002,CP,2021-01-10,,Stroud Safeguarding,Stroud,Worker 2
C003,CP,2018-01-01,2020-02-01,Cotswolds Safeguarding,Cotswolds,Worker 3
C004,CIN,2018-01-01,,Stroud Safeguarding,Stroud,Worker 4
C005,CP,2019-09-30,,Gloucester Safeguarding,Gloucester,Worker 5
"""

SILENCES = """\
silences:
  - id: 3f2a
    rule: worse-than-target
    area: Cotswolds
    ends: 2099-10-15
    reason: awaiting data fix
    author: J Smith
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service config with the rules above and a SQLite store loaded with the data above."""
    root = tmp_path_factory.mktemp("explain")
    (root / "rules").mkdir()
    (root / "rules" / "measures.yaml").write_text(MEASURES)
    (root / "rules" / "rules.yaml").write_text(RULES)
    (root / "data").mkdir()
    for name, text in (("observations", OBSERVATIONS), ("risks", RISKS), ("cases", CASES)):
        (root / "data" / f"{name}.csv").write_text(text)
    (root / "silences.yaml").write_text(SILENCES)
    service = root / "service.yaml"
    service.write_text(f"database_url: sqlite:///{root / 'db.sqlite3'}\n"
                       f"rules: [{root / 'rules'}]\nsilences: {root / 'silences.yaml'}\n")
    assert main(["--config", str(service), "load", str(root / "data")]) == 0
    return service


def explain(config: Path, capsys: pytest.CaptureFixture[str], *args: str,
            as_of: str = "2021-09-30") -> tuple[int, str, str]:
    code = main(["--config", str(config), "explain", "--as-of", as_of, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- tolerance ---------------------------------------------------------------------------

def test_tolerance_fired_and_silenced(config, capsys):
    """A red value: the value, target, tolerance band, verdict and the silence muting it."""
    code, out, _ = explain(config, capsys, "--rule", "worse-than-target", "--subject", "visits",
                           "--area", "Cotswolds")
    assert code == 0
    assert out.startswith(
        "Rule worse-than-target (Significantly worse than target) looked at Initial visits in "
        "time (bigger is better) in Cotswolds as of 2021-09-30. ")
    assert ("The latest value is 8.1% for Aug-21, against a target of 10.0% with a tolerance "
            "of 5% relative (band 9.5%–10.0%). 8.1% is below the band, so it is RED and the rule "
            "FIRED (severity high).") in out
    assert ('It is silenced by silence 3f2a ("awaiting data fix", until 2099-10-15, by '
            'J Smith): the alert is recorded but no notice is sent.') in out
    assert "Silences are as they stand today" in out
    assert "not as of 2021-09-30" in out


def test_tolerance_not_fired_green(config, capsys):
    """A value on the good side of target is green."""
    code, out, _ = explain(config, capsys, "--rule", "worse-than-target", "--subject", "visits",
                           "--area", "stroud")
    assert code == 0
    assert "in Stroud as of 2021-09-30" in out
    assert ("10.4% is at or above the target 10.0%, so it is GREEN: the rule did not fire."
            in out)
    assert "silence" not in out.lower()


def test_tolerance_at_the_boundary_is_within_tolerance(config, capsys):
    """9.5% against 10% less 5% is exactly at the edge: amber, not red."""
    _, out, _ = explain(config, capsys, "--rule", "worse-than-target", "--subject", "visits",
                        "--area", "Tewkesbury")
    assert ("9.5% is worse than the target 10.0% but inside the band, exactly at the edge of "
            "the band (a value at the tolerance boundary is within tolerance), so it is AMBER: "
            "the rule did not fire") in out
    assert "include_amber: true would make it fire here" in out


def test_tolerance_missing_value(config, capsys):
    """A missing value is named with its marker and never rated a breach."""
    _, out, _ = explain(config, capsys, "--rule", "worse-than-target", "--subject", "visits",
                        "--area", "Cheltenham")
    assert ("There is no value for Aug-21 (marked 'Not published'), against a target of 10.0%, "
            "so it is rated NO VALUE: a missing value is reported as such, never as a breach, "
            "so the rule did not fire. The latest value before that is 9.9% for Jul-21.") in out


def test_without_area_every_area_is_explained(config, capsys):
    """No --area: one paragraph per area the measure has data for."""
    code, out, _ = explain(config, capsys, "--rule", "worse-than-target", "--subject", "VISITS")
    assert code == 0
    paragraphs = [p for p in out.split("\n\n") if p.startswith("Rule ")]
    areas = [p.split("(bigger is better) in ")[1].split(" as of")[0] for p in paragraphs]
    assert areas == ["Cheltenham", "Cotswolds", "Stroud", "Tewkesbury"]


# --- decline -----------------------------------------------------------------------------

def test_decline_fired_lists_the_values(config, capsys):
    """Three declines in a row: every value of the run and the rule's threshold."""
    _, out, _ = explain(config, capsys, "--rule", "decline", "--subject", "placements")
    assert ("The values are 84.0% (May-21), 82.0% (Jun-21), 75.0% (Jul-21), 73.0% (Aug-21): "
            "3 months of deterioration in a row (a decrease is worse, as bigger is better). "
            "The rule needs 3 months running, so it is a BREACH and the rule FIRED "
            "(severity medium).") in out
    assert "No silence mutes it today." in out


def test_decline_not_fired_says_what_broke_the_run(config, capsys):
    """Two declines only: the run is too short, and it starts at the first stored period."""
    _, out, _ = explain(config, capsys, "--rule", "decline", "--subject", "visits", "--area",
                        "Cotswolds")
    assert ("The values are 9.0% (Jun-21), 8.5% (Jul-21), 8.1% (Aug-21): only 2 months of "
            "deterioration in a row (a decrease is worse, as bigger is better); before that, "
            "Jun-21 is the first period stored, so there is nothing to compare with. The rule "
            "needs 3 months running, so the rule did not fire.") in out


def test_decline_gap_breaks_the_run(config, capsys):
    """No July row: the rise from June to August is not a run, and the target has no
    tolerance, so the verdict compares with the target itself."""
    _, out, _ = explain(config, capsys, "--rule", "decline", "--subject", "re-referrals")
    assert ("The latest period is Aug-21: the period before Aug-21 in the data is Jun-21, not "
            "the month before, and a gap breaks the run (an increase is worse, as smaller is "
            "better). So no run of deterioration ends at Aug-21; the rule needs 3 months "
            "running, so the rule did not fire.") in out
    _, out, _ = explain(config, capsys, "--rule", "worse-than-target", "--subject",
                        "re-referrals")
    assert ("The latest value is 29.0% for Aug-21, against a target of 22.0% with no tolerance. "
            "29.0% is above 22.0%, so it is RED and the rule FIRED (severity high).") in out


def test_not_selected_names_the_selector(config, capsys):
    """A measure outside the rule's service area: the selector and the measure's own value."""
    code, out, _ = explain(config, capsys, "--rule", "cic-decline", "--subject", "visits")
    assert code == 0
    assert ("It does not look at this at all: the rule selects service area children_in_care, "
            "and visits is in service area safeguarding. So the rule did not fire.") in out
    assert out.count("Rule cic-decline") == 1


# --- missing data ------------------------------------------------------------------------

def test_missing_data_fired(config, capsys):
    """The last value, the period now due, its deadline and the blank row."""
    _, out, _ = explain(config, capsys, "--rule", "overdue", "--subject", "visits", "--area",
                        "Cheltenham", as_of="2021-09-15")
    assert ("The latest value is 9.9% for Jul-21. The monthly value for the next period, "
            "Aug-21, is overdue from 2021-08-31 (the end of Aug-21, plus a grace of 0 days), and "
            "by 2021-09-15 there is no value for it (Aug-21 is stored without a value, marked "
            "'Not published'), so it is a BREACH and the rule FIRED (severity medium).") in out


def test_missing_data_not_yet_due(config, capsys):
    """The next value is not due until after the as-of date."""
    _, out, _ = explain(config, capsys, "--rule", "overdue", "--subject", "visits", "--area",
                        "Cotswolds", as_of="2021-09-15")
    assert ("The monthly value for the next period, Sep-21, is overdue from 2021-09-30 (the end "
            "of Sep-21, plus a grace of 0 days), which is after the as-of date 2021-09-15: "
            "nothing is missing yet, so the rule did not fire.") in out


def test_missing_data_for_a_measure_with_no_data_at_all(config, capsys):
    """A catalogue measure with no rows fires the missing-data rule."""
    _, out, _ = explain(config, capsys, "--rule", "overdue", "--subject", "audits")
    assert ("No data at all is loaded for audits, in any area or period up to 2021-09-30, so it "
            "is a BREACH and the rule FIRED (severity medium).") in out


# --- risk rise ---------------------------------------------------------------------------

def test_risk_rise_fired(config, capsys):
    """Both scores with levels, the rise and the rule's threshold."""
    _, out, _ = explain(config, capsys, "--rule", "risk-rise", "--subject", "sr1")
    assert out.startswith("Rule risk-rise (Risk rose) looked at strategic risk SR1 (Workforce "
                          "capacity) as of 2021-09-30.")
    assert ("The residual score rose from Moderate 8 in Jun-21 to Moderate 12 in Sep-21, a rise "
            "of 4; the rule fires on a rise of at least 1, so it is a BREACH and the rule FIRED "
            "(severity high). The owner is J Smith.") in out


def test_risk_rise_not_fired_when_the_score_fell(config, capsys):
    """A falling score is named as such."""
    _, out, _ = explain(config, capsys, "--rule", "risk-rise", "--subject", "SR2")
    assert ("The residual score fell from Moderate 12 in Jun-21 to Moderate 9 in Sep-21; the "
            "rule fires on a rise of at least 1, so the rule did not fire.") in out


# --- case duration -----------------------------------------------------------------------

def test_case_duration_fired(config, capsys):
    """Plan start, time on plan, both thresholds as dates, and the worker."""
    _, out, _ = explain(config, capsys, "--rule", "cp-over-2y", "--subject", "C001")
    assert ("looked at child C001's CP plan (Stroud Safeguarding) as of 2021-09-30. The CP plan "
            "started on 2019-06-01 and is open: 2 years 3 months on the plan at 2021-09-30; the "
            "rule fires for open plans of at least 2 years (started on or before 2019-09-30) and "
            "warns from 21 months (started on or before 2019-12-30), so it is a BREACH and the "
            "rule FIRED (severity high). Allocated worker: Worker 1.") in out


def test_case_duration_at_exactly_two_years_fires(config, capsys):
    """A plan that started exactly two years before the as-of date counts."""
    _, out, _ = explain(config, capsys, "--rule", "cp-over-2y", "--subject", "C005")
    assert "on the plan at 2021-09-30, exactly 2 years, which counts;" in out
    assert "so it is a BREACH and the rule FIRED (severity high)" in out


def test_case_duration_not_fired(config, capsys):
    """A young plan, an ended plan, and a plan type the rule does not select."""
    _, out, _ = explain(config, capsys, "--rule", "cp-over-2y", "--subject", "C002")
    assert ("The CP plan started on 2021-01-10 and is open: 8 months on the plan at 2021-09-30; "
            "the rule fires for open plans of at least 2 years") in out
    assert out.rstrip().endswith("So the rule did not fire.")
    _, out, _ = explain(config, capsys, "--rule", "cp-over-2y", "--subject", "C003")
    assert ("The CP plan ran from 2018-01-01 to 2020-02-01: it had ended by 2021-09-30, and only "
            "open plans count, so the rule did not fire.") in out
    _, out, _ = explain(config, capsys, "--rule", "cp-over-2y", "--subject", "C004")
    assert ("It does not look at this at all: the rule selects plan types CP, and this is a CIN "
            "plan. So the rule did not fire.") in out


# --- no data, disabled, unknown ----------------------------------------------------------

def test_no_data_before_the_as_of_date(config, capsys):
    """Data that only starts later: which periods exist, and that none is on or before as-of."""
    code, out, _ = explain(config, capsys, "--rule", "worse-than-target", "--subject", "visits",
                           "--area", "Cotswolds", as_of="2021-05-01")
    assert code == 0
    assert ("There is no data for visits in Cotswolds up to the as-of date: the stored periods "
            "run Jun-21 to Aug-21 (3 periods), all after 2021-05-01. So the rule did not fire."
            ) in out
    assert ('Its labels match silence 3f2a ("awaiting data fix", until 2099-10-15, by J Smith), '
            "which would mute it if it fired.") in out


def test_no_data_in_that_area(config, capsys):
    """An area the measure has no rows for: where it does have data."""
    code, out, _ = explain(config, capsys, "--rule", "worse-than-target", "--subject",
                           "placements", "--area", "Stroud")
    assert code == 0
    assert ("No data is loaded for placements in Stroud (it has data for Gloucestershire). The "
            "rule looks only at the areas a measure has data for, so the rule did not fire."
            ) in out


def test_disabled_rule_says_so_and_what_it_would_find(config, capsys):
    """A disabled rule finds nothing; explain still shows what it would find."""
    code, out, _ = explain(config, capsys, "--rule", "old-rule", "--subject", "visits",
                           "--area", "Cotswolds")
    assert code == 0
    assert out.startswith("Rule old-rule is disabled (enabled: false in ")
    assert "so it finds nothing and sends nothing. Were it enabled:" in out
    assert "8.1% is below the band, so it is RED and the rule would have FIRED" in out


def test_unknown_rule_suggests_close_ids(config, capsys):
    """A mistyped rule id exits 2 with the ids it may have meant."""
    code, out, err = explain(config, capsys, "--rule", "worse-than-targt", "--subject", "visits")
    assert (code, out) == (2, "")
    assert "error: no rule 'worse-than-targt' in the rule files (did you mean " \
           "worse-than-target?)" in err


def test_unknown_subject_suggests_close_ids(config, capsys):
    """A mistyped measure, child or risk exits 2 with suggestions."""
    code, _, err = explain(config, capsys, "--rule", "worse-than-target", "--subject", "visit")
    assert code == 2
    assert "error: no measure 'visit' in the catalogue or the stored data (did you mean " \
           "visits?)" in err
    code, _, err = explain(config, capsys, "--rule", "cp-over-2y", "--subject", "C0011")
    assert code == 2
    assert "error: no child 'C0011' in the case records (did you mean C001" in err


def test_subject_of_the_wrong_kind_and_unknown_area(config, capsys):
    """A risk given to a measure rule, or an area nobody has, is bad input (exit 2)."""
    code, _, err = explain(config, capsys, "--rule", "worse-than-target", "--subject", "SR1")
    assert code == 2
    assert ("rule 'worse-than-target' looks at measures, and 'SR1' is a strategic risk; rules "
            "that look at strategic risks: risk-rise") in err
    code, _, err = explain(config, capsys, "--rule", "worse-than-target", "--subject", "visits",
                           "--area", "Strod")
    assert code == 2
    assert "error: no area 'Strod' in the stored data (did you mean Stroud?)" in err


def test_a_silence_on_the_alert_itself_agrees_with_the_pipeline(config, capsys, tmp_path):
    """`silence add --alert rule|subject|area` mutes the alert in `notify`; explain says so."""
    shutil.copy(config.parent / "db.sqlite3", tmp_path / "db.sqlite3")
    (tmp_path / "silences.yaml").write_text(
        "silences:\n  - id: ab12\n    alert: 'worse-than-target|visits|Cotswolds'\n"
        "    ends: 2099-01-01\n    reason: known backlog\n    author: A Lead\n")
    (tmp_path / "recipients.yaml").write_text(
        "receivers:\n  - name: leads\n    file: {folder: " + str(tmp_path / "out") + "}\n"
        "route:\n  receiver: leads\n")
    service = tmp_path / "service.yaml"
    service.write_text(config.read_text().replace(str(config.parent / "db.sqlite3"),
                                                  str(tmp_path / "db.sqlite3"))
                       .replace(str(config.parent / "silences.yaml"),
                                str(tmp_path / "silences.yaml"))
                       + f"recipients: {tmp_path / 'recipients.yaml'}\n")
    main(["--config", str(service), "notify", "--as-of", "2021-09-30", "--no-send"])
    assert main(["--config", str(service), "alerts"]) == 0
    listed = [line for line in capsys.readouterr().out.splitlines()
              if "worse-than-target|visits|Cotswolds" in line]
    assert listed and "silenced by ab12" in listed[0]
    code, out, _ = explain(service, capsys, "--rule", "worse-than-target", "--subject", "visits",
                           "--area", "Cotswolds")
    assert code == 0
    assert 'It is silenced by silence ab12 ("known backlog"' in out


def test_figures_close_to_target_are_printed_apart(tmp_path, capsys):
    """84.96 against 85 reads '84.96% … the target 85.00%', not '85.0% … the target 85.0%'."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "measures.yaml").write_text(
        "measures:\n  - id: m\n    title: M\n    polarity: bigger_is_better\n    unit: percent\n"
        "    frequency: monthly\n    tolerance: {absolute: 2}\n")
    (tmp_path / "rules" / "rules.yaml").write_text(
        "rules:\n  - id: tol\n    type: tolerance\n    include_amber: true\n")
    (tmp_path / "obs.csv").write_text("measure_id,period,area,value,target\n"
                                      "m,Sep-21,A,84.96,85\n")
    service = tmp_path / "service.yaml"
    service.write_text(f"database_url: sqlite:///{tmp_path / 'db.sqlite3'}\n"
                       f"rules: [{tmp_path / 'rules'}]\nsilences: {tmp_path / 'none.yaml'}\n")
    assert main(["--config", str(service), "load", str(tmp_path / "obs.csv")]) == 0
    code, out, _ = explain(service, capsys, "--rule", "tol", "--subject", "m")
    assert code == 0
    assert "The latest value is 84.96% for Sep-21, against a target of 85.00%" in out
    assert "(band 83.0%–85.00%). 84.96% is worse than the target 85.00% but inside" in out
    assert "Rule tol looked at M (bigger is better) in A as of 2021-09-30." in out


# --- inhibition ---------------------------------------------------------------------------

INHIBITING_RECIPIENTS = """\
receivers:
  - name: performance
    email: {to: [performance@example.gov.uk]}
route:
  receiver: performance
inhibit:
  - source: {rule: worse-than-target, status: red}
    target: {rule_type: decline}
    reason: the breach says it already
"""


def test_a_decline_muted_by_a_red_breach_says_so(config, capsys, tmp_path):
    """Placements fell three months to 73% against 80%: red. With an inhibit rule, explain
    of the decline names the breach that mutes it and the rule's reason."""
    service = tmp_path / "service.yaml"
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(INHIBITING_RECIPIENTS)
    service.write_text(config.read_text() + f"recipients: {recipients}\n")
    code, out, _ = explain(service, capsys, "--rule", "decline", "--subject", "placements",
                           "--area", "Gloucestershire")
    assert code == 0
    assert "the rule FIRED" in out
    assert ("But rule worse-than-target (Significantly worse than target) also fires for "
            "placements in Gloucestershire (RED), and the recipients file's inhibit rule "
            "(rule=worse-than-target, status=red inhibits rule_type=decline with the same "
            "subject and area) mutes this alert while it does (the breach says it already)"
            in out)


def test_without_a_matching_breach_nothing_is_said_of_inhibition(config, capsys, tmp_path):
    """The same fired decline, but the inhibit rule wants an amber breach and the breach is
    red: nothing mutes it, and nothing is said of inhibition."""
    service = tmp_path / "service.yaml"
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(INHIBITING_RECIPIENTS.replace("status: red", "status: amber"))
    service.write_text(config.read_text() + f"recipients: {recipients}\n")
    _, out, _ = explain(service, capsys, "--rule", "decline", "--subject", "placements",
                        "--area", "Gloucestershire")
    assert "the rule FIRED" in out
    assert "inhibit" not in out


def test_case_duration_in_working_days_uses_the_service_calendar(tmp_path, capsys):
    """A `10wd` rule is explained in working days, counted with the configured closures."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "rules.yaml").write_text(
        "rules:\n  - id: cp-10wd\n    type: case_duration\n    older_than: 10wd\n")
    (tmp_path / "cases.csv").write_text(
        "child_id,plan_type,start_date,end_date,team\n"
        "C1,CP,2023-12-11,,Stroud Safeguarding\nC2,CP,2023-12-12,,Stroud Safeguarding\n")
    service = tmp_path / "service.yaml"
    service.write_text(f"database_url: sqlite:///{tmp_path / 'db.sqlite3'}\n"
                       f"rules: [{tmp_path / 'rules'}]\n"
                       "calendar:\n  closures:\n"
                       "    - {from: 2023-12-27, to: 2023-12-29, reason: Christmas shutdown}\n")
    assert main(["--config", str(service), "load", str(tmp_path / "cases.csv")]) == 0
    capsys.readouterr()
    _, out, _ = explain(service, capsys, "--rule", "cp-10wd", "--subject", "C1",
                        as_of="2024-01-02")
    assert ("(10 working days after the start, not counting weekends, bank holidays and "
            "closure days) on the plan at 2024-01-02, exactly 10 working days, which counts; "
            "the rule fires for open plans of at least 10 working days (started on or before "
            "2023-12-11), so it is a BREACH and the rule FIRED") in out
    _, out, _ = explain(service, capsys, "--rule", "cp-10wd", "--subject", "C2",
                        as_of="2024-01-02")
    assert "(9 working days after the start," in out
    assert out.rstrip().endswith("So the rule did not fire.")


def _deadline_service(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "rules.yaml").write_text(
        "rules:\n  - id: cp-visit-10wd\n    type: case_deadline\n    kind: cp_plan\n"
        "    every: 10wd\n    from_date: last_visit\n")
    (tmp_path / "events.csv").write_text(
        "child_id,kind,start_date,end_date,team,worker,last_visit\n"
        "K1,cp_plan,2023-06-01,,Stroud Safeguarding,Worker 2,2023-12-18\n"
        "K2,cp_plan,2023-06-01,,Stroud Safeguarding,,2023-12-19\n")
    service = tmp_path / "service.yaml"
    service.write_text(f"database_url: sqlite:///{tmp_path / 'db.sqlite3'}\n"
                       f"rules: [{tmp_path / 'rules'}]\n")
    assert main(["--config", str(service), "load", "--kind", "events",
                 str(tmp_path / "events.csv")]) == 0
    return service


def test_case_deadline_explains_the_clock_the_deadline_and_the_verdict(tmp_path, capsys):
    """A recurring visit deadline: last visit, the deadline over Christmas, days overdue."""
    service = _deadline_service(tmp_path)
    capsys.readouterr()
    code, out, _ = explain(service, capsys, "--rule", "cp-visit-10wd", "--subject", "K1",
                           as_of="2024-01-05")
    assert code == 0
    assert "looked at child K1's cp plan starting 2023-06-01 (Stroud Safeguarding)" in out
    assert ("Its clock started on 2023-12-18 and the deadline is 2024-01-04; it is still open "
            "after 11 working days, 1 working day overdue") in out
    assert "so it is a BREACH and the rule FIRED" in out
    assert "Allocated worker: Worker 2." in out
    _, out, _ = explain(service, capsys, "--rule", "cp-visit-10wd", "--subject", "K2",
                        as_of="2024-01-05")
    assert "the deadline is 2024-01-05; it is still open after 10 working days;" in out
    assert out.rstrip().endswith("So the rule did not fire.")
