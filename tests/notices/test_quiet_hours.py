"""Quiet hours: a route's notices due at the weekend, on a bank holiday or outside office
hours are queued but held, and go when the window opens; nothing is lost or sent twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerting.model.calendar import Closure, WorkingCalendar, england_and_wales
from alerting.model.problems import ProblemsFound
from alerting.pipeline import deliver_outbox
from alerting.routing.quiet_hours import Quiet, TimeInterval
from alerting.routing.routes import load_routing
from tests.notices.conftest import messages
from tests.notices.scenario import Council
from tests.notifiers.helpers import SmtpServer

LONDON = ZoneInfo("Europe/London")
OFFICE = TimeInterval.model_validate({"name": "office", "days": "working_days",
                                      "times": [{"start": "08:30", "end": 1050}]})  # 17:30
WEEKENDS = TimeInterval.model_validate({"name": "weekends", "days": "weekends"})


def opens(quiet: Quiet, when: datetime, calendar: WorkingCalendar | None = None) -> datetime | None:
    return quiet.opens(when, LONDON, calendar or england_and_wales())


@pytest.mark.parametrize(("now", "expected"), [
    # Wednesday lunchtime: open, nothing held.
    (datetime(2026, 12, 2, 12, 0, tzinfo=UTC), None),
    # Friday evening: Monday 08:30 (GMT, so 08:30 UTC).
    (datetime(2026, 12, 4, 18, 0, tzinfo=UTC), datetime(2026, 12, 7, 8, 30, tzinfo=UTC)),
    # Saturday: the same Monday.
    (datetime(2026, 12, 5, 10, 0, tzinfo=UTC), datetime(2026, 12, 7, 8, 30, tzinfo=UTC)),
    # Early on a weekday: later that morning.
    (datetime(2026, 12, 2, 6, 0, tzinfo=UTC), datetime(2026, 12, 2, 8, 30, tzinfo=UTC)),
    # Christmas Eve evening 2026: Christmas Day (Fri), the weekend and the Boxing Day
    # substitute (Mon 28th) are off, so Tuesday 29th.
    (datetime(2026, 12, 24, 18, 0, tzinfo=UTC), datetime(2026, 12, 29, 8, 30, tzinfo=UTC)),
    # Easter 2026: Good Friday 3 April to Easter Monday 6 April; British Summer Time, so
    # 08:30 BST is 07:30 UTC on Tuesday 7 April.
    (datetime(2026, 4, 2, 17, 0, tzinfo=UTC), datetime(2026, 4, 7, 7, 30, tzinfo=UTC)),
    # 17:29 local is still open, 17:30 is not (end not included).
    (datetime(2026, 7, 1, 16, 29, tzinfo=UTC), None),
    (datetime(2026, 7, 1, 16, 30, tzinfo=UTC), datetime(2026, 7, 2, 7, 30, tzinfo=UTC)),
])
def test_office_hours_on_working_days(now: datetime, expected: datetime | None) -> None:
    """`active_time_intervals: [office]` holds until the next working day's 08:30."""
    assert opens(Quiet(active=(OFFICE,)), now) == expected


def test_closure_days_from_the_calendar_keep_the_window_shut() -> None:
    """A Christmas shutdown to New Year (a Friday bank holiday): Monday 4 January 2027."""
    calendar = WorkingCalendar(closures=(Closure(date(2026, 12, 29), date(2026, 12, 31)),))
    assert opens(Quiet(active=(OFFICE,)), datetime(2026, 12, 24, 18, 0, tzinfo=UTC),
                 calendar) == datetime(2027, 1, 4, 8, 30, tzinfo=UTC)


def test_muted_weekends_open_at_midnight_on_monday() -> None:
    """`mute_time_intervals: [weekends]`: held from Saturday to 00:00 Monday, local time."""
    quiet = Quiet(mute=(WEEKENDS,))
    assert opens(quiet, datetime(2026, 12, 5, 10, 0, tzinfo=UTC)) == \
        datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    assert opens(quiet, datetime(2026, 12, 7, 0, 0, tzinfo=UTC)) is None
    # In summer, midnight on Monday in London is 23:00 UTC on Sunday.
    assert opens(quiet, datetime(2026, 7, 4, 10, 0, tzinfo=UTC)) == \
        datetime(2026, 7, 5, 23, 0, tzinfo=UTC)


