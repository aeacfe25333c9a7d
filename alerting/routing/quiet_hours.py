"""Quiet hours: time intervals when a route's notices are held, as Alertmanager's
`time_intervals` with a route's `mute_time_intervals` and `active_time_intervals`.

A time interval names days (`working_days`: Monday to Friday less bank holidays and the
council's closure days, by the service's working-day calendar; `weekdays`; `weekends`;
`every_day`; or a list of day names) and, optionally, times of day in the council's time
zone (`times: [{start: "08:30", end: "17:30"}]`, end not included). A route with
`active_time_intervals` sends only inside them; one with `mute_time_intervals` sends nothing
inside them. A notice due while its route is quiet is queued at once but held: it goes when
the window next opens (the outbox's `not_before`), so nothing is lost and nobody is paged at
the weekend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerting.model.calendar import WorkingCalendar, england_and_wales

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# How far ahead to look for the window to open: an interval that never opens (no day
# matches in a year) holds nothing, rather than holding notices for ever.
_HORIZON_DAYS = 366


class Days(StrEnum):
    WORKING_DAYS = "working_days"  # Monday to Friday less bank holidays and closures
    WEEKDAYS = "weekdays"  # Monday to Friday
    WEEKENDS = "weekends"
    EVERY_DAY = "every_day"


class TimeRange(BaseModel):
    """Part of a day, from `start` up to (not including) `end`, in the council's time zone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, raw: Any) -> Any:
        if isinstance(raw, int):  # YAML reads 08:30 unquoted as a number of minutes (510)
            return time(raw // 60, raw % 60) if 0 <= raw < 24 * 60 else raw
        if raw == "24:00":
            return time.max
        return raw

    @model_validator(mode="after")
    def _in_order(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end:%H:%M}) must be after start ({self.start:%H:%M})")
        return self


class TimeInterval(BaseModel):
    """One entry of `time_intervals:` in the recipients file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=120)
    days: Days | tuple[str, ...] = Days.EVERY_DAY
    times: tuple[TimeRange, ...] = ()  # none: the whole day

    @field_validator("days", mode="before")
    @classmethod
    def _day_names(cls, raw: Any) -> Any:
        if isinstance(raw, list | tuple):
            names = tuple(str(d).strip().casefold() for d in raw)
            unknown = [n for n in names if n not in _DAY_NAMES]
            if unknown:
                raise ValueError(f"unknown day {unknown[0]!r} (days are {', '.join(_DAY_NAMES)}"
                                 f", or one of {', '.join(d.value for d in Days)})")
            return names
        return raw

    def covers_day(self, day: date, calendar: WorkingCalendar) -> bool:
        if isinstance(self.days, tuple):
            return _DAY_NAMES[day.weekday()] in self.days
        return {Days.WORKING_DAYS: calendar.is_working_day(day),
                Days.WEEKDAYS: day.weekday() < 5,
                Days.WEEKENDS: day.weekday() >= 5,
                Days.EVERY_DAY: True}[self.days]

    def covers(self, moment: datetime, calendar: WorkingCalendar) -> bool:
        """Is this local moment inside the interval?"""
        if not self.covers_day(moment.date(), calendar):
            return False
        now = moment.time()
        return not self.times or any(r.start <= now < r.end for r in self.times)

    def edges(self) -> list[time]:
        """The times of day at which being inside this interval can change."""
        return [time(0)] + [t for r in self.times for t in (r.start, r.end) if t != time.max]


@dataclass(frozen=True)
class Quiet:
    """A route's quiet hours: the intervals it sends only inside, and those it never sends
    in (both by name, checked against `time_intervals` when the file is read)."""

    active: tuple[TimeInterval, ...] = ()
    mute: tuple[TimeInterval, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.active or self.mute)

    def open_at(self, moment: datetime, calendar: WorkingCalendar) -> bool:
        if any(i.covers(moment, calendar) for i in self.mute):
            return False
        return not self.active or any(i.covers(moment, calendar) for i in self.active)

    def opens(self, now: datetime, zone: ZoneInfo,
              calendar: WorkingCalendar | None = None) -> datetime | None:
        """None when notices may go now; else the first moment (UTC) they may, within a
        year (an interval that never opens holds nothing)."""
        calendar = calendar or england_and_wales()
        local = now.astimezone(zone)
        if not self:
            return None
        if self.open_at(local, calendar):
            return None
        intervals = (*self.active, *self.mute)
        for offset in range(_HORIZON_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            edges = sorted({t for i in intervals for t in i.edges()})
            for edge in edges:
                moment = datetime.combine(day, edge, tzinfo=zone)
                # A wall time a clock change skips does not exist: zoneinfo moves it on.
                if moment <= local:
                    continue
                if self.open_at(moment, calendar):
                    return moment.astimezone(now.tzinfo)
        return None


@dataclass(frozen=True)
class LocalTime:
    """Where the council is: its time zone and its working days (settings' `timezone` and
    `calendar`), for quiet hours."""

    zone: ZoneInfo
    calendar: WorkingCalendar


def route_quiet(intervals: Mapping[str, TimeInterval], active: Sequence[str],
                mute: Sequence[str]) -> Quiet:
    return Quiet(tuple(intervals[n] for n in active if n in intervals),
                 tuple(intervals[n] for n in mute if n in intervals))
