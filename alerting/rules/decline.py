"""`decline`: N consecutive periods of deterioration ("declined for the third month").

Deterioration follows the measure's polarity (for plan-is-best: moving further from target);
for measures without polarity the rule's `direction` says whether decreases or increases
count. Consecutive means consecutive periods at the measure's frequency: a gap in the series,
a missing value or an unchanged value breaks the run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from alerting.model.catalogue import Measure, Polarity
from alerting.model.findings import Finding, Status
from alerting.model.frames import ObservationFrame, month_of, period_from
from alerting.rules.base import EvaluationContext, EvaluationData, RagScheme, Rule
from alerting.rules.wording import ordinal, period_noun, subject_line

_BAD_SIGN = {Polarity.BIGGER_IS_BETTER: -1.0, Polarity.SMALLER_IS_BETTER: 1.0}


# Per measure code: the sign of a bad move, plan-is-best, the frequency in months.
_MeasureColumns = tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.int64]]


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

    def _measure_columns(self, frame: ObservationFrame, data: EvaluationData) -> _MeasureColumns:
        """Per measure code: the sign of a bad move (0: none), whether it is plan-is-best
        (moving away from target is bad), and its frequency in months."""
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
        return sign, plan, step

    @staticmethod
    def _bad_steps(frame: ObservationFrame, columns: _MeasureColumns,
                   rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """For each of `rows`: is it worse than the row before it in the same series, one
        period on? (Row 0 has none before it.)"""
        sign, plan, step = columns
        bad = np.zeros(rows.size, dtype=bool)
        at = rows[rows > 0]
        if at.size == 0:
            return bad
        before = at - 1
        codes = frame.measure[at]
        consecutive = (codes == frame.measure[before]) & (frame.area[at] == frame.area[before])
        months = month_of(frame.period_end[at]) - month_of(frame.period_end[before])
        consecutive &= months == step[codes]
        value, target = frame.value, frame.target
        delta = value[at] - value[before]
        further = np.abs(value[at] - target[at]) - np.abs(value[before] - target[before])
        worse = np.where(plan[codes], further > 0, delta * sign[codes] > 0)
        bad[rows > 0] = consecutive & worse  # NaN comparisons are False: gaps break runs
        return bad

    def _runs(self, frame: ObservationFrame, data: EvaluationData,
              rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """How many bad steps end at each of `rows` without a break: counted back from each
        row, a step at a time, only for the series still declining (a run never crosses a
        series start, which is never a bad step)."""
        columns = self._measure_columns(frame, data)
        runs = np.zeros(rows.size, dtype=np.int64)
        going = np.arange(rows.size)
        while going.size:
            bad = self._bad_steps(frame, columns, rows[going] - runs[going])
            going = going[bad]
            runs[going] += 1
        return runs

    def evaluate(self, data: EvaluationData, context: EvaluationContext) -> list[Finding]:
        frame, catalogue = data.observations, data.catalogue
        rows = self.select.latest_rows(frame, catalogue, context.as_of)
        if rows.size == 0:
            return []
        runs = self._runs(frame, data, rows)
        threshold = self.warn_at or self.periods
        words: dict[int, _MeasureWords] = {}
        return [self._finding(data, row, run, words) for row, run in zip(
            rows[runs >= threshold].tolist(), runs[runs >= threshold].tolist(), strict=True)]

    def _finding(self, data: EvaluationData, row: int, run: int,
                 words: dict[int, _MeasureWords] | None = None) -> Finding:
        frame = data.observations
        code = int(frame.measure[row])
        said = words.get(code) if words is not None else None
        if said is None:
            said = _MeasureWords.of(data.catalogue.get(frame.measure_ids[code]), self)
            if words is not None:
                words[code] = said
        measure = said.measure
        area = frame.areas[frame.area[row]]
        first = row - run
        # The run's rows as plain Python values, each period looked up once.
        values = frame.value[first:row + 1].tolist()
        periods = [period_from(end, kind) for end, kind in zip(
            frame.period_end[first:row + 1].tolist(), frame.kind[first:row + 1].tolist(),
            strict=True)]
        start, end = periods[0], periods[-1]
        start_value, end_value = values[0], values[-1]
        status = Status.BREACH if run >= self.periods else Status.WARNING
        if measure.polarity is Polarity.PLAN_IS_BEST:
            verb = "moved further from plan"
        else:
            verb = "declined" if end_value < start_value else "increased"
        unit = measure.unit
        message = (
            f"{subject_line(measure, area)}: {verb} for the {ordinal(run)} "
            f"{said.noun} running, from "
            f"{unit.format_value(start_value)} in {start.label} to "
            f"{unit.format_value(end_value)} in {end.label}{said.polarity_words}"
        )
        history = [{"period": period.end, "label": period.label, "value": value}
                   for period, value in zip(periods, values, strict=True)]
        target = float(frame.target[row])
        return Finding(
            rule=self.id, rule_type=self.rule_type, subject=measure.id,
            subject_title=measure.display_title, area=area, period=end.end,
            period_label=end.label, status=status, severity=self.severity, exception=True,
            message=message, value=end_value,
            target=None if math.isnan(target) else target,
            labels=self.finding_labels(measure=measure.id, area=area,
                                       service_area=measure.service_area),
            details={"periods": run, "required": self.periods, "from_value": start_value,
                     "from_period": start.end, "history": history,
                     "polarity": said.polarity, "unit": said.unit,
                     "owner": measure.owner, "link": measure.link,
                     # What `alerting explain` needs to retell the run.
                     "deterioration": said.deterioration,
                     "warn_at": self.warn_at, "frequency": said.frequency},
        )


@dataclass(frozen=True)
class _MeasureWords:
    """What every finding of one measure says the same way, worked out once per run."""

    measure: Measure
    noun: str
    polarity_words: str  # " (bigger is better)", or nothing for a measure without polarity
    polarity: str
    unit: str
    deterioration: str | None
    frequency: str

    @classmethod
    def of(cls, measure: Measure, rule: DeclineRule) -> _MeasureWords:
        polarity = measure.polarity
        return cls(measure, period_noun(measure.frequency),
                   "" if polarity is Polarity.NONE else f" ({polarity.words})", polarity.value,
                   measure.unit.value, rule.deterioration(polarity), measure.frequency.value)
