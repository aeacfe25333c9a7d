"""Durations as rule authors write them (`2y`, `18m`, `6w`, `30d`, `10wd`) and calendar
arithmetic.

`2y`, `18m`, `6w` and `30d` are calendar durations (`Duration`). `10wd` is a count of working
days (`WorkingDays`): not a fixed span of time, so it is its own type, and every question asked
of it names the working calendar (bank holidays and closures) to count in.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

from alerting.model.calendar import WorkingCalendar

_DURATION_RE = re.compile(r"^\s*(?P<amount>\d+)\s*(?P<unit>[ymwd])\s*$")
_UNIT_WORDS = {"y": "year", "m": "month", "w": "week", "d": "day"}


@dataclass(frozen=True)
class Duration:
    """A calendar duration: years and months step by calendar, weeks and days by days."""

    amount: int
    unit: str  # y, m, w or d

    def before(self, day: date, calendar: WorkingCalendar | None = None) -> date:
        """The date this duration before `day` (2y before 2019-08-31 is 2017-08-31).

        A start on or before it is at least this long before `day`. The calendar is not
        needed (it is taken so rules can ask any duration the same way).
        """
        return self._shift(day, -1)

    def after(self, day: date, calendar: WorkingCalendar | None = None) -> date:
        """The date this duration after `day` (1m after 2019-08-31 is 2019-09-30)."""
        return self._shift(day, 1)

    def _shift(self, day: date, sign: int) -> date:
        if self.unit in "ym":
            months = sign * self.amount * (12 if self.unit == "y" else 1)
            total = day.year * 12 + day.month - 1 + months
            year, month = divmod(total, 12)
            month += 1
            last = calendar.monthrange(year, month)[1]
            return date(year, month, min(day.day, last))
        days = self.amount * (7 if self.unit == "w" else 1)
        return day + timedelta(days=sign * days)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    @property
    def words(self) -> str:
        word = _UNIT_WORDS[self.unit]
        return f"{self.amount} {word}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True)
class WorkingDays:
    """A count of working days (`10wd`), always counted in a working calendar.

    The start is day 0: `10wd` after a referral on Fri 1 March 2024 is Fri 15 March 2024
    (see alerting/model/calendar.py for the convention).
    """

    amount: int

    def __post_init__(self) -> None:
        if self.amount < 1:
            raise ValueError(f"must be at least 1 working day (1wd), got {self.amount}wd")

    def before(self, day: date, calendar: WorkingCalendar) -> date:
        """The latest start that is at least this many working days before `day`."""
        return calendar.latest_start(day, self.amount)

    def after(self, day: date, calendar: WorkingCalendar) -> date:
        """The deadline this many working days after `day` (a working day, never a holiday)."""
        return calendar.add_working_days(day, self.amount)

    def elapsed(self, start: date, end: date, calendar: WorkingCalendar) -> bool:
        """Have at least this many working days passed after `start` by `end`?"""
        return calendar.working_days_between(start, end) >= self.amount

    def __str__(self) -> str:
        return f"{self.amount}wd"

    @property
    def words(self) -> str:
        return f"{self.amount} working day{'' if self.amount == 1 else 's'}"


RuleDuration = Duration | WorkingDays


def parse_duration(raw: Any) -> Duration:
    """A calendar duration (2y, 18m, 6w, 30d), e.g. for how long a silence lasts."""
    if isinstance(raw, Duration):
        return raw
    match = _DURATION_RE.match(str(raw)) if isinstance(raw, str | int) else None
    if not match or isinstance(raw, int):
        raise ValueError(f"must be a duration like 2y or 18m, got {raw!r}")
    return Duration(int(match["amount"]), match["unit"])


_WORKING_DAYS_RE = re.compile(r"^\s*(?P<amount>[-+]?\d+(?:\.\d*)?)\s*wd\s*$")


def parse_rule_duration(raw: Any) -> RuleDuration:
    """A duration in a rule: a calendar duration (2y, 18m, 6w, 30d) or working days (10wd)."""
    if isinstance(raw, Duration | WorkingDays):
        return raw
    match = _WORKING_DAYS_RE.match(raw) if isinstance(raw, str) else None
    if match is None:
        try:
            return parse_duration(raw)
        except ValueError:
            raise ValueError(f"must be a duration like 2y, 18m or 10wd (working days), "
                             f"got {raw!r}") from None
    amount = match["amount"]
    if not amount.lstrip("+-").isdigit():
        raise ValueError(f"must be a whole number of working days, like 10wd, got {raw!r}")
    if int(amount) < 1:
        raise ValueError(f"must be at least 1 working day (1wd), got {raw!r}")
    return WorkingDays(int(amount))


# What rule options hold: a calendar duration or a count of working days.
DurationField = Annotated[RuleDuration, BeforeValidator(parse_rule_duration),
                          PlainSerializer(str)]


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from `earlier` to `later` (for 'time on plan')."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if later.day < earlier.day:
        months -= 1
    return months


_INTERVAL_RE = re.compile(r"^\s*(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>s|min|h|d|w)\s*$")
_INTERVAL_SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_interval(raw: Any) -> timedelta:
    """A clock interval as routes and schedules write it: 30s, 15min, 4h, 1d, 1w.

    Minutes are `min`, not `m`: in rule files `m` means months, so it is refused here.
    """
    if isinstance(raw, timedelta):
        return raw
    match = _INTERVAL_RE.match(raw) if isinstance(raw, str) else None
    if match is None:
        hint = " (use 'min' for minutes)" if isinstance(raw, str) and raw.strip().endswith("m") \
            else ""
        raise ValueError(f"must be an interval like 30s, 15min, 4h, 1d or 1w{hint}, got {raw!r}")
    return timedelta(seconds=float(match["amount"]) * _INTERVAL_SECONDS[match["unit"]])


def interval_text(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("min", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


IntervalField = Annotated[timedelta, BeforeValidator(parse_interval),
                          PlainSerializer(interval_text)]
