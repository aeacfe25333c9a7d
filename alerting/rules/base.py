"""The rule contract: common fields, the selection of what a rule applies to, and evaluate().

A rule type is a frozen pydantic model extending `Rule` with its own options and an
`evaluate(data, context) -> list[Finding]`. Defining the subclass registers it; nothing else
needs editing to add one (see `alerting/rules/__init__.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from alerting.model.calendar import WorkingCalendar, england_and_wales
from alerting.model.catalogue import Catalogue, Measure
from alerting.model.events import EventFrame
from alerting.model.fields import OneOrMany, globs_match
from alerting.model.findings import Finding, Severity, Status
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
    events: EventFrame = field(default_factory=lambda: EventFrame.from_records(()))


@dataclass(frozen=True)
class EvaluationContext:
    as_of: date
    rag_scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE
    include_all: bool = False  # also report ratings that are not exceptions (--all)
    # Working days for `10wd` durations: the service's calendar (settings `calendar:`).
    calendar: WorkingCalendar = field(default_factory=england_and_wales)


def _matches(value: str | None, patterns: Sequence[str]) -> bool:
    """A selection key left out selects everything."""
    return not patterns or globs_match(value, patterns)


class Selection(BaseModel):
    """What a rule applies to. Keys combine with AND; list items with OR; globs allowed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measures: OneOrMany = ()
    tags: OneOrMany = ()
    service_area: OneOrMany = ()
    areas: OneOrMany = ()
    risks: OneOrMany = ()
    plan_types: OneOrMany = ()
    teams: OneOrMany = ()

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


def _template_key(key: str, info: ValidationInfo) -> str:
    """A `templates:` key must name a part of a notice some channel renders. Rules know no
    channels, so the rule loader passes the keys they declare (`template_keys` in the
    validation context); a rule built without them takes any key."""
    known: Sequence[str] | None = (info.context or {}).get("template_keys")
    if known is not None and key not in known:
        quoted = [repr(k) for k in known]
        expected = quoted[0] if len(quoted) == 1 else \
            f"{', '.join(quoted[:-1])} or {quoted[-1]}"
        raise PydanticCustomError("literal_error", "Input should be {expected}",
                                  {"expected": expected})
    return key


TemplateKey = Annotated[str, AfterValidator(_template_key)]


class Rule(BaseModel):
    """Fields every rule has. Subclasses set `rule_type` and add their own options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_type: ClassVar[str] = ""
    applies_to: ClassVar[str] = "measures"  # measures | risks | cases
    # The selection keys this type reads (validate warns that the others narrow nothing), and
    # the labels whose values its findings take from the data (its `finding_labels(...)`);
    # None: any label. Route lint works out from these which routes a rule can reach.
    selected_by: ClassVar[tuple[str, ...]] = ("measures", "tags", "service_area", "areas")
    data_labels: ClassVar[tuple[str, ...] | None] = ("measure", "area", "service_area")
    # Does the type rate by the council's RAG scheme (red/amber/green or tolerance bands)?
    rates_by_scheme: ClassVar[bool] = False
    reads_comparators: ClassVar[bool] = False  # decides on the observations' comparator figures

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=120)
    type: str
    title: str = ""
    description: str = ""
    severity: Severity = Severity.MEDIUM
    labels: Mapping[str, str] = Field(default_factory=dict)
    select: Selection = Field(default_factory=Selection)
    enabled: bool = True
    # Template files (in config/templates/) for this rule's part of a notice, by the keys the
    # channels declare (email_text, email_html, teams: notifiers/*.py).
    templates: Mapping[TemplateKey, str] = Field(default_factory=dict)

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

    def scheme_in_force(self, scheme: RagScheme) -> RagScheme | None:
        """The RAG scheme this rule rates by under the council's `scheme`, or None if the
        type does not rate by one."""
        return scheme if self.rates_by_scheme else None

    def raises(self, scheme: RagScheme) -> Mapping[Status, str | None]:
        """The statuses this rule reports as exceptions under `scheme`, each with the option
        without which it never does (None: always possible). `alerting test` uses it to refuse
        expectations that could never pass; override where a type finds more than a breach."""
        return {Status.BREACH: None}

    def without_polarity(self) -> tuple[str, str] | None:
        """If this rule reads the measure's polarity: (what it uses polarity for, what happens
        to a measure without one), for validate's warning; None when polarity is not needed."""
        return None

    def finding_labels(self, **extra: str | None) -> dict[str, str]:
        """Labels for routing: the rule's own, then what the finding is about."""
        labels = {"rule": self.id, "rule_type": self.rule_type, "severity": self.severity.value}
        labels.update({k: v for k, v in extra.items() if v})
        labels.update(self.labels)
        return labels
