"""`decline`: N consecutive periods of deterioration ("declined for the third month").

Deterioration follows the measure's polarity (for plan-is-best: moving further from target);
for measures without polarity the rule's `direction` says whether decreases or increases
count. Consecutive means consecutive periods at the measure's frequency: a gap in the series,
a missing value or an unchanged value breaks the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from alerting.model.catalogue import Polarity
from alerting.model.findings import Finding, Status
from alerting.model.frames import ObservationFrame
from alerting.rules.base import EvaluationContext, EvaluationData, RagScheme, Rule
from alerting.rules.wording import ordinal, period_noun, subject_line

_BAD_SIGN = {Polarity.BIGGER_IS_BETTER: -1.0, Polarity.SMALLER_IS_BETTER: 1.0}


def run_lengths(bad: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """For each row, how many bad steps end there without a break (vectorised)."""
    index = np.arange(bad.size)
    last_break = np.maximum.accumulate(np.where(bad, -1, index))
    return np.where(bad, index - last_break, 0).astype(np.int64)


class DeclineRule(Rule):
    """Fire when a series has deteriorated for `periods` consecutive periods."""

    rule_type = "decline"

    type: Literal["decline"]
    periods: int = Field(default=3, ge=1, le=60)
    warn_at: int | None = Field(default=None, ge=1)
    direction: Literal["decrease", "increase"] | None = None

    @model_validator(mode="after")
    def _warning_before_breach(self) -> DeclineRule:
        if self.warn_at is not None and self.warn_at >= self.periods:
            raise ValueError(
                f"warn_at ({self.warn_at}) must be fewer than periods ({self.periods})")
        return self

    def raises(self, scheme: RagScheme) -> Mapping[Status, str | None]:
        return {Status.BREACH: None, Status.WARNING: "warn_at"}

    def without_polarity(self) -> tuple[str, str] | None:
        if self.direction is not None:
            return None
        return ("follows polarity",
                "never counted as declining (set direction: increase or decrease)")

    def deterioration(self, polarity: Polarity) -> str | None:
        """Which move counts as worse: 'decrease', 'increase', 'away_from_plan', or None
        (a measure without polarity when the rule sets no direction)."""
        if polarity is Polarity.PLAN_IS_BEST:
            return "away_from_plan"
        if polarity is Polarity.NONE:
            return self.direction
        return "decrease" if polarity is Polarity.BIGGER_IS_BETTER else "increase"

    def _bad_steps(self, frame: ObservationFrame, data: EvaluationData) -> npt.NDArray[np.bool_]:
        """True where a row is worse than the row before it in the same series, one period on."""
        n = len(frame)
        sign = np.zeros(len(frame.measure_ids))
        plan = np.zeros(len(frame.measure_ids), dtype=bool)
        step = np.ones(len(frame.measure_ids), dtype=np.int64)
        for code, measure_id in enumerate(frame.measure_ids):
            measure = data.catalogue.get(measure_id)
            step[code] = measure.frequency.months
            if measure.polarity is Polarity.PLAN_IS_BEST:
                plan[code] = True
            elif measure.polarity is Polarity.NONE:
                sign[code] = {"decrease": -1.0, "increase": 1.0, None: 0.0}[self.direction]
            else:
                sign[code] = _BAD_SIGN[measure.polarity]
        bad = np.zeros(n, dtype=bool)
        if n < 2:
            return bad
        month = frame.month
        codes = frame.measure[1:]
        same_series = ~frame.series_starts()[1:]
        consecutive = same_series & (month[1:] - month[:-1] == step[codes])
        delta = frame.value[1:] - frame.value[:-1]
        distance = np.abs(frame.value - frame.target)
        further = distance[1:] - distance[:-1]
        worse = np.where(plan[codes], further > 0, delta * sign[codes] > 0)
        bad[1:] = consecutive & worse  # NaN comparisons are False, so gaps in values break runs
        return bad

    def evaluate(self, data: EvaluationData, context: EvaluationContext) -> list[Finding]:
        frame, catalogue = data.observations, data.catalogue
        rows = self.select.latest_rows(frame, catalogue, context.as_of)
        if rows.size == 0:
            return []
        runs = run_lengths(self._bad_steps(frame, data))[rows]
        threshold = self.warn_at or self.periods
        findings = []
        for row, run in zip(rows[runs >= threshold], runs[runs >= threshold], strict=True):
            findings.append(self._finding(data, int(row), int(run)))
        return findings

    def _finding(self, data: EvaluationData, row: int, run: int) -> Finding:
        frame = data.observations
        measure = data.catalogue.get(frame.measure_ids[frame.measure[row]])
        area = frame.areas[frame.area[row]]
        first = row - run
        start, end = frame.period(first), frame.period(row)
        start_value, end_value = float(frame.value[first]), float(frame.value[row])
        status = Status.BREACH if run >= self.periods else Status.WARNING
        if measure.polarity is Polarity.PLAN_IS_BEST:
            verb = "moved further from plan"
        else:
            verb = "declined" if end_value < start_value else "increased"
        unit = measure.unit
        message = (
            f"{subject_line(measure, area)}: {verb} for the {ordinal(run)} "
            f"{period_noun(measure.frequency)} running, from "
            f"{unit.format_value(start_value)} in {start.label} to "
            f"{unit.format_value(end_value)} in {end.label}"
        )
        if measure.polarity is not Polarity.NONE:
            message += f" ({measure.polarity.words})"
        history = [
            {"period": frame.period(i).end, "label": frame.period(i).label,
             "value": float(frame.value[i])}
            for i in range(first, row + 1)
        ]
        target = frame.target[row]
        return Finding(
            rule=self.id, rule_type=self.rule_type, subject=measure.id,
            subject_title=measure.display_title, area=area, period=end.end,
            period_label=end.label, status=status, severity=self.severity, exception=True,
            message=message, value=end_value,
            target=None if np.isnan(target) else float(target),
            labels=self.finding_labels(measure=measure.id, area=area,
                                       service_area=measure.service_area),
            details={"periods": run, "required": self.periods, "from_value": start_value,
                     "from_period": start.end, "history": history,
                     "polarity": measure.polarity.value, "unit": unit.value,
                     "owner": measure.owner, "link": measure.link,
                     # What `alerting explain` needs to retell the run.
                     "deterioration": self.deterioration(measure.polarity),
                     "warn_at": self.warn_at, "frequency": measure.frequency.value},
        )
