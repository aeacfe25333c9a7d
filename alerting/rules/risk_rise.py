"""`risk_rise`: a strategic risk's residual score rose since the previous period.

Options narrow it to level changes (Moderate 12 -> High 16) or rises of at least N points.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from alerting.model.findings import Finding, Status
from alerting.model.records import risk_level
from alerting.rules.base import EvaluationContext, EvaluationData, Rule


def _score_text(score: float) -> str:
    return f"{risk_level(score)} {score:g}"


class RiskRiseRule(Rule):
    """Fire when the latest residual score is higher than the one before it."""

    rule_type = "risk_rise"
    applies_to = "risks"
    selected_by = ("risks",)
    data_labels = ("risk", "owner")

    type: Literal["risk_rise"]
    only_on_level_change: bool = False
    at_least: float = Field(default=1, gt=0)

    def evaluate(self, data: EvaluationData, context: EvaluationContext) -> list[Finding]:
        frame = data.risks
        keep = np.flatnonzero(frame.period_end <= context.as_of.toordinal())
        if keep.size < 2:
            return []
        risk = frame.risk[keep]
        is_last = np.ones(keep.size, dtype=bool)
        is_last[:-1] = risk[1:] != risk[:-1]
        has_previous = np.zeros(keep.size, dtype=bool)
        has_previous[1:] = risk[1:] == risk[:-1]
        latest = np.flatnonzero(is_last & has_previous)
        rows, previous = keep[latest], keep[latest - 1]
        rise = frame.score[rows] - frame.score[previous]
        fires = rise >= self.at_least - 1e-9
        findings = []
        for row, prev in zip(rows[fires], previous[fires], strict=True):
            risk_id = frame.risk_ids[frame.risk[row]]
            if not self.select.matches_risk(risk_id):
                continue
            before, after = float(frame.score[prev]), float(frame.score[row])
            level_change = risk_level(before) != risk_level(after)
            if self.only_on_level_change and not level_change:
                continue
            findings.append(self._finding(data, int(row), int(prev), before, after))
        return findings

    def _finding(self, data: EvaluationData, row: int, prev: int, before: float,
                 after: float) -> Finding:
        frame = data.risks
        risk_id = frame.risk_ids[frame.risk[row]]
        title = frame.titles.get(risk_id, "")
        owner = frame.owners.get(risk_id)
        period, previous = frame.period(row), frame.period(prev)
        message = (
            f"{risk_id}{' ' + title if title else ''}: residual score rose from "
            f"{_score_text(before)} in {previous.label} to {_score_text(after)} in {period.label}"
        )
        if owner:
            message += f" (owner {owner})"
        return Finding(
            rule=self.id, rule_type=self.rule_type, subject=risk_id, subject_title=title or risk_id,
            area=None, period=period.end, period_label=period.label, status=Status.BREACH,
            severity=self.severity, exception=True, message=message, value=after, target=None,
            labels=self.finding_labels(risk=risk_id, owner=owner),
            details={"previous_score": before, "previous_period": previous.end,
                     "previous_level": risk_level(before), "level": risk_level(after),
                     "owner": owner,
                     # What `alerting explain` needs to retell the comparison.
                     "previous_label": previous.label, "rise": after - before,
                     "at_least": self.at_least,
                     "only_on_level_change": self.only_on_level_change},
        )
