"""`case_duration`: open plans at least N old on the as-of date, one finding per child."""

from datetime import date

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
