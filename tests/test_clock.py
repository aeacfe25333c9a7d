"""The clock is injected: today is the council's date by the configured time zone, and a
notice without a time of its own is dated by the clock the service was given."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alerting.model.clock import local_today
from notifiers import Notice
from notifiers.email import EmailTarget, build_message


def test_today_is_the_date_in_the_configured_time_zone() -> None:
    """23:30 UTC on 28 March is already the 29th in Auckland and still the 28th in London."""
    late = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    assert local_today(lambda: late, "Europe/London") == date(2026, 3, 28)
    assert local_today(lambda: late, "Pacific/Auckland") == date(2026, 3, 29)


def test_british_summer_time_moves_the_date() -> None:
    """23:30 UTC in July is 00:30 BST the next day."""
    summer = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    assert local_today(lambda: summer, "Europe/London") == date(2026, 7, 2)


def test_an_email_without_a_time_is_dated_by_the_given_clock() -> None:
    """The Date header comes from the injected clock, not the machine's."""
    notice = Notice(id="n1", receiver="r", channel="email", target={}, subject="s", text="t")
    fixed = datetime(2021, 9, 30, 7, 0, tzinfo=UTC)
    message = build_message(notice, "from@x.example", EmailTarget(to=["a@x.example"]),
                            now=lambda: fixed)
    assert message["Date"] == "Thu, 30 Sep 2021 07:00:00 +0000"
