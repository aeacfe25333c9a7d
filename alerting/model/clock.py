"""The clock: the one place the service reads the time of day, so every stage can be given
another (tests, backtests, a replayed run) instead of calling `datetime.now()` itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


def local_today(clock: Clock, time_zone: str) -> date:
    """Today's date where the council is (its configured time zone), by the given clock."""
    return clock().astimezone(ZoneInfo(time_zone)).date()
