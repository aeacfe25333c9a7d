"""The measure catalogue (`rules/measures.yaml`): what each measure is and how it is judged."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alerting.model.derivation import Derivation
from alerting.model.periods import PeriodError, parse_period
from alerting.model.problems import Problem, YamlDocument, problems_from_validation


class Polarity(StrEnum):
    """'Good performance is': which direction of change is good."""

    BIGGER_IS_BETTER = "bigger_is_better"
    SMALLER_IS_BETTER = "smaller_is_better"
    PLAN_IS_BEST = "plan_is_best"
    NONE = "none"

    @property
    def words(self) -> str:
        return {
            "bigger_is_better": "bigger is better",
            "smaller_is_better": "smaller is better",
            "plan_is_best": "plan is best",
            "none": "no polarity",
        }[self.value]


_POLARITY_SYNONYMS = {
    "bigger_is_better": Polarity.BIGGER_IS_BETTER,
    "higher_is_better": Polarity.BIGGER_IS_BETTER,
    "bigger": Polarity.BIGGER_IS_BETTER,
    "high": Polarity.BIGGER_IS_BETTER,
    "higher": Polarity.BIGGER_IS_BETTER,
    "smaller_is_better": Polarity.SMALLER_IS_BETTER,
    "lower_is_better": Polarity.SMALLER_IS_BETTER,
    "smaller": Polarity.SMALLER_IS_BETTER,
    "low": Polarity.SMALLER_IS_BETTER,
    "lower": Polarity.SMALLER_IS_BETTER,
    "plan_is_best": Polarity.PLAN_IS_BEST,
    "plan": Polarity.PLAN_IS_BEST,
    "on_target": Polarity.PLAN_IS_BEST,
    "none": Polarity.NONE,
    "": Polarity.NONE,
}


def parse_polarity(raw: Any) -> Polarity:
    if raw is None:
        return Polarity.NONE
    key = "_".join(str(raw).strip().lower().replace("-", " ").split())
    if key in _POLARITY_SYNONYMS:
        return _POLARITY_SYNONYMS[key]
    raise ValueError(
        "must be one of bigger_is_better, smaller_is_better, plan_is_best or none, "
        f"got {raw!r}"
    )


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "annual": 12}[self.value]


class Unit(StrEnum):
    PERCENT = "percent"
    COUNT = "count"
    RATE_PER_1000 = "rate_per_1000"
    RATE_PER_10000 = "rate_per_10000"
    CURRENCY = "currency"
    DAYS = "days"
    NUMBER = "number"

    def format_value(self, value: float | None) -> str:
        """A value as a report would print it: 69.5%, 722, 26.6 per 1,000, £1,200."""
        if value is None:
            return "no value"
        if self is Unit.PERCENT:
            return f"{value:.1f}%"
        if self is Unit.COUNT:
            return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
        if self is Unit.RATE_PER_1000:
            return f"{value:.1f} per 1,000"
        if self is Unit.RATE_PER_10000:
            return f"{value:.1f} per 10,000"
        if self is Unit.CURRENCY:
            return f"£{value:,.0f}"
        if self is Unit.DAYS:
            return f"{value:g} days"
        return f"{value:g}"



def _parse_fraction(raw: Any) -> float:
    """`5%` or `0.05` as a share; a bare number above 1 is refused as ambiguous."""
    if isinstance(raw, str) and raw.strip().endswith("%"):
        try:
            share = float(raw.strip()[:-1]) / 100
        except ValueError:
            raise ValueError(f"must be a share like 5% or 0.05, got {raw!r}") from None
        if share < 0:
            raise ValueError(f"must not be negative (it would turn the ratings round), "
                             f"got {raw!r}")
        return share
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 0 <= raw <= 1:
        return float(raw)
    raise ValueError(f"must be a share like 5% or 0.05, got {raw!r}")


class Tolerance(BaseModel):
    """How far from target still counts as 'within tolerance': absolute or a share of target."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    absolute: float | None = Field(default=None, ge=0)
    relative: float | None = None

    @field_validator("relative", mode="before")
    @classmethod
    def _relative_share(cls, raw: Any) -> float | None:
        return None if raw is None else _parse_fraction(raw)

    @model_validator(mode="after")
    def _exactly_one(self) -> Tolerance:
        if (self.absolute is None) == (self.relative is None):
            raise ValueError("must give exactly one of absolute or relative")
        return self

    def amount(self, target: float) -> float:
        if self.absolute is not None:
            return self.absolute
        return abs(target) * (self.relative or 0.0)

    def __str__(self) -> str:
        if self.absolute is not None:
            return f"absolute {self.absolute:g}"
        return f"relative {(self.relative or 0) * 100:g}%"


