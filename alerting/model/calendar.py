"""The working-day calendar: Monday to Friday, less England and Wales bank holidays and the
council's own closure days (e.g. the Christmas shutdown).

Timeliness is counted in working days ("an assessment within 45 working days of referral").
The counting convention, used by every method here and by `10wd` durations:

- The start date is day 0 and is never counted, whatever day it is.
- `working_days_between(start, end)` counts the working days after `start` up to and
  including `end`: referral on Fri 1 March 2024, visit on Mon 4 March is 1 working day.
- `add_working_days(start, n)` is the deadline: the n-th working day after `start` (for
  "within 10 working days of referral", the date 10 working days after the referral date).
  A deadline never falls on a bank holiday or a closure day: it moves on to the next working
  day, because the count skips them. An event on the deadline day is in time
  (`working_days_between(start, deadline) == n`).

Bank holidays come from the `holidays` package, which knows them offline (including
substitute days and the one-off days: the 2022 Platinum Jubilee and State Funeral, the 2023
Coronation). They are loaded for BANK_HOLIDAY_YEARS; outside those years only weekends and
closures are days off. The numpy versions (`*_array`) take and give `datetime64[D]` columns,
for rules that evaluate thousands of children at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import numpy as np
import numpy.typing as npt

DayArray = npt.NDArray[np.datetime64]
CountArray = npt.NDArray[np.int64]

BANK_HOLIDAY_YEARS = range(1970, 2101)
_ONE_DAY = np.timedelta64(1, "D")


class BankHolidays(StrEnum):
    """Whose bank holidays are days off: England and Wales's, or none (closures only)."""

    ENGLAND_AND_WALES = "england_and_wales"
    NONE = "none"


@dataclass(frozen=True)
class Closure:
    """Days the council is closed, `first` to `last` inclusive, with why (for people)."""

    first: date
    last: date
    reason: str = ""

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"a closure ends ({self.last}) before it starts ({self.first})")

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@lru_cache(maxsize=4)
def bank_holidays(which: BankHolidays) -> tuple[date, ...]:
    """The bank holidays that fall on weekdays, sorted (weekends are days off anyway)."""
    if which is BankHolidays.NONE:
        return ()
    import holidays  # the package's country modules load on first use

    known = holidays.country_holidays("GB", subdiv="ENG", years=BANK_HOLIDAY_YEARS)
    return tuple(sorted(d for d in known if d.weekday() < 5))


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days, and counting in them (see the module for the convention)."""

    bank_holidays: BankHolidays = BankHolidays.ENGLAND_AND_WALES
    closures: tuple[Closure, ...] = ()
    # Derived once: every weekday that is not a working day, and numpy's calendar of them.
    days_off: frozenset[date] = field(init=False, repr=False, compare=False)
    _numpy: np.busdaycalendar = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        off = set(bank_holidays(self.bank_holidays))
        off.update(d for c in self.closures for d in c.days() if d.weekday() < 5)
        object.__setattr__(self, "days_off", frozenset(off))
        listed = np.array(sorted(off), dtype="datetime64[D]")
        object.__setattr__(self, "_numpy", np.busdaycalendar(holidays=listed))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.days_off

    def day_off_reason(self, day: date) -> str | None:
        """Why `day` is not a working day ('weekend', the holiday's or closure's name), or
        None when it is one."""
        if self.is_working_day(day):
            return None
        for closure in self.closures:
            if closure.first <= day <= closure.last:
                return closure.reason or "council closure"
        if day in bank_holidays(self.bank_holidays):
            import holidays

            return str(holidays.country_holidays("GB", subdiv="ENG", years=day.year)[day])
        return "weekend"

    def add_working_days(self, start: date, n: int) -> date:
        """The deadline n working days after `start`: the n-th working day after it.

        `n = 0` gives `start` itself. A negative n counts back: the n-th working day before
        `start` (the start itself not counted).
        """
        if n == 0:
            return start
        # A start that is not a working day first rolls to the working day before it (going
        # forward) or after it (going back), so it is never counted itself.
        day = np.datetime64(start, "D")
        if n > 0:
            found = np.busday_offset(day, n, roll="backward", busdaycal=self._numpy)
        else:
            found = np.busday_offset(day, n, roll="forward", busdaycal=self._numpy)
        return _to_date(found)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days elapsed after `start` up to and including `end` (0 when end <= start)."""
        if end <= start:
            return 0
        return int(np.busday_count(np.datetime64(start + timedelta(days=1), "D"),
                                   np.datetime64(end + timedelta(days=1), "D"),
                                   busdaycal=self._numpy))

    def latest_start(self, end: date, n: int) -> date:
        """The latest start date from which n working days have elapsed by `end`.

        A start is at least n working days before `end` exactly when it is on or before this
        date, so a rule can compare a column of start dates with one date.
        """
        if n <= 0:
            return end
        # The n-th working day counting back from `end` (end itself counted when it is a
        # working day) is the first day of the n; any start before it will do.
        nth = np.busday_offset(np.datetime64(end, "D"), -(n - 1), roll="backward",
                               busdaycal=self._numpy)
        return _to_date(nth) - timedelta(days=1)

    # Column versions: the same counting over numpy arrays of dates (datetime64[D]).

    def is_working_day_array(self, days: DayArray) -> npt.NDArray[np.bool_]:
        return np.is_busday(np.asarray(days, dtype="datetime64[D]"), busdaycal=self._numpy)

    def add_working_days_array(self, starts: DayArray, n: int | CountArray) -> DayArray:
        """`add_working_days` for each start (n may be one number or one per start)."""
        days = np.asarray(starts, dtype="datetime64[D]")
        steps = np.broadcast_to(np.asarray(n, dtype=np.int64), days.shape)
        ahead = np.busday_offset(days, steps, roll="backward", busdaycal=self._numpy)
        behind = np.busday_offset(days, steps, roll="forward", busdaycal=self._numpy)
        return np.where(steps > 0, ahead, np.where(steps < 0, behind, days))

    def working_days_between_array(self, starts: DayArray, ends: DayArray | date) -> CountArray:
        """`working_days_between` for each start and end (end may be one date for all)."""
        begin = np.asarray(starts, dtype="datetime64[D]") + _ONE_DAY
        stop = np.asarray(np.datetime64(ends, "D") if isinstance(ends, date) else ends,
                          dtype="datetime64[D]") + _ONE_DAY
        counts = np.busday_count(begin, stop, busdaycal=self._numpy)
        return np.maximum(counts, 0).astype(np.int64)


def _to_date(day: np.datetime64) -> date:
    found: date = day.astype("datetime64[D]").item()
    return found


def ordinals_to_days(ordinals: npt.NDArray[np.int64]) -> DayArray:
    """Dates held as `date.toordinal()` (as the case frame holds them) as datetime64[D]."""
    return (np.asarray(ordinals, dtype=np.int64) - _EPOCH_ORDINAL).astype("datetime64[D]")


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=1)
def england_and_wales() -> WorkingCalendar:
    """The default calendar: England and Wales bank holidays, no closures."""
    return WorkingCalendar()
