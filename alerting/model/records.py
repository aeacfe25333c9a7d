"""Typed rows of the data contract: observations, risk scores and case records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from alerting.model.periods import Period

# Comparator columns of the observations contract (any column named comparator_* is one too).
COMPARATOR_COLUMNS = frozenset({"england", "stat_neighbours", "statistical_neighbours",
                                "comparator_group", "peer_group", "good_outstanding", "region",
                                "national"})


def is_comparator(column: str) -> bool:
    return column in COMPARATOR_COLUMNS or column.startswith("comparator_")


@dataclass(frozen=True, slots=True)
class ObservationRecord:
    """A measure's value for one period and area, with its target and comparators."""

    measure_id: str
    period: Period
    area: str
    value: float | None
    target: float | None = None
    comparators: Mapping[str, float] = field(default_factory=dict)
    numerator: float | None = None
    denominator: float | None = None
    commentary: str | None = None
    raw_value: str | None = None  # the marker given when value is missing, e.g. 'Not published'


@dataclass(frozen=True, slots=True)
class RiskRecord:
    """A strategic risk's residual score for one period."""

    risk_id: str
    period: Period
    score: float
    likelihood: int | None = None
    impact: int | None = None
    level: str | None = None
    inherent_score: float | None = None
    owner: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """One plan for one child (pseudonymous id only, never a name)."""

    child_id: str
    plan_type: str
    start_date: date
    end_date: date | None
    team: str
    locality: str | None = None
    worker: str | None = None
    category: str | None = None
    previous_plans: int | None = None


@dataclass(frozen=True, slots=True)
class ObservationExtras:
    """The parts of an observation only a notice needs (fetched for findings, not for all rows)."""

    comparators: Mapping[str, float] = field(default_factory=dict)
    numerator: float | None = None
    denominator: float | None = None
    commentary: str | None = None
    raw_value: str | None = None


def risk_level(score: float) -> str:
    """Low 1-6, Moderate 7-12, High 13-25 (the council's risk matrix)."""
    if score <= 6:
        return "Low"
    if score <= 12:
        return "Moderate"
    return "High"