def test_an_interval_that_never_opens_holds_nothing() -> None:
    """No day of a year matches: rather than hold notices for ever, they go."""
    never = TimeInterval.model_validate({"name": "never", "days": []})
    assert opens(Quiet(active=(never,)), datetime(2026, 12, 5, 10, 0, tzinfo=UTC)) is None


RECIPIENTS = """\
receivers:
  - name: a
    email: {to: [a@x.example]}
route:
  receiver: a
"""


@pytest.mark.parametrize(("extra", "message"), [
    ("  active_time_intervals: [office]\n",
     "route.active_time_intervals: time interval 'office' is not defined under "
     "time_intervals (none are defined)"),
    ("time_intervals:\n  - {name: office, times: [{start: '09:00', end: '08:00'}]}\n",
     "end (08:00) must be after start (09:00)"),
    ("time_intervals:\n  - {name: office, days: [mondy]}\n", "unknown day 'mondy'"),
    ("time_intervals:\n  - {name: office}\n  - {name: office}\n",
     "time interval 'office' is defined twice"),
    ("time_intervals:\n  - {name: office, times: [{start: '25:00', end: '26:00'}]}\n",
     "time_intervals[0]"),
])
def test_a_wrong_time_interval_names_the_file_line_and_field(tmp_path: Path, extra: str,
                                                           message: str) -> None:
    file = tmp_path / "recipients.yaml"
    file.write_text(RECIPIENTS + extra)
    with pytest.raises(ProblemsFound) as caught:
        load_routing(file)
    problems = caught.value.problems
    assert any(message in p.message for p in problems), problems
    assert all(p.file.endswith("recipients.yaml") and p.line for p in problems)


def test_child_routes_inherit_quiet_hours(tmp_path: Path) -> None:
    """A child route without its own quiet hours takes its parent's; `[]` clears them."""
    file = tmp_path / "recipients.yaml"
    file.write_text(RECIPIENTS + "  active_time_intervals: office\n  routes:\n"
                    "    - match: {rule: a}\n    - match: {rule: b}\n"
                    "      active_time_intervals: []\n"
                    "time_intervals:\n  - {name: office, days: working_days}\n")
    routing = load_routing(file)
    inherited = routing.quiet(routing.routes_for({"rule": "a"})[0])
    cleared = routing.quiet(routing.routes_for({"rule": "b"})[0])
    assert [i.name for i in inherited.active] == ["office"]
    assert not cleared


QUIET = """
time_intervals:
  - name: office-hours
    days: working_days
    times: [{start: "08:30", end: "17:30"}]
"""


def test_a_breach_found_on_saturday_reaches_the_team_on_monday_morning(
        council: Council, smtp: SmtpServer) -> None:
    """Found on Saturday: queued, held, not sent, and not an outbox backlog; the dispatcher
    sends it once on Monday at 08:30, and never before."""
    council.write_recipients()
    text = (council.root / "recipients.yaml").read_text()
    text = text.replace("  send_resolved: true\n",
                        "  send_resolved: true\n  active_time_intervals: [office-hours]\n", 1)
    (council.root / "recipients.yaml").write_text(text + QUIET)
    council.now = datetime(2026, 11, 6, 10, 0, tzinfo=UTC)  # a Friday
    council.visits({"Sep-26": 70})
    outcome = council.run(date(2026, 9, 30))  # Saturday 7 November, 10:00
    assert len(outcome.notices) == 1
    assert outcome.notices[0].not_before == datetime(2026, 11, 9, 8, 30, tzinfo=UTC)
    assert messages(smtp) == []
    assert council.store.outbox_counts()["pending"] == 1
    assert council.store.oldest_pending(council.now) is None  # held is not waiting

    sunday = datetime(2026, 11, 8, 20, 0, tzinfo=UTC)
    assert deliver_outbox(council.store, council.settings, clock=lambda: sunday).sent == 0
    monday = datetime(2026, 11, 9, 8, 31, tzinfo=UTC)
    assert deliver_outbox(council.store, council.settings, clock=lambda: monday).sent == 1
    assert len(messages(smtp)) == 1
    assert deliver_outbox(council.store, council.settings,
                          clock=lambda: monday + timedelta(hours=1)).sent == 0
    # The next run that day finds the same breach: nothing new to say.
    council.now = monday
    assert council.run(date(2026, 9, 30), after=timedelta(hours=1)).notices == ()
