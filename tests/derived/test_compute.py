"""Derived measures computed from events: exact figures across bank holidays, weekends, a
leap year and the deadline day itself, per area and period."""

from __future__ import annotations

from datetime import date

import pytest

from alerting.derived import derive_observations
from alerting.model.calendar import WorkingCalendar, england_and_wales
from alerting.model.catalogue import Measure
from alerting.model.events import EventFrame, EventKind, EventRecord
from alerting.model.periods import PeriodKind

CAL = england_and_wales()


def measure(**derived: object) -> Measure:
    return Measure.model_validate({"id": "m", "unit": "percent", "derived": derived})


def assessment(child: str, locality: str | None, *, start: str = "2023-11-01",
               end: str | None = None, referral: str | None = None,
               visit: str | None = None, team: str | None = None) -> EventRecord:
    dates = {}
    if referral:
        dates["referral_date"] = date.fromisoformat(referral)
    if visit:
        dates["initial_visit"] = date.fromisoformat(visit)
    return EventRecord(child, EventKind.ASSESSMENT, date.fromisoformat(start),
                       date.fromisoformat(end) if end else None, team=team,
                       locality=locality, dates=dates)


VISITS = EventFrame.from_records([
    # Mon 11 Dec 2023 + 10wd = Wed 27 Dec (Christmas and Boxing Day skipped)
    assessment("C1", "Stroud", referral="2023-12-11", visit="2023-12-27"),    # deadline: in time
    assessment("C2", "Stroud", referral="2023-12-11", visit="2023-12-28"),    # the day after
    # Fri 16 Feb 2024 + 10wd = Fri 1 Mar (29 Feb counts: a leap year)
    assessment("C3", "Cotswolds", referral="2024-02-16", visit="2024-03-01"),  # in time
    assessment("C4", "Cotswolds", referral="2024-02-16", visit="2024-03-04"),  # late
    # Sat 2 Mar 2024 is day 0 too: + 10wd = Fri 15 Mar
    assessment("C5", "Stroud", referral="2024-03-02", visit="2024-03-15"),    # in time
    # Fri 22 Mar 2024 + 10wd = Tue 9 Apr (Good Friday and Easter Monday skipped)
    assessment("C6", "Cotswolds", referral="2024-03-22", visit="2024-04-09"),  # in time
    assessment("C7", None, referral="2024-03-22", visit="2024-04-10"),         # late, no locality
    assessment("C8", "Stroud", referral="2024-03-22"),                         # not visited yet
])


def table(records):
    return {(r.area, r.period.label): (r.value, r.numerator, r.denominator) for r in records}


def test_initial_visits_within_10_working_days_per_locality_and_month():
    """Counted from referral to visit: on the deadline day is in time, the day after is late;
    every area has every month from the first to the last, empty months without a value."""
    found = derive_observations(
        measure(**{"from": "assessment", "start": "referral_date", "stop": "initial_visit",
                   "within": "10wd"}), VISITS, CAL, "Gloucestershire")
    assert table(found) == {
        ("Gloucestershire", "Dec-23"): (50.0, 1, 2),
        ("Gloucestershire", "Jan-24"): (None, 0, 0),
        ("Gloucestershire", "Feb-24"): (None, 0, 0),
        ("Gloucestershire", "Mar-24"): (pytest.approx(200 / 3), 2, 3),
        ("Gloucestershire", "Apr-24"): (50.0, 1, 2),
        ("Cotswolds", "Dec-23"): (None, 0, 0),
        ("Cotswolds", "Jan-24"): (None, 0, 0),
        ("Cotswolds", "Feb-24"): (None, 0, 0),
        ("Cotswolds", "Mar-24"): (50.0, 1, 2),
        ("Cotswolds", "Apr-24"): (100.0, 1, 1),
        ("Stroud", "Dec-23"): (50.0, 1, 2),
        ("Stroud", "Jan-24"): (None, 0, 0),
        ("Stroud", "Feb-24"): (None, 0, 0),
        ("Stroud", "Mar-24"): (100.0, 1, 1),
        ("Stroud", "Apr-24"): (None, 0, 0),
    }
    assert {r.period.kind for r in found} == {PeriodKind.MONTH}


def test_45_working_days_over_easter_in_a_leap_year():
    """Thu 1 Feb 2024 + 45wd = Mon 8 Apr 2024 (29 Feb counted, Good Friday and Easter Monday
    not): completed on 8 April is in time, on 9 April late."""
    assert CAL.add_working_days(date(2024, 2, 1), 45) == date(2024, 4, 8)
    events = EventFrame.from_records([
        assessment("C1", "Stroud", start="2024-02-01", end="2024-04-08"),
        assessment("C2", "Stroud", start="2024-02-01", end="2024-04-09"),
        assessment("C3", "Stroud", start="2024-04-02", end="2024-04-02"),  # same day: 0wd
    ])
    found = derive_observations(measure(**{"from": "assessment", "within": "45wd"}), events,
                                CAL, "All")
    assert table(found) == {("All", "Apr-24"): (pytest.approx(200 / 3), 2, 3),
                            ("Stroud", "Apr-24"): (pytest.approx(200 / 3), 2, 3)}


