"""`tolerance`: rate each series' latest value against its target under the council's RAG scheme.

Polarity decides which side of target is good; plan-is-best counts distance either side as
worse. Tolerance comes from the measure (absolute, or a share of target). Missing value or
target is reported as such, never as a breach.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from alerting.model.catalogue import Catalogue, Measure, Polarity
from alerting.model.findings import Finding, Status
from alerting.model.frames import ObservationFrame, period_from
from alerting.model.periods import Period
from alerting.model.records import ObservationExtras
from alerting.rules.base import EvaluationContext, EvaluationData, RagScheme, Rule
from alerting.rules.wording import comparator_phrase, subject_line

# Comparisons allow for float representation: 80.75 vs 85 less 5% is "exactly at tolerance".
_EPSILON = 1e-9

_SIGN = {
    Polarity.BIGGER_IS_BETTER: 1.0,
    Polarity.SMALLER_IS_BETTER: -1.0,
    Polarity.PLAN_IS_BEST: 0.0,
}


def _measure_columns(
    frame: ObservationFrame, catalogue: Catalogue
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per measure code: polarity sign (nan = none), absolute and relative tolerance."""
    sign = np.full(len(frame.measure_ids), np.nan)
    absolute = np.zeros(len(frame.measure_ids))
    relative = np.zeros(len(frame.measure_ids))
    for code, measure_id in enumerate(frame.measure_ids):
        measure = catalogue.get(measure_id)
        sign[code] = _SIGN.get(measure.polarity, np.nan)
        if measure.tolerance is not None:
            absolute[code] = measure.tolerance.absolute or 0.0
            relative[code] = measure.tolerance.relative or 0.0
    return sign, absolute, relative


