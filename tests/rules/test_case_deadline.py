"""`case_deadline`: events past their deadline in working days, one finding per child."""

from datetime import date

import pytest
from pydantic import ValidationError

from alerting.model.calendar import Closure, WorkingCalendar
from alerting.model.catalogue import Catalogue
from alerting.model.events import EventFrame, EventKind, EventRecord
from alerting.model.findings import Status
from alerting.model.frames import CaseFrame, ObservationFrame, RiskFrame
from alerting.rules import EvaluationData
from tests.helpers import rule, run

ASSESSMENT, CP_PLAN, S47 = EventKind.ASSESSMENT, EventKind.CP_PLAN, EventKind.S47


def event(child, start, end=None, kind=ASSESSMENT, team="Stroud Assessment",
          locality="Stroud", worker="Worker 1", **dates):
    details = dates.pop("details", {})
    return EventRecord(child, kind, start, end, team, locality, worker, dates, details)


def events_data(events):
    return EvaluationData(Catalogue({}), ObservationFrame.from_records(()),
                          RiskFrame.from_records(()), CaseFrame.from_records(()),
                          EventFrame.from_records(events))


def found(events, as_of, calendar=None, **options):
    options.setdefault("kind", "assessment")
    if "every" not in options:
        options.setdefault("within", "10wd")
    return run(rule("case_deadline", **options), events_data(events), as_of, calendar=calendar)


def subjects(findings):
    return [(f.subject, f.status) for f in findings]


def test_easter_2024_deadline_is_the_tuesday_after_and_on_the_day_is_in_time():
    """Fri 22 Mar 2024 + 10wd skips Good Friday and Easter Monday: due Tue 9 Apr."""
    events = [event("C1", date(2024, 3, 22))]
    assert found(events, date(2024, 4, 9)) == []          # the deadline day: not overdue
    [late] = found(events, date(2024, 4, 10))
    assert (late.subject, late.status) == ("C1", Status.BREACH)
    assert late.details["deadline"] == date(2024, 4, 9)
    assert (late.details["working_days_elapsed"], late.details["working_days_overdue"]) == (11, 1)


def test_completed_on_the_deadline_day_is_in_time_and_a_day_later_is_late():
    """late_in_period: completed on Tue 9 Apr 2024 is in time; Wed 10 Apr is one day late."""
    events = [event("C1", date(2024, 3, 22), end=date(2024, 4, 9)),
              event("C2", date(2024, 3, 22), end=date(2024, 4, 10))]
    findings = found(events, date(2024, 4, 30), late_in_period=True)
    assert subjects(findings) == [("C2", Status.BREACH)]
    assert findings[0].details["completed"] == date(2024, 4, 10)
    assert findings[0].details["working_days_overdue"] == 1


def test_completed_late_before_the_reporting_month_is_not_reported():
    """Only the as-of date's month counts for late completions."""
    events = [event("C1", date(2024, 3, 1), end=date(2024, 3, 28))]
    assert found(events, date(2024, 4, 30), late_in_period=True) == []
    assert subjects(found(events, date(2024, 3, 31), late_in_period=True)) == \
        [("C1", Status.BREACH)]


def test_christmas_2023_and_new_year_are_skipped():
    """Mon 18 Dec 2023 + 10wd skips 25, 26 Dec and 1 Jan: due Thu 4 Jan 2024."""
    events = [event("C1", date(2023, 12, 18))]
    assert found(events, date(2024, 1, 4)) == []
    assert subjects(found(events, date(2024, 1, 5))) == [("C1", Status.BREACH)]


def test_the_2022_jubilee_and_state_funeral_are_days_off():
    """Spring bank holiday moved to Thu 2 Jun 2022 with Fri 3 Jun added; 30 May worked;
    the State Funeral on Mon 19 Sep 2022 was a bank holiday."""
    events = [event("C1", date(2022, 5, 27)), event("C2", date(2022, 9, 12))]
    assert found(events, date(2022, 6, 14)) == []
    assert subjects(found(events, date(2022, 6, 15))) == [("C1", Status.BREACH)]
    assert found([events[1]], date(2022, 9, 20), within="5wd") == []
    assert subjects(found([events[1]], date(2022, 9, 21), within="5wd")) == \
        [("C2", Status.BREACH)]