class Measure(BaseModel):
    """One measure (indicator) of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    title: str = ""
    polarity: Polarity = Polarity.NONE
    unit: Unit = Unit.NUMBER
    frequency: Frequency = Frequency.MONTHLY
    basis: str | None = None
    service_area: str | None = None
    tags: tuple[str, ...] = ()
    owner: str | None = None
    tolerance: Tolerance | None = None
    link: str | None = None
    targets: tuple[tuple[date, float], ...] = ()
    # Computed from child-level events (alerting/derived/) rather than loaded.
    derived: Derivation | None = None

    @field_validator("polarity", mode="before")
    @classmethod
    def _polarity(cls, raw: Any) -> Polarity:
        return parse_polarity(raw)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, raw: Any) -> Any:
        return (raw,) if isinstance(raw, str) else raw

    @field_validator("targets", mode="before")
    @classmethod
    def _targets(cls, raw: Any) -> Any:
        if raw is None:
            return ()
        if not isinstance(raw, Mapping):
            raise ValueError("must map period labels to targets, like {'Sep-21': 85}")
        parsed = []
        for label, value in raw.items():
            try:
                period = parse_period(str(label))
            except PeriodError as exc:
                raise ValueError(f"has a bad period: {exc}") from None
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"target for {label} must be a number, got {value!r}")
            parsed.append((period.end, float(value)))
        return tuple(sorted(parsed))

    @property
    def display_title(self) -> str:
        return self.title or self.id

    def target_for(self, period_end: date) -> float | None:
        for end, value in self.targets:
            if end == period_end:
                return value
        return None


@dataclass(frozen=True)
class Catalogue:
    """All known measures by id; measures seen only in data get a plain default entry."""

    measures: Mapping[str, Measure] = field(default_factory=dict)

    def get(self, measure_id: str) -> Measure:
        found = self.measures.get(measure_id)
        return found if found is not None else Measure(id=measure_id, title=measure_id)

    def __contains__(self, measure_id: object) -> bool:
        return measure_id in self.measures

    def __len__(self) -> int:
        return len(self.measures)

    def derived(self) -> list[Measure]:
        """The measures computed from events, in id order."""
        return sorted((m for m in self.measures.values() if m.derived is not None),
                      key=lambda m: m.id)


def catalogue_from_document(document: YamlDocument) -> tuple[Catalogue, list[Problem]]:
    """Build the catalogue from a parsed `measures.yaml`; bad entries are skipped and reported."""
    problems: list[Problem] = []
    data = document.data
    if data is None:
        return Catalogue(), problems
    if not isinstance(data, Mapping) or not isinstance(data.get("measures"), list):
        problems.append(
            Problem(document.file, document.line_of(("measures",)),
                    "a measure catalogue must have a top-level 'measures:' list")
        )
        return Catalogue(), problems
    measures: dict[str, Measure] = {}
    for index, entry in enumerate(data["measures"]):
        base = ("measures", index)
        subject = f"measure #{index + 1}"
        if isinstance(entry, Mapping) and entry.get("id"):
            subject = f"measure '{entry['id']}'"
        if not isinstance(entry, Mapping):
            problems.append(Problem(document.file, document.line_of(base),
                                    f"{subject}: must be a mapping of fields"))
            continue
        try:
            measure = Measure.model_validate(dict(entry))
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, document, base, subject, Measure))
            continue
        if measure.id in measures:
            problems.append(Problem(document.file, document.line_of(base),
                                    f"{subject}: id is used twice in the catalogue"))
            continue
        measures[measure.id] = measure
    return Catalogue(measures), problems


def merge_catalogues(parts: Iterable[Catalogue]) -> Catalogue:
    merged: dict[str, Measure] = {}
    for part in parts:
        merged.update(part.measures)
    return Catalogue(merged)

