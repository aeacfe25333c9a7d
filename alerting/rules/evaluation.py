"""The evaluation stage: run every enabled rule over the data and collect findings.

A rule that raises is reported and skipped; the others still run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from alerting.model.findings import Finding
from alerting.model.memory import collector_paused
from alerting.rules import EvaluationContext, EvaluationData, Rule

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RuleFailure:
    rule: str
    error: str


@dataclass(frozen=True)
class Evaluation:
    findings: tuple[Finding, ...]
    failures: tuple[RuleFailure, ...] = ()

    @property
    def exceptions(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.exception)


def evaluate(rules: Sequence[Rule], data: EvaluationData, context: EvaluationContext) -> Evaluation:
    findings: list[Finding] = []
    failures: list[RuleFailure] = []
    with collector_paused():  # findings hold no cycles: see model/memory.py
        for rule in rules:
            if not rule.enabled:
                continue
            try:
                found = rule.evaluate(data, context)
            except Exception as exc:  # one faulty rule must not stop the others
                log.exception("rule_failed", rule=rule.id, rule_type=rule.rule_type)
                failures.append(RuleFailure(rule.id, f"{type(exc).__name__}: {exc}"))
                continue
            log.debug("rule_evaluated", rule=rule.id, findings=len(found))
            findings.extend(found)
    # Most severe first; within a severity, in the order the rule pack lists its rules.
    order = {rule.id: index for index, rule in enumerate(rules)}
    findings.sort(key=lambda f: (not f.exception, -f.severity.rank, order.get(f.rule, 0),
                                 f.subject, f.area or ""))
    return Evaluation(tuple(findings), tuple(failures))