def test_a_leap_day_is_a_working_day():
    """Thu 22 Feb 2024 + 10wd counts Thu 29 Feb: due Thu 7 Mar."""
    events = [event("C1", date(2024, 2, 22))]
    assert found(events, date(2024, 3, 7)) == []
    assert subjects(found(events, date(2024, 3, 8))) == [("C1", Status.BREACH)]


def test_a_deadline_never_falls_on_a_holiday_or_a_weekend():
    """Thu 28 Mar 2024 + 1wd is Tue 2 Apr, and a Saturday as-of after a Friday deadline is
    not a working day late."""
    assert found([event("C1", date(2024, 3, 28))], date(2024, 4, 1), within="1wd") == []
    assert subjects(found([event("C1", date(2024, 3, 28))], date(2024, 4, 2),
                          within="1wd")) == []
    assert subjects(found([event("C1", date(2024, 3, 28))], date(2024, 4, 3),
                          within="1wd")) == [("C1", Status.BREACH)]
    friday_due = [event("C2", date(2024, 5, 10))]  # + 5wd = Fri 17 May
    assert found(friday_due, date(2024, 5, 18), within="5wd") == []
    assert subjects(found(friday_due, date(2024, 5, 20), within="5wd")) == \
        [("C2", Status.BREACH)]


def test_closures_in_the_councils_calendar_push_the_deadline():
    """A council closure on 27-29 Dec 2023 moves Mon 18 Dec + 10wd to Tue 9 Jan 2024."""
    calendar = WorkingCalendar(closures=(Closure(date(2023, 12, 27), date(2023, 12, 29)),))
    events = [event("C1", date(2023, 12, 18))]
    assert found(events, date(2024, 1, 9), calendar=calendar) == []
    assert subjects(found(events, date(2024, 1, 10), calendar=calendar)) == \
        [("C1", Status.BREACH)]


def test_warn_at_warns_from_its_day_and_breach_takes_over():
    """45wd with warn_at 40wd: exactly 40 working days elapsed is a warning, 46 a breach."""
    start = date(2019, 6, 3)
    calendar = WorkingCalendar()
    day40, day45 = calendar.add_working_days(start, 40), calendar.add_working_days(start, 45)
    events = [event("C1", start)]
    options = {"within": "45wd", "warn_at": "40wd"}
    assert found(events, calendar.add_working_days(start, 39), **options) == []
    assert subjects(found(events, day40, **options)) == [("C1", Status.WARNING)]
    assert subjects(found(events, day45, **options)) == [("C1", Status.WARNING)]
    assert subjects(found(events, calendar.add_working_days(start, 46), **options)) == \
        [("C1", Status.BREACH)]


def test_named_clock_start_and_stop_initial_visit_within_10wd_of_referral():
    """from_date referral_date, until_date initial_visit: a visit stops the clock; an
    assessment closed without one is no longer open."""
    referral = date(2024, 3, 22)
    events = [
        event("C1", date(2024, 3, 25), referral_date=referral),                       # no visit
        event("C2", date(2024, 3, 25), referral_date=referral,
              initial_visit=date(2024, 4, 9)),                                        # on time
        event("C3", date(2024, 3, 25), referral_date=referral,
              initial_visit=date(2024, 4, 12)),                                       # late
        event("C4", date(2024, 3, 25), end=date(2024, 4, 5), referral_date=referral),  # closed
        event("C5", date(2024, 3, 25)),                                   # no referral date
    ]
    options = {"from_date": "referral_date", "until_date": "initial_visit"}
    assert subjects(found(events, date(2024, 4, 15), **options)) == [("C1", Status.BREACH)]
    assert subjects(found(events, date(2024, 4, 15), late_in_period=True, **options)) == \
        [("C1", Status.BREACH), ("C3", Status.BREACH)]


