"""`case_duration`: open plans at least N old on the as-of date, one finding per child."""

from datetime import date

from alerting.model.calendar import Closure, WorkingCalendar
from alerting.model.findings import Status
from alerting.model.records import CaseRecord
from tests.helpers import data, rule, run

AS_OF = date(2019, 8, 31)


def plan(child, start, end=None, team="Stroud Safeguarding", plan_type="CP", worker="Worker 1"):
    return CaseRecord(child, plan_type, start, end, team, "Stroud", worker, "Neglect", 1)


def found(cases, as_of=AS_OF, **options):
    options.setdefault("older_than", "2y")
    return run(rule("case_duration", **options), data(cases=cases), as_of)


def test_exactly_two_years_counts_and_one_day_short_does_not():
    """Started 2017-08-31 is two years on 2019-08-31; 2017-09-01 is one day short."""
    findings = found([plan("C1", date(2017, 8, 31)), plan("C2", date(2017, 9, 1))])
    assert [(f.subject, f.status) for f in findings] == [("C1", Status.BREACH)]


def test_closed_plans_and_plans_ending_on_the_day_are_not_open():
    """An end date on or before the as-of date means the plan is no longer open."""
    cases = [plan("C1", date(2016, 1, 1), end=date(2019, 8, 31)),
             plan("C2", date(2016, 1, 1), end=date(2019, 1, 1)),
             plan("C3", date(2016, 1, 1), end=date(2019, 9, 15))]
    assert [f.subject for f in found(cases)] == ["C3"]


def test_plans_starting_after_the_as_of_date_are_ignored():
    """A backdated run does not see plans that had not started."""
    assert found([plan("C1", date(2019, 9, 1))], older_than="1d") == []


def test_warning_threshold_before_two_years():
    """warn_after 21m: a plan of 22 months warns, 20 months does not."""
    cases = [plan("C1", date(2017, 10, 15)), plan("C2", date(2017, 12, 15)),
             plan("C3", date(2017, 1, 1))]
    findings = {f.subject: f.status for f in found(cases, warn_after="21m")}
    assert findings == {"C1": Status.WARNING, "C3": Status.BREACH}


def test_finding_carries_child_id_team_and_worker_but_no_name():
    """Routing needs team and worker; the message has the child id and time on plan."""
    [finding] = found([plan("C000123", date(2017, 3, 1), worker="Worker 17")])
    assert finding.subject == "C000123"
    assert finding.area == "Stroud Safeguarding"
    assert finding.labels["team"] == "Stroud Safeguarding"
    assert finding.details["worker"] == "Worker 17"
    assert finding.details["months_on_plan"] == 29
    assert finding.message == ("Child C000123 (Stroud Safeguarding): on a CP plan since "
                               "2017-03-01, 2 years 5 months, at least 2 years; "
                               "allocated worker Worker 17")
    assert finding.identity == "test-case_duration|C000123|Stroud Safeguarding"


def test_selection_by_plan_type_and_team():
    """select: plan_types and teams (globs) restrict which plans count."""
    cases = [plan("C1", date(2016, 1, 1), plan_type="CIN"),
             plan("C2", date(2016, 1, 1), team="Cotswolds Safeguarding"),
             plan("C3", date(2016, 1, 1))]
    chosen = found(cases, select={"plan_types": ["CP"], "teams": ["Stroud*"]})
    assert [f.subject for f in chosen] == ["C3"]


def test_leap_day_as_of():
    """On 2020-02-29, two years back is 2018-02-28."""
    cases = [plan("C1", date(2018, 2, 28)), plan("C2", date(2018, 3, 1))]
    assert [f.subject for f in found(cases, as_of=date(2020, 2, 29))] == ["C1"]


def test_warn_after_must_be_shorter():
    """A warning threshold longer than the breach one is a rule error."""
    import pytest

    with pytest.raises(ValueError, match="warn_after"):
        rule("case_duration", older_than="2y", warn_after="30m")


# --- working-day thresholds (`10wd`): counted in the calendar, the start day not counted ---

CHRISTMAS_2023 = date(2023, 12, 27)  # Wed; Mon 25 and Tue 26 Dec 2023 are bank holidays


def test_working_day_threshold_gives_exact_children():
    """older_than 10wd on Wed 27 Dec 2023: plans from Mon 11 Dec or earlier (10+ working days,
    the two bank holidays skipped) breach; Tue 12 Dec (9 working days) does not."""
    cases = [plan("C1", date(2023, 12, 11)),  # exactly 10 working days: counts
             plan("C2", date(2023, 12, 12)),  # 9
             plan("C3", date(2023, 12, 10)),  # a Sunday start: 11
             plan("C4", date(2023, 12, 13), end=date(2023, 12, 20)),  # closed
             plan("C5", date(2023, 12, 1)),
             plan("C6", date(2023, 12, 15))]  # 14 calendar days but only 6 working days
    findings = found(cases, as_of=CHRISTMAS_2023, older_than="10wd")
    assert [f.subject for f in findings] == ["C1", "C3", "C5"]
    [c1] = [f for f in findings if f.subject == "C1"]
    assert c1.message == ("Child C1 (Stroud Safeguarding): on a CP plan since 2023-12-11, "
                          "10 working days, at least 10 working days; allocated worker Worker 1")
    assert c1.details["working_days_on_plan"] == 10
    assert c1.details["older_than"] == "10wd"
    assert c1.details["breach_from"] == date(2023, 12, 11)


def test_working_day_warning_before_the_breach():
    """warn_after 5wd, older_than 10wd on Wed 27 Dec 2023: counts 10+, 5-9 and under 5."""
    cases = [plan("C1", date(2023, 12, 11)),  # 10: breach
             plan("C2", date(2023, 12, 18)),  # Tue 19..Fri 22 = 4, then Wed 27 = 5: warning
             plan("C3", date(2023, 12, 19))]  # 4: nothing
    findings = {f.subject: f.status
                for f in found(cases, as_of=CHRISTMAS_2023, older_than="10wd", warn_after="5wd")}
    assert findings == {"C1": Status.BREACH, "C2": Status.WARNING}


def test_working_days_use_the_councils_closures():
    """A council shutdown 27-29 Dec 2023 is skipped like the bank holidays: by Tue 2 Jan 2024
    a plan from 11 Dec has 10 working days, not 13."""
    shutdown = WorkingCalendar(closures=(Closure(date(2023, 12, 27), date(2023, 12, 29)),))
    cases = [plan("C1", date(2023, 12, 11)), plan("C2", date(2023, 12, 12))]
    as_of = date(2024, 1, 2)  # Mon 1 Jan is a bank holiday too
    rule_ = rule("case_duration", older_than="10wd")
    plain = [f.subject for f in run(rule_, data(cases=cases), as_of)]
    closed = [f.subject for f in run(rule_, data(cases=cases), as_of, calendar=shutdown)]
    assert plain == ["C1", "C2"]  # 11 Dec: 13 working days; 12 Dec: 12
    assert closed == ["C1"]  # 11 Dec: 10 working days; 12 Dec: 9


def test_working_day_warning_must_be_shorter_too():
    """warn_after 10wd with older_than 10wd (or 2w, a plain fortnight) is a rule error."""
    import pytest

    with pytest.raises(ValueError, match="warn_after"):
        rule("case_duration", older_than="10wd", warn_after="10wd")
    with pytest.raises(ValueError, match="warn_after"):
        rule("case_duration", older_than="2w", warn_after="10wd")
    assert rule("case_duration", older_than="3m", warn_after="40wd").warn_after is not None