def test_a_council_closure_moves_the_deadline():
    """With the Christmas shutdown as closure days, Mon 11 Dec 2023 + 10wd is 5 January."""
    from alerting.model.calendar import Closure

    shut = WorkingCalendar(closures=(Closure(date(2023, 12, 27), date(2023, 12, 29)),))
    events = EventFrame.from_records([
        assessment("C1", "Stroud", referral="2023-12-11", visit="2023-12-28"),
    ])
    m = measure(**{"from": "assessment", "start": "referral_date", "stop": "initial_visit",
                   "within": "10wd"})
    assert table(derive_observations(m, events, CAL, "All"))[("All", "Dec-23")][0] == 0.0
    assert table(derive_observations(m, events, shut, "All"))[("All", "Dec-23")][0] == 100.0


def test_counts_completed_and_open_over_the_limit_at_each_month_end():
    """count_completed counts stops per month; count_open_over counts, at each month end (or
    the latest date in the data), the open events past the limit."""
    events = EventFrame.from_records([
        assessment("C1", "Stroud", start="2024-02-01"),                  # never completed
        assessment("C2", "Stroud", start="2024-02-01", end="2024-04-09"),  # late, completed
        assessment("C3", "Cotswolds", start="2024-02-02", end="2024-03-05"),
    ])
    completed = derive_observations(measure(**{"from": "assessment", "count": "count_completed"}),
                                    events, CAL, "All")
    assert {k: v[0] for k, v in table(completed).items()} == {
        ("All", "Mar-24"): 1.0, ("All", "Apr-24"): 1.0,
        ("Cotswolds", "Mar-24"): 1.0, ("Cotswolds", "Apr-24"): 0.0,
        ("Stroud", "Mar-24"): 0.0, ("Stroud", "Apr-24"): 1.0}
    over = derive_observations(
        measure(**{"from": "assessment", "within": "45wd", "count": "count_open_over"}),
        events, CAL, "All")
    # 31 Mar: 40wd since 1 Feb, nobody over. April is counted as at 9 April (the latest date
    # in the data): C1 has 46wd and is open; C2 completed that day.
    assert {k: v[0] for k, v in table(over).items()} == {
        ("All", "Feb-24"): 0.0, ("All", "Mar-24"): 0.0, ("All", "Apr-24"): 1.0,
        ("Cotswolds", "Feb-24"): 0.0, ("Cotswolds", "Mar-24"): 0.0, ("Cotswolds", "Apr-24"): 0.0,
        ("Stroud", "Feb-24"): 0.0, ("Stroud", "Mar-24"): 0.0, ("Stroud", "Apr-24"): 1.0}


def test_quarterly_by_team_with_a_target_and_other_kinds_ignored():
    """A quarterly measure counts per financial quarter; `by: team` gives team areas; the
    declared target is each figure's target; events of other kinds are not counted."""
    events = EventFrame.from_records([
        assessment("C1", "Stroud", start="2024-02-01", end="2024-04-08", team="Team A"),
        assessment("C2", "Stroud", start="2024-02-01", end="2024-03-28", team="Team B"),
        EventRecord("C3", EventKind.CIN, date(2024, 1, 1), date(2024, 3, 1), team="Team A"),
    ])
    m = Measure.model_validate({"id": "q", "frequency": "quarterly", "derived": {
        "from": "assessment", "within": "45wd", "by": "team", "target": 85}})
    found = derive_observations(m, events, CAL, "All")
    assert table(found) == {("All", "Q4 2023/24"): (100.0, 1, 1),
                            ("All", "Q1 2024/25"): (100.0, 1, 1),
                            ("Team A", "Q4 2023/24"): (None, 0, 0),
                            ("Team A", "Q1 2024/25"): (100.0, 1, 1),
                            ("Team B", "Q4 2023/24"): (100.0, 1, 1),
                            ("Team B", "Q1 2024/25"): (None, 0, 0)}
    assert {r.target for r in found} == {85.0}


def test_no_events_of_the_kind_give_no_figures():
    """Nothing to count is no figure at all, not a row of zeros."""
    assert derive_observations(measure(**{"from": "icpc", "within": "15wd"}), VISITS, CAL,
                               "All") == []
