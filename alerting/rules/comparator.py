"""`comparator`: worse than England, statistical neighbours, good/outstanding authorities or
another comparator, by more than a margin; or newly so ("moved from better to worse").

The comparator figure comes from the observation's comparator column of that name. Polarity
decides which side is worse; measures that are plan-is-best or have no polarity are not
compared. The message says where the value stands against target as well, like the reports:
"81.1%, within tolerance of target (85.0%) but below good/outstanding authorities (84.8%)".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import field_validator

from alerting.model.catalogue import Polarity, Tolerance
from alerting.model.findings import Finding, Status
from alerting.model.frames import ObservationFrame
from alerting.model.records import ObservationExtras, is_comparator
from alerting.rules.base import EvaluationContext, EvaluationData, Rule
from alerting.rules.tolerance import rate
from alerting.rules.wording import COMPARATOR_NAMES, subject_line

_EPSILON = 1e-9
_SIGN = {Polarity.BIGGER_IS_BETTER: 1.0, Polarity.SMALLER_IS_BETTER: -1.0}
# Column names that mean the same comparator (the contract accepts both spellings).
_ALIASES = {"stat_neighbours": ("stat_neighbours", "statistical_neighbours"),
            "statistical_neighbours": ("statistical_neighbours", "stat_neighbours")}
_TARGET_WORDS = {
    Status.GREEN: "on or better than target", Status.BETTER_THAN_TOLERANCE:
    "better than target", Status.AMBER: "within tolerance of target",
    Status.WITHIN_TOLERANCE: "within tolerance of target",
    Status.RED: "worse than target", Status.WORSE_THAN_TOLERANCE: "worse than target",
}


def comparator_name(key: str) -> str:
    """'good_outstanding' -> 'good/outstanding authorities'; 'comparator_sw' -> 'comparator sw'."""
    return COMPARATOR_NAMES.get(key, key.replace("_", " "))


def comparator_values(extras: Mapping[int, ObservationExtras], row_ids: npt.NDArray[np.int64],
                      key: str) -> npt.NDArray[np.float64]:
    """Each row's figure for the comparator `key` (NaN where the row has none)."""
    names = _ALIASES.get(key, (key,))
    found = np.full(row_ids.size, np.nan)
    for i, row_id in enumerate(row_ids.tolist()):
        extra = extras.get(row_id)
        if extra is None:
            continue
        for name in names:
            if name in extra.comparators:
                found[i] = extra.comparators[name]
                break
    return found