def test_a_stop_after_the_as_of_date_is_not_yet_known():
    """A backdated run sees the event as still open."""
    events = [event("C1", date(2024, 3, 22), end=date(2024, 5, 1))]
    assert subjects(found(events, date(2024, 4, 10))) == [("C1", Status.BREACH)]


def test_every_counts_from_the_last_visit_or_the_plan_start():
    """CP visits every 10wd while the plan is open: since the last visit, or since the start
    when there has been none; a closed plan is not checked."""
    as_of = date(2024, 4, 10)  # 10wd before is Fri 22 Mar (Easter skipped)
    events = [
        event("C1", date(2024, 1, 8), kind=CP_PLAN, last_visit=date(2024, 3, 22)),   # day 11
        event("C2", date(2024, 1, 8), kind=CP_PLAN, last_visit=date(2024, 3, 25)),   # day 10
        event("C3", date(2024, 3, 22), kind=CP_PLAN),                                # no visit
        event("C4", date(2024, 1, 8), end=date(2024, 3, 1), kind=CP_PLAN),          # ended
        event("C5", date(2024, 1, 8), kind=CP_PLAN, last_visit=date(2024, 4, 20)),  # future
    ]
    findings = found(events, as_of, kind="cp_plan", every="10wd", from_date="last_visit")
    assert subjects(findings) == [("C1", Status.BREACH), ("C3", Status.BREACH),
                                  ("C5", Status.BREACH)]
    assert findings[0].details["working_days_overdue"] == 1
    assert findings[0].details["recurring"] is True


def test_first_within_sets_the_first_deadline_of_a_recurring_one():
    """CP review conferences: first within 3 months of the plan, then every 6 months."""
    events = [event("C1", date(2023, 11, 30), kind=CP_PLAN),
              event("C2", date(2023, 6, 1), kind=CP_PLAN, latest_review=date(2023, 9, 4))]
    options = {"kind": "cp_plan", "every": "6m", "first_within": "3m",
               "from_date": "latest_review"}
    assert found(events, date(2024, 2, 29), **options) == []   # 30 Nov + 3m = 29 Feb (leap)
    assert subjects(found(events, date(2024, 3, 1), **options)) == [("C1", Status.BREACH)]
    assert [f.subject for f in found(events, date(2024, 3, 4), **options)] == ["C1"]  # due
    assert [f.subject for f in found(events, date(2024, 3, 5), **options)] == ["C1", "C2"]


def test_one_finding_per_child_the_most_overdue():
    """A child with two overdue assessments has one finding, for the longer one."""
    events = [event("C1", date(2024, 1, 8)), event("C1", date(2024, 2, 5), team="TACS")]
    [finding] = found(events, date(2024, 4, 30))
    assert finding.area == "Stroud Assessment"
    assert finding.details["child_level"] is True


def test_selection_by_team_and_locality_and_exclusions():
    """teams and areas narrow the events; exclude drops events by a coded detail."""
    events = [event("C1", date(2024, 1, 8), kind=S47, team="Cotswolds Safeguarding",
                    locality="Cotswolds"),
              event("C2", date(2024, 1, 8), kind=S47, team="Stroud Safeguarding"),
              event("C3", date(2024, 1, 8), kind=S47, team="Stroud Safeguarding",
                    details={"icpc_unnecessary": "Yes"})]
    options = {"kind": "s47", "until_date": "icpc_date", "within": "15wd",
               "exclude": {"icpc_unnecessary": ["yes", "y"]}}
    as_of = date(2024, 4, 30)
    assert [f.subject for f in found(events, as_of, **options)] == ["C1", "C2"]
    assert [f.subject for f in found(events, as_of, select={"areas": ["Cotswolds"]},
                                     **options)] == ["C1"]
    assert [f.subject for f in found(events, as_of, select={"teams": ["Stroud*"]},
                                     **options)] == ["C2"]


