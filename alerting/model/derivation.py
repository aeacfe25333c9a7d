"""A derived measure's declaration (`derived:` in the measure catalogue): which child-level
events it is computed from, between which two dates the clock runs, the working-day limit,
what it counts and by which areas.

```yaml
- id: assessments-within-45wd
  unit: percent
  polarity: bigger_is_better
  derived: {from: assessment, within: 45wd}        # start_date -> end_date, by locality
```

The computation itself is `alerting/derived/`; this module only says what is asked for.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from alerting.model.durations import WorkingDays, parse_rule_duration
from alerting.model.events import EVENT_DATES, UNDATED_KINDS, EventKind

START_DATE = "start_date"
END_DATE = "end_date"


class Count(StrEnum):
    """What a derived measure's value is, per area and period."""

    PERCENT_WITHIN = "percent_within"    # % of those completed in the period that were in time
    COUNT_COMPLETED = "count_completed"  # how many were completed in the period
    COUNT_OPEN_OVER = "count_open_over"  # how many were open past the limit at the period end


class AreaLevel(StrEnum):
    """Areas a derived measure is given for, besides the whole authority."""

    LOCALITY = "locality"
    TEAM = "team"


def _working_days(raw: Any) -> WorkingDays | None:
    if raw is None:
        return None
    parsed = parse_rule_duration(raw)
    if not isinstance(parsed, WorkingDays):
        raise ValueError(f"must be a number of working days like 45wd, got {raw!r}")
    return parsed


def _kind(raw: Any) -> Any:
    if isinstance(raw, str) and raw.strip() not in {k.value for k in EventKind}:
        kinds = ", ".join(k.value for k in EventKind if k not in UNDATED_KINDS)
        raise ValueError(f"must be an event kind ({kinds}), got {raw!r}")
    return raw.strip() if isinstance(raw, str) else raw


def _levels(raw: Any) -> Any:
    return (raw,) if isinstance(raw, str) else raw


WithinField = Annotated[WorkingDays | None, BeforeValidator(_working_days),
                        PlainSerializer(lambda v: None if v is None else str(v))]


class Derivation(BaseModel):
    """How a measure is computed from events: `from` (the event kind), the clock's `start`
    and `stop` (`start_date`, `end_date` or one of the kind's named dates), `within` (working
    days), what to `count`, the areas (`by`) and a `target` for every period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Annotated[EventKind, BeforeValidator(_kind)] = Field(alias="from")
    start: str = START_DATE
    stop: str = END_DATE
    within: WithinField = None
    count: Count = Count.PERCENT_WITHIN
    by: Annotated[tuple[AreaLevel, ...], BeforeValidator(_levels)] = (AreaLevel.LOCALITY,)
    target: float | None = None

    @field_validator("kind")
    @classmethod
    def _dated(cls, kind: EventKind) -> EventKind:
        if kind in UNDATED_KINDS:
            raise ValueError(f"must be a kind with dates to count between ({kind.value} "
                             "records have none)")
        return kind

    @field_validator("start", "stop")
    @classmethod
    def _a_date_of_the_kind(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is None:  # the kind is wrong already, and said so
            return value
        known = (START_DATE, END_DATE, *EVENT_DATES[kind])
        if value not in known:
            raise ValueError(f"must be one of the dates {kind.value} events have "
                             f"({', '.join(known)}), got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Derivation:
        if self.start == self.stop:
            raise ValueError(f"start and stop are both {self.start!r}: the clock would never run")
        if self.within is None and self.count is not Count.COUNT_COMPLETED:
            raise ValueError(f"needs within (working days, like 45wd) for count "
                             f"{self.count.value}")
        return self

    @property
    def words(self) -> str:
        """The declaration in plain words, for explain and the docs."""
        clock = f"from {self.start} to {self.stop}"
        if self.count is Count.COUNT_COMPLETED:
            return f"{self.kind.value} events completed ({self.stop}) in the period"
        assert self.within is not None
        if self.count is Count.COUNT_OPEN_OVER:
            return (f"{self.kind.value} events still open at the period end more than "
                    f"{self.within.words} after {self.start}")
        return (f"% of {self.kind.value} events completed in the period within "
                f"{self.within.words} ({clock})")