def rate(
    value: npt.NDArray[np.float64],
    target: npt.NDArray[np.float64],
    sign: npt.NDArray[np.float64],
    tolerance: npt.NDArray[np.float64],
    scheme: RagScheme,
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
    """Band every (value, target) pair at once; returns statuses and the signed gap.

    The gap is positive on the good side of target (for plan-is-best it is minus the
    distance, so it is never positive).
    """
    gap = np.where(sign == 0, -np.abs(value - target), (value - target) * sign)
    slack = _EPSILON * np.maximum(1.0, np.abs(target))
    status = np.empty(len(value), dtype=object)
    if scheme is RagScheme.TARGET_WITH_TOLERANCE:
        status[:] = np.where(gap >= -slack, Status.GREEN,
                             np.where(gap >= -tolerance - slack, Status.AMBER, Status.RED))
    else:
        status[:] = np.where(gap > tolerance + slack, Status.BETTER_THAN_TOLERANCE,
                             np.where(gap < -tolerance - slack, Status.WORSE_THAN_TOLERANCE,
                                      Status.WITHIN_TOLERANCE))
    no_value, no_target = np.isnan(value), np.isnan(target)
    status[no_value & ~no_target] = Status.NO_VALUE
    status[~no_value & no_target] = Status.MISSING_TARGET
    status[no_value & no_target] = Status.NO_INFORMATION
    return status, gap


_WORST = {Status.RED, Status.WORSE_THAN_TOLERANCE}
_STATUS: dict[str, Status] = {status.value: status for status in Status}


@dataclass(frozen=True)
class _MeasureWords:
    """What every finding of one measure says the same way, worked out once per run."""

    measure: Measure
    scheme: str
    polarity: str
    unit: str
    tolerance_rule: str | None

    @classmethod
    def of(cls, measure: Measure, scheme: RagScheme) -> _MeasureWords:
        return cls(measure, scheme.value, measure.polarity.value, measure.unit.value,
                   str(measure.tolerance) if measure.tolerance else None)


def band_edges(polarity: Polarity, scheme: RagScheme, target: float,
               tolerance: float) -> tuple[float, float]:
    """The tolerance band around target as the scheme uses it: the amber band under
    'target with tolerance' (on the bad side of target, or both sides for plan-is-best),
    the within-tolerance band (both sides) under 'tolerance band'."""
    if scheme is RagScheme.TOLERANCE_BAND or polarity is Polarity.PLAN_IS_BEST:
        return target - tolerance, target + tolerance
    if polarity is Polarity.SMALLER_IS_BETTER:
        return target, target + tolerance
    return target - tolerance, target


class ToleranceRule(Rule):
    """Rate values against target; fire on the worst band (and amber where asked)."""

    rule_type = "tolerance"
    rates_by_scheme = True

    type: Literal["tolerance"]
    include_amber: bool = False
    scheme: RagScheme | None = None  # overrides the council's scheme for this rule only

    def scheme_in_force(self, scheme: RagScheme) -> RagScheme:
        return self.scheme or scheme

    def raises(self, scheme: RagScheme) -> Mapping[Status, str | None]:
        if self.scheme_in_force(scheme) is RagScheme.TOLERANCE_BAND:
            return {Status.WORSE_THAN_TOLERANCE: None, Status.WITHIN_TOLERANCE: "include_amber"}
        return {Status.RED: None, Status.AMBER: "include_amber"}

    def without_polarity(self) -> tuple[str, str]:
        return "rates values by polarity", "never rated"

    def evaluate(self, data: EvaluationData, context: EvaluationContext) -> list[Finding]:
        frame, catalogue = data.observations, data.catalogue
        scheme = self.scheme_in_force(context.rag_scheme)
        rows = self.select.latest_rows(frame, catalogue, context.as_of)
        sign, absolute, relative = _measure_columns(frame, catalogue)
        wanted = ~np.isnan(sign[frame.measure[rows]])  # volumes without polarity are not rated
        rows = rows[wanted]
        if rows.size == 0:
            return []
        codes = frame.measure[rows]
        target = frame.target[rows].copy()
        from_catalogue = np.zeros(rows.size, dtype=bool)
        for i in np.flatnonzero(np.isnan(target)):  # catalogue targets fill gaps in the data
            catalogue_target = catalogue.get(frame.measure_ids[codes[i]]).target_for(
                frame.period(int(rows[i])).end)
            if catalogue_target is not None:
                target[i] = catalogue_target
                from_catalogue[i] = True
        value = frame.value[rows]
        tolerance = absolute[codes] + relative[codes] * np.abs(target)
        status, gap = rate(value, target, sign[codes], tolerance, scheme)
        fires = np.isin(status, list(_WORST))
        if self.include_amber:
            fires |= status == Status.AMBER
            fires |= (status == Status.WITHIN_TOLERANCE) & (gap < 0)
        chosen = np.arange(rows.size) if context.include_all else np.flatnonzero(fires)
        chosen_rows = rows[chosen]
        row_ids = frame.row_id[chosen_rows].tolist()
        extras = frame.extras(row_ids)
        # One pass over plain Python values (not numpy scalars), the measure's words once.
        words: dict[int, _MeasureWords] = {}
        findings = []
        for row_id, code, area, end, kind, rated, value_, target_, tolerance_, fires_, gap_, \
                from_catalogue_ in zip(
                    row_ids, codes[chosen].tolist(),
                    frame.area[chosen_rows].tolist(), frame.period_end[chosen_rows].tolist(),
                    frame.kind[chosen_rows].tolist(), status[chosen].tolist(),
                    value[chosen].tolist(), target[chosen].tolist(),
                    tolerance[chosen].tolist(), fires[chosen].tolist(), gap[chosen].tolist(),
                    from_catalogue[chosen].tolist(), strict=True):
            measure = words.get(code)
            if measure is None:
                measure = words[code] = _MeasureWords.of(
                    catalogue.get(frame.measure_ids[code]), scheme)
            findings.append(self._finding(
                measure, frame.areas[area], period_from(end, kind), _STATUS[rated], value_,
                target_, tolerance_, fires_, scheme, extras.get(row_id), gap_,
                from_catalogue_))
        return findings

    def _finding(self, words: _MeasureWords, area: str, period: Period, status: Status,
                 value: float, target: float, tolerance: float, fires: bool,
                 scheme: RagScheme, extras: ObservationExtras | None,
                 gap: float = float("nan"), target_from_catalogue: bool = False) -> Finding:
        measure = words.measure
        has_value, has_target = not math.isnan(value), not math.isnan(target)
        comparators = dict(extras.comparators) if extras else {}
        unit = measure.unit
        head = f"{subject_line(measure, area)}: "
        if not has_value:
            marker = extras.raw_value if extras else None
            head += f"no value for {period.label}" + (f" ({marker})" if marker else "")
            if has_target:
                head += f", target {unit.format_value(target)}"
        else:
            head += f"{unit.format_value(value)} in {period.label}, " + self._comparison(
                measure.polarity, status, value, target, unit.format_value(target))
            phrase = comparator_phrase(measure, value, comparators) if comparators else ""
            if phrase:
                head += f"; {phrase}"
        message = f"{head} — {status.value.replace('_', ' ')}"
        band = band_edges(measure.polarity, scheme, target, tolerance) if has_target else None
        return Finding(
            rule=self.id, rule_type=self.rule_type, subject=measure.id,
            subject_title=measure.display_title, area=area, period=period.end,
            period_label=period.label, status=status, severity=self.severity, exception=fires,
            message=message, value=value if has_value else None,
            target=target if has_target else None,
            labels=self.finding_labels(measure=measure.id, area=area,
                                       service_area=measure.service_area),
            details={
                "scheme": words.scheme, "polarity": words.polarity,
                "tolerance": tolerance if has_target else None,
                "tolerance_rule": words.tolerance_rule,
                "unit": words.unit, "comparators": comparators,
                "commentary": extras.commentary if extras else None, "owner": measure.owner,
                "link": measure.link,
                # What `alerting explain` needs to retell the comparison.
                "band_low": band[0] if band else None,
                "band_high": band[1] if band else None,
                "gap": gap if has_value and has_target else None,
                "target_source": (None if not has_target
                                  else "catalogue" if target_from_catalogue else "data"),
                "value_marker": None if has_value or extras is None else extras.raw_value,
                "include_amber": self.include_amber,
            },
        )

    @staticmethod
    def _comparison(polarity: Polarity, status: Status, value: float, target: float,
                    target_text: str) -> str:
        if status is Status.MISSING_TARGET:
            return "no target set"
        side = "above" if value > target else "below"
        if polarity is Polarity.PLAN_IS_BEST and value != target:
            if status in (Status.RED, Status.WORSE_THAN_TOLERANCE):
                return f"{side} plan {target_text} by more than tolerance"
            return f"{side} plan {target_text}, within tolerance"
        return {
            Status.GREEN: f"on or better than target {target_text}",
            Status.AMBER: f"worse than target {target_text} but within tolerance",
            Status.RED: f"worse than target {target_text} by more than tolerance",
            Status.BETTER_THAN_TOLERANCE:
                f"better than target {target_text} by more than tolerance",
            Status.WITHIN_TOLERANCE: f"within tolerance of target {target_text}",
            Status.WORSE_THAN_TOLERANCE: f"worse than target {target_text} by more than tolerance",
        }[status]

