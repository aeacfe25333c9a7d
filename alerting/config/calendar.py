"""The `calendar:` settings: whose bank holidays apply and the council's own closure days.

    calendar:
      bank_holidays: england_and_wales     # or none
      closures:
        - 2024-12-27                       # one day
        - {date: 2025-04-22, reason: staff training day}
        - {from: 2024-12-24, to: 2025-01-01, reason: Christmas shutdown}

Working days (`10wd` in rules) are counted in the calendar these settings give.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from alerting.model.calendar import BankHolidays, Closure, WorkingCalendar


def _a_date(raw: Any) -> date:
    """A date as YAML writes it (2024-12-27), or the same as text; nothing else (a number
    is not read as a timestamp, a date-time is not cut to its date)."""
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise ValueError(f"must be a date like 2024-12-27, got {raw!r}")


ClosureDate = Annotated[date, BeforeValidator(_a_date)]


class ClosureSettings(BaseModel):
    """One closure: a day (`date`, or the bare date) or a range (`from` .. `to`, inclusive)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    day: ClosureDate | None = Field(default=None, alias="date")
    first: ClosureDate | None = Field(default=None, alias="from")
    last: ClosureDate | None = Field(default=None, alias="to")
    reason: str = ""

    @model_validator(mode="before")
    @classmethod
    def _bare_date(cls, raw: Any) -> Any:
        if isinstance(raw, date | str):
            return {"date": raw}
        if raw is not None and not isinstance(raw, dict):
            raise ValueError("must be a date like 2024-12-27, or {date: ..., reason: ...}, or "
                             f"{{from: ..., to: ..., reason: ...}}, got {raw!r}")
        return raw

    @model_validator(mode="after")
    def _one_day_or_a_range(self) -> ClosureSettings:
        if self.day is not None:
            if self.first is not None or self.last is not None:
                raise ValueError("give either date (one day) or from and to (a range), not both")
        elif self.first is None or self.last is None:
            raise ValueError("needs date (one day), or both from and to (a range)")
        elif self.last < self.first:
            raise ValueError(f"ends (to: {self.last}) before it starts (from: {self.first})")
        return self

    def closure(self) -> Closure:
        first = self.day or self.first
        last = self.day or self.last
        assert first is not None and last is not None  # checked above
        return Closure(first, last, self.reason)


class CalendarSettings(BaseModel):
    """Which days are working days: weekdays less bank holidays and closures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bank_holidays: BankHolidays = BankHolidays.ENGLAND_AND_WALES
    closures: tuple[ClosureSettings, ...] = ()

    @field_validator("closures", mode="before")
    @classmethod
    def _none_is_no_closures(cls, raw: Any) -> Any:
        return () if raw is None else raw

    def working_calendar(self) -> WorkingCalendar:
        return _calendar(self.bank_holidays, tuple(c.closure() for c in self.closures))


@lru_cache(maxsize=8)
def _calendar(bank_holidays: BankHolidays, closures: tuple[Closure, ...]) -> WorkingCalendar:
    return WorkingCalendar(bank_holidays, closures)
