"""Compact series as test files write them: `"85 84 80 _ 73"`, one value per period from a
start period at a frequency (`_` is a blank cell: the period is there, with no value)."""

from __future__ import annotations

from collections.abc import Sequence
from math import isfinite
from typing import Any

from alerting.model.catalogue import Frequency
from alerting.model.frames import kind_code, period_from
from alerting.model.periods import Period, PeriodKind, month_period

MISSING = "_"
_KIND_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.FINANCIAL_YEAR: 12,
                PeriodKind.ACADEMIC_YEAR: 12}
_KIND_WORDS = {PeriodKind.MONTH: "a month", PeriodKind.QUARTER: "a quarter",
               PeriodKind.FINANCIAL_YEAR: "a financial year",
               PeriodKind.ACADEMIC_YEAR: "an academic year", PeriodKind.DAY: "a day"}


def parse_values(raw: Any) -> tuple[float | None, ...]:
    """`"85 84 _ 73"` (or one number, or a list) as values; `_` is a missing value.

    A bad item is named by its position, so `"85 8x 80"` says item 2 is the problem.
    """
    if isinstance(raw, bool):
        raise ValueError(f"must be numbers separated by spaces, got {raw!r}")
    if isinstance(raw, int | float):
        items: Sequence[Any] = [raw]
    elif isinstance(raw, str):
        items = raw.split()
    elif isinstance(raw, list | tuple):
        items = raw
    else:
        raise ValueError(f"must be numbers separated by spaces, like \"85 84 _ 73\", got {raw!r}")
    if not items:
        raise ValueError("must give at least one value (write _ for a missing one)")
    values: list[float | None] = []
    for position, item in enumerate(items, start=1):
        values.append(_one_value(item, position, raw))
    return tuple(values)


def _one_value(item: Any, position: int, whole: Any) -> float | None:
    if item is None or (isinstance(item, str) and item == MISSING):
        return None
    number: float | None = None
    if isinstance(item, int | float) and not isinstance(item, bool):
        number = float(item)
    elif isinstance(item, str) and "_" not in item:  # float() would read 1_000 as 1000
        try:
            number = float(item)
        except ValueError:
            number = None
    if number is None or not isfinite(number):
        advice = ("separate values with spaces, not commas" if "," in str(whole)
                  else "write numbers separated by spaces with _ for a missing value")
        raise ValueError(f"item {position} ({str(item)!r}) is not a number; {advice}, "
                         f"got {whole!r}")
    return number


def check_start(start: Period) -> Period:
    """A series starts at a month, a quarter or a year; single days are not periods here."""
    if start.kind not in _KIND_MONTHS:
        raise ValueError(
            f"must be a month (Sep-21), a quarter (Q2 2021/22) or a year (2021/22), "
            f"got the day {start.end.isoformat()}")
    return start


_STARTS = {Frequency.MONTHLY: "a month (like Sep-21)",
           Frequency.QUARTERLY: "a month or a quarter (like Sep-21 or Q2 2021/22)",
           Frequency.ANNUAL: "a month, a quarter or a year (like Sep-21, Q2 2021/22 or 2021/22)"}
# The last month a date can be in: a series must end by December 9999.
_LAST_MONTH_INDEX = 9999 * 12 + 11


def frequency_problem(start: Period, frequency: Frequency) -> str | None:
    """Why a series cannot step from `start` at `frequency`, or None when it can."""
    size = _KIND_MONTHS.get(start.kind)
    if size is None or frequency.months % size:
        return (f"a {frequency.value} series must start at {_STARTS[frequency]}, "
                f"not {_KIND_WORDS[start.kind]} ({start.label})")
    return None


def span_problem(start: Period, frequency: Frequency, count: int) -> str | None:
    """Why `count` periods from `start` would run past the last date there is, or None."""
    last = start.month_index + (count - 1) * frequency.months
    if last > _LAST_MONTH_INDEX:
        return (f"{count} {frequency.value} values from the period ending "
                f"{start.end.isoformat()} would run past December 9999, the last month a "
                "date can have; give fewer values or an earlier start")
    return None


def periods(start: Period, frequency: Frequency, count: int) -> list[Period]:
    """`count` periods of the start's kind, `frequency` apart (Sep-21 quarterly: Sep, Dec, ...)."""
    problem = frequency_problem(start, frequency) or span_problem(start, frequency, count)
    if problem:
        raise ValueError(problem)
    found = []
    for index in range(count):
        total = start.month_index + index * frequency.months
        end = month_period(total // 12, total % 12 + 1).end
        found.append(period_from(end.toordinal(), kind_code(start.kind)))
    return found