class ComparatorRule(Rule):
    """Fire where a series' latest value is worse than a comparator by more than `margin`."""

    rule_type = "comparator"
    reads_comparators = True

    type: Literal["comparator"]
    comparator: str
    margin: Tolerance | None = None  # absolute (measure's unit) or relative (share of it)
    when: Literal["worse", "became_worse"] = "worse"

    @field_validator("comparator")
    @classmethod
    def _known_comparator(cls, raw: str) -> str:
        key = raw.strip()
        if not is_comparator(key):
            known = ", ".join(sorted(COMPARATOR_NAMES))
            raise ValueError(f"must be a comparator column of the data ({known}, or a "
                             f"column named comparator_...), got {raw!r}")
        return key

    def without_polarity(self) -> tuple[str, str] | None:
        return "compares by polarity", "never compared"

    def evaluate(self, data: EvaluationData, context: EvaluationContext) -> list[Finding]:
        frame, catalogue = data.observations, data.catalogue
        rows = self.select.latest_rows(frame, catalogue, context.as_of)
        sign_of = np.array([_SIGN.get(catalogue.get(m).polarity, np.nan)
                            for m in frame.measure_ids])
        rows = rows[~np.isnan(sign_of[frame.measure[rows]]) & ~np.isnan(frame.value[rows])]
        if rows.size == 0:
            return []
        previous = self._previous_rows(frame, data, rows)
        has_previous = previous >= 0
        wanted = frame.row_id[rows]
        if self.when == "became_worse":
            wanted = np.concatenate([wanted, frame.row_id[previous[has_previous]]])
        extras = frame.extras(wanted.tolist())
        sign = sign_of[frame.measure[rows]]
        comparator = comparator_values(extras, frame.row_id[rows], self.comparator)
        gap = (frame.value[rows] - comparator) * sign  # positive: better than the comparator
        margin = self._margin(comparator)
        worse = gap < -margin - _EPSILON * np.maximum(1.0, np.abs(comparator))
        fires = worse.copy()
        before_gap = np.full(rows.size, np.nan)
        if self.when == "became_worse":
            before = np.full(rows.size, np.nan)
            before[has_previous] = comparator_values(
                extras, frame.row_id[previous[has_previous]], self.comparator)
            before_value = np.where(has_previous, frame.value[np.maximum(previous, 0)], np.nan)
            before_gap = (before_value - before) * sign
            fires &= before_gap >= -_EPSILON * np.maximum(1.0, np.abs(before))  # NaN: False
        chosen = (np.flatnonzero(~np.isnan(comparator)) if context.include_all
                  else np.flatnonzero(fires))
        return [self._finding(data, context, int(rows[i]), int(previous[i]), float(comparator[i]),
                              float(gap[i]), float(margin[i]), float(before_gap[i]),
                              bool(fires[i]), extras.get(int(frame.row_id[rows[i]])))
                for i in chosen]

    def _margin(self, comparator: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if self.margin is None:
            return np.zeros(comparator.size)
        return (self.margin.absolute or 0.0) + (self.margin.relative or 0.0) * np.abs(comparator)

    @staticmethod
    def _previous_rows(frame: ObservationFrame, data: EvaluationData,
                       rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The row one period (at the measure's frequency) before each row, or -1."""
        step = np.array([data.catalogue.get(m).frequency.months for m in frame.measure_ids])
        before = rows - 1
        ok = before >= 0
        safe = np.maximum(before, 0)
        ok &= (frame.measure[safe] == frame.measure[rows]) & (frame.area[safe] == frame.area[rows])
        month = frame.month
        ok &= month[rows] - month[safe] == step[frame.measure[rows]]
        return np.where(ok, before, -1)

    def _finding(self, data: EvaluationData, context: EvaluationContext, row: int,
                 previous: int, comparator: float, gap: float, margin: float,
                 before_gap: float, fires: bool, extras: ObservationExtras | None) -> Finding:
        frame = data.observations
        measure = data.catalogue.get(frame.measure_ids[frame.measure[row]])
        area = frame.areas[frame.area[row]]
        period = frame.period(row)
        unit = measure.unit
        value = float(frame.value[row])
        target = float(frame.target[row])
        if np.isnan(target):  # the catalogue's target fills a gap in the data, as for tolerance
            catalogue_target = measure.target_for(period.end)
            target = float("nan") if catalogue_target is None else catalogue_target
        name = comparator_name(self.comparator)
        bigger = measure.polarity is Polarity.BIGGER_IS_BETTER
        if gap < 0:
            side = "below" if bigger else "above"
        elif gap > 0:
            side = "above" if bigger else "below"
        else:
            side = "in line with"
        against = f"{side} {name} ({unit.format_value(comparator)})"
        head = f"{subject_line(measure, area)}: {unit.format_value(value)} in {period.label}, "
        target_status = None
        if not np.isnan(target):
            tolerance = measure.tolerance.amount(target) if measure.tolerance else 0.0
            status, _ = rate(np.array([value]), np.array([target]),
                             np.array([_SIGN[measure.polarity]]), np.array([tolerance]),
                             context.rag_scheme)
            target_status = Status(status[0])
            on_target = target_status not in (Status.RED, Status.WORSE_THAN_TOLERANCE)
            head += (f"{_TARGET_WORDS[target_status]} ({unit.format_value(target)}) "
                     f"{'but' if on_target and gap < 0 else 'and'} {against}")
        else:
            head += against
        before = None
        if previous >= 0 and not np.isnan(before_gap):
            before = {"period": frame.period(previous).end,
                      "label": frame.period(previous).label,
                      "value": float(frame.value[previous]), "gap": before_gap}
            if self.when == "became_worse" and fires:
                head += (f", having been {'in line with' if before_gap == 0 else 'better than'}"
                         f" {name} in {before['label']}")
        comparators = dict(extras.comparators) if extras else {}
        return Finding(
            rule=self.id, rule_type=self.rule_type, subject=measure.id,
            subject_title=measure.display_title, area=area, period=period.end,
            period_label=period.label, status=Status.BREACH if fires else Status.OK,
            severity=self.severity, exception=fires, message=head, value=value,
            target=None if np.isnan(target) else target,
            labels=self.finding_labels(measure=measure.id, area=area,
                                       service_area=measure.service_area),
            details={
                "comparator": self.comparator, "comparator_name": name,
                "comparator_value": comparator, "gap": gap, "margin": margin,
                "margin_rule": str(self.margin) if self.margin else None,
                "when": self.when, "previous": before,
                "target_status": target_status.value if target_status else None,
                "polarity": measure.polarity.value, "unit": unit.value,
                "comparators": comparators, "owner": measure.owner, "link": measure.link,
                "commentary": extras.commentary if extras else None,
            },
        )
