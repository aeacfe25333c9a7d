"""The rule contract: common fields, the selection of what a rule applies to, and evaluate().

A rule type is a frozen pydantic model extending `Rule` with its own options and an
`evaluate(data, context) -> list[Finding]`. Defining the subclass registers it; nothing else
needs editing to add one (see `alerting/rules/__init__.py`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, field_validator

from alerting.model.catalogue import Catalogue, Measure
from alerting.model.findings import Finding, Severity
from alerting.model.frames import CaseFrame, ObservationFrame, RiskFrame

RULE_TYPES: dict[str, type[Rule]] = {}


class RagScheme(StrEnum):
    """The two RAG schemes councils use (DOMAIN.md); a council picks one in config."""

    TARGET_WITH_TOLERANCE = "target_with_tolerance"
    TOLERANCE_BAND = "tolerance_band"


@dataclass(frozen=True)
class EvaluationData:
    """Everything rules read: the catalogue and columnar frames of the stored data."""

    catalogue: Catalogue
    observations: ObservationFrame
    risks: RiskFrame
    cases: CaseFrame


@dataclass(frozen=True)
class EvaluationContext:
    as_of: date
    rag_scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE
    include_all: bool = False  # also report ratings that are not exceptions (--all)


def _as_tuple(raw: Any) -> Any:
    if raw is None:
        return ()
    return (raw,) if isinstance(raw, str) else raw


def _matches(value: str | None, patterns: Sequence[str]) -> bool:
    if not patterns:
        return True
    if value is None:
        return False
    folded = value.casefold()
    return any(fnmatch.fnmatchcase(folded, p.casefold()) for p in patterns)


class Selection(BaseModel):
    """What a rule applies to. Keys combine with AND; list items with OR; globs allowed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measures: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    service_area: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    plan_types: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    @field_validator("*", mode="before")
    @classmethod
    def _one_or_many(cls, raw: Any) -> Any:
        return _as_tuple(raw)

    def matches_measure(self, measure: Measure) -> bool:
        if not _matches(measure.id, self.measures):
            return False
        if not _matches(measure.service_area, self.service_area):
            return False
        return not self.tags or any(_matches(tag, self.tags) for tag in measure.tags)

    def measure_mask(self, frame: ObservationFrame, catalogue: Catalogue) -> npt.NDArray[np.bool_]:
        """Per measure code of the frame: does this selection include it?"""
        return np.array([self.matches_measure(catalogue.get(m)) for m in frame.measure_ids],
                        dtype=bool)

    def area_mask(self, frame: ObservationFrame) -> npt.NDArray[np.bool_]:
        return np.array([_matches(a, self.areas) for a in frame.areas], dtype=bool)

    def latest_rows(self, frame: ObservationFrame, catalogue: Catalogue,
                    as_of: date) -> npt.NDArray[np.int64]:
        """Each selected series' latest row up to `as_of` (what a run on that date sees)."""
        rows = frame.latest_rows(as_of)
        wanted = self.measure_mask(frame, catalogue)[frame.measure[rows]]
        wanted &= self.area_mask(frame)[frame.area[rows]]
        return rows[wanted]

    def matches_area(self, area: str | None) -> bool:
        return _matches(area, self.areas)

    def matches_risk(self, risk_id: str) -> bool:
        return _matches(risk_id, self.risks)

    def matches_case(self, plan_type: str, team: str) -> bool:
        return _matches(plan_type, self.plan_types) and _matches(team, self.teams)


class Rule(BaseModel):
    """Fields every rule has. Subclasses set `rule_type` and add their own options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_type: ClassVar[str] = ""
    applies_to: ClassVar[str] = "measures"  # measures | risks | cases
    reads_comparators: ClassVar[bool] = False  # decides on the observations' comparator figures

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=120)
    type: str
    title: str = ""
    description: str = ""
    severity: Severity = Severity.MEDIUM
    labels: Mapping[str, str] = Field(default_factory=dict)
    select: Selection = Field(default_factory=Selection)
    enabled: bool = True
    # Template files (in config/templates/) for this rule's part of a notice.
    templates: Mapping[Literal["email_text", "email_html", "teams"], str] = Field(
        default_factory=dict)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.rule_type:
            RULE_TYPES[cls.rule_type] = cls

    @field_validator("labels", mode="before")
    @classmethod
    def _labels_are_text(cls, raw: Any) -> Any:
        if isinstance(raw, Mapping):
            return {str(k): str(v) for k, v in raw.items()}
        return raw

    @property
    def display_title(self) -> str:
        return self.title or self.id

    def evaluate(self, data: EvaluationData, context: EvaluationContext) -> list[Finding]:
        raise NotImplementedError

    def finding_labels(self, **extra: str | None) -> dict[str, str]:
        """Labels for routing: the rule's own, then what the finding is about."""
        labels = {"rule": self.id, "rule_type": self.rule_type, "severity": self.severity.value}
        labels.update({k: v for k, v in extra.items() if v})
        labels.update(self.labels)
        return labels
