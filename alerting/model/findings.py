"""Findings: what a rule found for one subject (measure × area, risk, or child)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """A rating or a rule outcome. Band names follow the RAG scheme in use."""

    # Scheme 'target_with_tolerance'
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    # Scheme 'tolerance_band'
    BETTER_THAN_TOLERANCE = "better_than_tolerance"
    WITHIN_TOLERANCE = "within_tolerance"
    WORSE_THAN_TOLERANCE = "worse_than_tolerance"
    # Either scheme
    NO_VALUE = "no_value"
    MISSING_TARGET = "missing_target"
    NO_INFORMATION = "no_information"
    # Other rule types
    BREACH = "breach"
    WARNING = "warning"
    OK = "ok"

    @property
    def words(self) -> str:
        return {
            "green": "on or better than target",
            "amber": "worse than target but within tolerance",
            "red": "significantly worse than target",
            "better_than_tolerance": "better than tolerance",
            "within_tolerance": "within tolerance",
            "worse_than_tolerance": "worse than tolerance",
            "no_value": "no value",
            "missing_target": "missing target",
            "no_information": "no information",
            "breach": "breach",
            "warning": "warning",
            "ok": "ok",
        }[self.value]


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}


def alert_identity(rule: str, subject: str, area: str | None) -> str:
    """The identity an alert is followed by across runs (the `alert` label)."""
    return f"{rule}|{subject}|{area or ''}"


@dataclass(frozen=True)
class Finding:
    """One outcome of one rule. `exception` is True when it is something to act on."""

    rule: str
    rule_type: str
    subject: str
    subject_title: str
    area: str | None
    period: date
    period_label: str
    status: Status
    severity: Severity
    exception: bool
    message: str
    value: float | None = None
    target: float | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def identity(self) -> str:
        """Stable across runs: rule + subject + area (subject is the child id for case rules)."""
        return alert_identity(self.rule, self.subject, self.area)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "type": self.rule_type,
            "subject": self.subject,
            "subject_title": self.subject_title,
            "area": self.area,
            "period": self.period.isoformat(),
            "period_label": self.period_label,
            "status": self.status.value,
            "severity": self.severity.value,
            "exception": self.exception,
            "value": self.value,
            "target": self.target,
            "message": self.message,
            "labels": dict(self.labels),
            "details": _jsonable(self.details),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value
