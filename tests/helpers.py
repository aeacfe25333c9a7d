"""Builders for small hand-checked datasets used across rule tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from alerting.model.calendar import WorkingCalendar, england_and_wales
from alerting.model.catalogue import Catalogue, Measure
from alerting.model.findings import Finding
from alerting.model.frames import CaseFrame, ObservationFrame, RiskFrame
from alerting.model.periods import parse_period
from alerting.model.records import CaseRecord, ObservationRecord, RiskRecord
from alerting.rules import RULE_TYPES, EvaluationContext, EvaluationData, RagScheme, Rule


def measure(measure_id: str = "m", **fields: Any) -> Measure:
    fields.setdefault("title", measure_id.upper())
    fields.setdefault("polarity", "bigger_is_better")
    fields.setdefault("unit", "percent")
    return Measure.model_validate({"id": measure_id, **fields})


def series(measure_id: str, area: str, points: Sequence[tuple[str, float | None]],
           target: float | None = None) -> list[ObservationRecord]:
    return [ObservationRecord(measure_id, parse_period(label), area, value, target)
            for label, value in points]


def data(measures: Iterable[Measure] = (), observations: Iterable[ObservationRecord] = (),
         risks: Iterable[RiskRecord] = (), cases: Iterable[CaseRecord] = ()) -> EvaluationData:
    return EvaluationData(
        catalogue=Catalogue({m.id: m for m in measures}),
        observations=ObservationFrame.from_records(observations),
        risks=RiskFrame.from_records(risks),
        cases=CaseFrame.from_records(cases),
    )


def rule(rule_type: str, **options: Any) -> Rule:
    options.setdefault("id", f"test-{rule_type}")
    return RULE_TYPES[rule_type].model_validate({"type": rule_type, **options})


def run(rule_: Rule, data_: EvaluationData, as_of: date, *,
        scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE,
        include_all: bool = False, calendar: WorkingCalendar | None = None) -> list[Finding]:
    context = EvaluationContext(as_of, scheme, include_all,
                                calendar=calendar or england_and_wales())
    return rule_.evaluate(data_, context)
