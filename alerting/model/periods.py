"""Period labels as they appear in council scorecards, parsed into dated periods.

Every label form in DOMAIN.md is understood: `Sep-21`, `Aug 19`, `March 24`, `2016/17`
(financial year), `Q3 (2016/17)` / `Q3 2016/17` (financial quarters, Q1 = Apr-Jun),
`Academic Year Ending 2019` (ends 31 August), ISO `2021-09` and `2021-09-30`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    FINANCIAL_YEAR = "financial_year"
    ACADEMIC_YEAR = "academic_year"
    DAY = "day"


class PeriodError(ValueError):
    """A period label none of the accepted forms matches."""


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: the inclusive dates it covers and its kind."""

    end: date
    start: date
    kind: PeriodKind

    @property
    def label(self) -> str:
        """The label a performance report would print for this period."""
        return _label(self.end, self.start, self.kind)

    @property
    def month_index(self) -> int:
        """Months since year 0 of the period's end: consecutive monthly periods differ by 1."""
        return month_index(self.end)


@lru_cache(maxsize=65_536)
def _label(end: date, start: date, kind: PeriodKind) -> str:
    """Cached: a history has few distinct periods and labels are asked for often."""
    if kind is PeriodKind.MONTH:
        return end.strftime("%b-%y")
    if kind is PeriodKind.QUARTER:
        fy = _financial_year_start(end)
        quarter = ((end.month - 4) % 12) // 3 + 1
        return f"Q{quarter} {fy}/{(fy + 1) % 100:02d}"
    if kind is PeriodKind.FINANCIAL_YEAR:
        return f"{start.year}/{end.year % 100:02d}"
    if kind is PeriodKind.ACADEMIC_YEAR:
        return f"AY {start.year}/{end.year % 100:02d}"
    return end.isoformat()


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _financial_year_start(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@lru_cache(maxsize=8192)
def month_period(year: int, month: int) -> Period:
    return Period(end=_month_end(year, month), start=date(year, month, 1), kind=PeriodKind.MONTH)


def quarter_period(fy_start: int, quarter: int) -> Period:
    """Financial quarter `quarter` (1-4, Q1 = Apr-Jun) of the year starting April `fy_start`."""
    first_month = 4 + (quarter - 1) * 3
    year = fy_start + (first_month - 1) // 12
    first_month = (first_month - 1) % 12 + 1
    last = _month_end(year, first_month + 2)
    return Period(end=last, start=date(year, first_month, 1), kind=PeriodKind.QUARTER)


def financial_year_period(fy_start: int) -> Period:
    return Period(
        end=date(fy_start + 1, 3, 31), start=date(fy_start, 4, 1), kind=PeriodKind.FINANCIAL_YEAR
    )


def academic_year_period(ending: int) -> Period:
    return Period(
        end=date(ending, 8, 31), start=date(ending - 1, 9, 1), kind=PeriodKind.ACADEMIC_YEAR
    )


_MONTHS: dict[str, int] = {}
for _number in range(1, 13):
    _MONTHS[calendar.month_abbr[_number].lower()] = _number
    _MONTHS[calendar.month_name[_number].lower()] = _number
_MONTHS["sept"] = 9

_MONTH_RE = re.compile(r"^(?P<month>[a-z]+)\.?[\s\-_/']*(?P<year>\d{2}|\d{4})$")
_ISO_MONTH_RE = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$")
_ISO_DAY_RE = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})$")
_FY_RE = re.compile(r"^(?:fy\s*)?(?P<start>\d{4})\s*/\s*(?P<end>\d{2}|\d{4})$")
_QUARTER_RE = re.compile(
    r"^q(?P<quarter>[1-4])\s*\(?\s*(?P<start>\d{4})\s*/\s*(?P<end>\d{2}|\d{4})\s*\)?$"
)
_ACADEMIC_RE = re.compile(r"^academic\s+year\s+ending\s+(?P<year>\d{4})$")


def _full_year(text: str) -> int:
    value = int(text)
    return 2000 + value if len(text) == 2 else value


def _check_fy(start: int, end_text: str, label: str) -> None:
    expected = start + 1 if len(end_text) == 4 else (start + 1) % 100
    if int(end_text) != expected:
        raise PeriodError(f"'{label}' is not a financial year: {end_text} does not follow {start}")


@lru_cache(maxsize=8192)
def parse_period(label: str) -> Period:
    """Parse a period label, raising PeriodError naming the accepted forms."""
    text = " ".join(str(label).strip().split()).lower()
    if not text:
        raise PeriodError("period is blank")
    if match := _ISO_DAY_RE.match(text):
        try:
            day = date(int(match["year"]), int(match["month"]), int(match["day"]))
        except ValueError as exc:
            raise PeriodError(f"'{label}' is not a real date ({exc})") from None
        return Period(end=day, start=day, kind=PeriodKind.DAY)
    if match := _ISO_MONTH_RE.match(text):
        month = int(match["month"])
        if 1 <= month <= 12:
            return month_period(int(match["year"]), month)
    if match := _MONTH_RE.match(text):
        month = _MONTHS.get(match["month"], 0)
        if month:
            return month_period(_full_year(match["year"]), month)
    if match := _QUARTER_RE.match(text):
        start = int(match["start"])
        _check_fy(start, match["end"], label)
        return quarter_period(start, int(match["quarter"]))
    if match := _FY_RE.match(text):
        start = int(match["start"])
        _check_fy(start, match["end"], label)
        return financial_year_period(start)
    if match := _ACADEMIC_RE.match(text):
        return academic_year_period(int(match["year"]))
    raise PeriodError(
        f"'{label}' is not a period label this service understands; expected a month "
        "(Sep-21, Aug 19, March 24, 2021-09), a date (2021-09-30), a financial year (2016/17), "
        "a financial quarter (Q3 2016/17) or 'Academic Year Ending 2019'"
    )