def test_other_kinds_and_events_not_yet_started_are_ignored():
    """Only the rule's kind; an event starting after as_of is not open."""
    events = [event("C1", date(2024, 1, 8), kind=CP_PLAN), event("C2", date(2024, 5, 1))]
    assert found(events, date(2024, 4, 30)) == []


def test_the_summary_counts_children_per_team_and_locality_with_share_and_longest():
    """Count, share of the team's open events of the kind, the longest and the locality
    with the most, as the report words them."""
    as_of = date(2019, 8, 30)
    def overdue(child, start, team, locality):
        return event(child, start, team=team, locality=locality)
    events = [overdue("A1", date(2019, 1, 2), "TACS", "Gloucester"),
              overdue("A2", date(2019, 3, 1), "Cotswolds Assessment", "Cotswolds"),
              overdue("A3", date(2019, 3, 4), "Cotswolds Assessment", "Cotswolds"),
              overdue("A4", date(2019, 8, 1), "Cotswolds Assessment", "Cotswolds"),  # in time
              overdue("A5", date(2019, 8, 1), "TACS", "Gloucester")]                # in time
    findings = found(events, as_of, within="90wd")
    assert [f.subject for f in findings] == ["A1", "A2", "A3"]
    summary = findings[0].details["summary"]
    assert (summary["count"], summary["cohort"]) == (3, 5)
    assert summary["localities"] == {"Cotswolds": 2, "Gloucester": 1}
    assert summary["longest"]["team"] == "TACS"
    assert findings[1].details["team_count"] == 2
    assert findings[1].details["team_cohort"] == 3
    assert findings[1].details["team_share"] == pytest.approx(0.6667)
    elapsed = findings[0].details["working_days_elapsed"]
    assert summary["text"] == (
        f"Assessments for 3 children have been open for more than 90 working days; "
        f"Cotswolds holds 2. The longest, {elapsed} working days, is with TACS.")


@pytest.mark.parametrize(("options", "words"), [
    ({"within": "45wd", "every": "10wd"}, "give one of within"),
    ({}, "give one of within"),
    ({"within": "45wd", "warn_at": "45wd"}, "warn_at (45wd) must be shorter"),
    ({"every": "10wd", "until_date": "x"}, "until_date stops a within deadline"),
    ({"every": "10wd", "late_in_period": True}, "late_in_period needs within"),
    ({"within": "10wd", "first_within": "5wd"}, "first_within is the first deadline"),
    ({"within": "10wd", "from_date": "Referral Date"}, "String should match pattern"),
])
def test_option_mistakes_are_refused(options, words):
    """Contradictory or malformed options fail validation with words naming the option."""
    with pytest.raises(ValidationError, match=words.replace("(", r"\(").replace(")", r"\)")):
        rule("case_deadline", kind="assessment", **options)


def test_an_unknown_kind_is_refused():
    """kind must be one of the event kinds."""
    with pytest.raises(ValidationError, match="cp_plan"):
        rule("case_deadline", kind="cp_visit", within="10wd")


def test_backtest_replays_a_deadline_from_breach_to_resolution():
    """Replayed month by month, an assessment is overdue from the month after its deadline
    until the month it is authorised, then resolved; the cohort counts ride on each finding."""
    from alerting.authoring.backtest.replay import as_of_dates, has_data, run_backtest
    from alerting.config.ruleset import RuleSet

    case_rule = rule("case_deadline", id="assessment-45wd", kind="assessment", within="45wd")
    data = events_data([event("C1", date(2024, 1, 8), end=date(2024, 4, 15)),
                        event("C2", date(2024, 3, 1))])
    assert has_data(data)
    dates = as_of_dates(data, date(2024, 1, 1), date(2024, 6, 30))
    replay = run_backtest(RuleSet(rules=(case_rule,)), data, dates, None)
    spans = [(e.subject, e.started, e.ended) for e in replay.episodes]
    # C1: 45wd from 8 Jan 2024 is 11 Mar; C2: from 1 Mar it is 6 May (Easter, May Day).
    assert spans == [("C1", date(2024, 3, 31), date(2024, 4, 30)),
                     ("C2", date(2024, 5, 31), None)]
