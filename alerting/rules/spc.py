"""`spc`: statistical process control (Making Data Count): an XmR chart per series, and a
special cause at the latest point that is a concern (or an improvement) given the polarity.

The calculation follows NHS-R's NHSRplotthedots (the R implementation of Making Data Count):
the mean and the mean moving range come from the baseline (the first `baseline` points since
the latest rebase); moving ranges of 3.267 times the mean or more are screened out once;
process limits are mean ± 2.66 × mean moving range, the two-sigma lines mean ± (2/3) × 2.66 ×
mean moving range. Special causes:
- a point beyond a process limit;
- a run of `run_length` (7) or more points all above, or all below, the mean (a point on the
  mean breaks the run);
- a trend of `trend_length` (7) or more points each higher, or each lower, than the one
  before (an unchanged value breaks the trend);
- two of three consecutive points beyond the same two-sigma line (but inside the limits),
  with all three on that side of the mean.
Every point of a run, a trend or a two-of-three is part of it, as on the chart. Everything is
computed for every series at once over the columnar frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, field_validator

from alerting.model.catalogue import Polarity
from alerting.model.fields import one_or_many
from alerting.model.findings import Finding, Status
from alerting.model.periods import PeriodError, parse_period
from alerting.rules.base import EvaluationContext, EvaluationData, Rule
from alerting.rules.wording import subject_line

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

LIMIT = 2.66  # 3 sigma for an XmR chart: 3 / d2, d2 = 1.128
TWO_SIGMA = 2 * LIMIT / 3
SCREEN = 3.267  # upper range limit: moving ranges at or above it are screened out

Signal = Literal["outside_limits", "run", "trend", "two_of_three"]
SIGNALS: tuple[Signal, ...] = ("outside_limits", "run", "trend", "two_of_three")
Judgement = Literal["concern", "improvement", "neutral"]
_SIGN = {Polarity.BIGGER_IS_BETTER: 1, Polarity.SMALLER_IS_BETTER: -1}
SIGNAL_WORDS = {"outside_limits": "a point beyond the process limits",
                 "run": "a run of points on one side of the mean",
                 "trend": "a trend of points each higher or each lower",
                 "two_of_three": "two of three points beyond the two-sigma line"}


@dataclass(frozen=True)
class XmrChart:
    """Mean and limits per segment (a series, or its part since a rebase) and the special
    causes per point, each as the points above (up) or below/falling (down)."""

    segment: IntArray  # per point: its segment
    position: IntArray  # per point: its place in the segment (0 = first)
    size: IntArray  # per segment: points
    baseline_points: IntArray  # per segment: points that set the mean and limits
    mean: FloatArray
    average_moving_range: FloatArray
    screened: IntArray  # per segment: moving ranges screened out
    signals: Mapping[str, tuple[BoolArray, BoolArray]]

    @property
    def upper(self) -> FloatArray:
        return self.mean + LIMIT * self.average_moving_range

    @property
    def lower(self) -> FloatArray:
        return self.mean - LIMIT * self.average_moving_range


def _per_segment(segment: IntArray, count: int, weights: FloatArray, mask: BoolArray
                 ) -> FloatArray:
    """Mean of `weights` where `mask`, per segment (NaN where a segment has none)."""
    total = np.bincount(segment, weights=np.where(mask, weights, 0.0), minlength=count)
    seen = np.bincount(segment, weights=mask.astype(np.float64), minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(seen > 0, total / np.maximum(seen, 1), np.nan)


def _runs(key: IntArray, breaks: BoolArray) -> IntArray:
    """For each point, the length of the unbroken run of equal `key` it belongs to."""
    starts = breaks.copy()
    if key.size:
        starts[0] = True
        starts[1:] |= key[1:] != key[:-1]
    run_id = np.cumsum(starts) - 1
    return np.bincount(run_id)[run_id] if key.size else np.zeros(0, dtype=np.int64)


def xmr_chart(values: FloatArray, new_segment: BoolArray, *, baseline: int | None,
              screen_outliers: bool, run_length: int, trend_length: int) -> XmrChart:
    """The XmR chart of points in series order; `new_segment` marks each segment's first."""
    n = values.size
    starts = new_segment.copy()
    if n:
        starts[0] = True
    segment = np.cumsum(starts) - 1
    count = int(segment[-1]) + 1 if n else 0
    first = np.flatnonzero(starts)
    position = np.arange(n) - first[segment]
    size = np.bincount(segment, minlength=count)
    in_base = position < baseline if baseline is not None else np.ones(n, dtype=bool)
    mean = _per_segment(segment, count, values, in_base)
    moving = np.zeros(n)
    moving[1:] = np.abs(np.diff(values))
    has_range = in_base & (position > 0)
    amr = _per_segment(segment, count, moving, has_range)
    screened = np.zeros(count, dtype=np.int64)
    if screen_outliers:
        kept = has_range & (moving < SCREEN * amr[segment])
        screened = np.bincount(segment, weights=(has_range & ~kept).astype(np.float64),
                               minlength=count).astype(np.int64)
        amr = _per_segment(segment, count, moving, kept)
    upper = (mean + LIMIT * amr)[segment]
    lower = (mean - LIMIT * amr)[segment]
    spread = TWO_SIGMA * amr[segment]
    centre = mean[segment]
    side = np.sign(values - centre).astype(np.int64)
    outside = (values > upper) | (values < lower)
    close = ~outside & ((values > centre + spread) | (values < centre - spread))
    above, below = side > 0, side < 0
    signals: dict[str, tuple[BoolArray, BoolArray]] = {
        "outside_limits": (outside & above, outside & below)}
    # A run: consecutive points on the same side of the mean; a point on the mean breaks it.
    in_run = (side != 0) & (_runs(side, starts | (side == 0)) >= run_length)
    signals["run"] = (in_run & above, in_run & below)
    # A trend: consecutive steps in the same direction; an unchanged value breaks it. A step
    # belongs to the points at both of its ends.
    step = np.zeros(n, dtype=np.int64)
    step[1:] = np.sign(np.diff(values)).astype(np.int64)
    step[starts] = 0
    trending = (step != 0) & (_runs(step, starts | (step == 0)) >= trend_length - 1)
    rising, falling = trending & (step > 0), trending & (step < 0)
    signals["trend"] = (rising | np.append(rising[1:], False),
                        falling | np.append(falling[1:], False))
    # Two of three: a window of three points of one segment, all on one side of the mean,
    # with two or more beyond the two-sigma line; the points beyond are part of it.
    window = np.zeros(n, dtype=bool)
    if n >= 3:
        same = segment[:-2] == segment[2:]
        sides = side[:-2] + side[1:-1] + side[2:]
        near = close[:-2].astype(int) + close[1:-1] + close[2:]
        window[:-2] = same & (np.abs(sides) == 3) & (near >= 2)
    covered = window.copy()
    covered[1:] |= window[:-1]
    covered[2:] |= window[:-2]
    two = close & covered
    signals["two_of_three"] = (two & above, two & below)
    baseline_points = np.minimum(size, baseline) if baseline is not None else size
    return XmrChart(segment, position, size, baseline_points, mean, amr, screened, signals)


def _rebase_date(raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return parse_period(str(raw)).start
    except PeriodError as exc:
        raise ValueError(f"must be a period or date like Apr-21 or 2021-04-01 ({exc})") from None


class SpcRule(Rule):
    """Fire on a special cause of concern at a series' latest point (Making Data Count)."""

    rule_type = "spc"

    type: Literal["spc"]
    baseline: int | None = Field(default=20, ge=2)  # points that fix the limits; None: all
    min_points: int = Field(default=12, ge=2)  # fewer points since the rebase: no judgement
    rebase: tuple[date, ...] = ()  # a new chart (new mean and limits) from each of these
    signals: tuple[Signal, ...] = SIGNALS
    run_length: int = Field(default=7, ge=2)
    trend_length: int = Field(default=7, ge=3)
    screen_outliers: bool = True
    fire_on: tuple[Judgement, ...] = ("concern",)
    assurance_fail: bool = False  # also fire when the target is outside the limits, failing

    @field_validator("rebase", mode="before")
    @classmethod
    def _rebase_dates(cls, raw: Any) -> Any:
        items = raw if isinstance(raw, list | tuple) else [raw]
        return tuple(sorted(_rebase_date(item) for item in items))

    @field_validator("signals", "fire_on", mode="before")
    @classmethod
    def _one_or_many(cls, raw: Any) -> Any:
        return one_or_many(raw)

    def without_polarity(self) -> tuple[str, str] | None:
        if "neutral" in self.fire_on:
            return None
        return ("judges special causes by polarity",
                "only ever neutral, never a concern (add neutral to fire_on)")

    def evaluate(self, data: EvaluationData, context: EvaluationContext) -> list[Finding]:
        frame, catalogue = data.observations, data.catalogue
        latest = self.select.latest_rows(frame, catalogue, context.as_of)
        latest = latest[~np.isnan(frame.value[latest])]  # a blank latest value: nothing to judge
        if latest.size == 0:
            return []
        width = max(1, len(frame.areas))
        key = frame.measure * width + frame.area
        points = np.flatnonzero(np.isin(key, key[latest])
                                & (frame.period_end <= context.as_of.toordinal())
                                & ~np.isnan(frame.value))
        rebased = np.searchsorted(np.array([d.toordinal() for d in self.rebase], dtype=np.int64),
                                  frame.period_end[points], side="right")
        new_segment = np.ones(points.size, dtype=bool)
        new_segment[1:] = (key[points][1:] != key[points][:-1]) | (rebased[1:] != rebased[:-1])
        chart = xmr_chart(frame.value[points], new_segment, baseline=self.baseline,
                          screen_outliers=self.screen_outliers, run_length=self.run_length,
                          trend_length=self.trend_length)
        last = np.flatnonzero(np.append(key[points][1:] != key[points][:-1], True))
        if not (context.include_all or self.assurance_fail):
            # Only a latest point with a special cause can fire: word just those.
            special = np.zeros(points.size, dtype=bool)
            for signal in self.signals:
                up, down = chart.signals[signal]
                special |= up | down
            last = last[special[last]]
        findings = []
        for at in last.tolist():
            finding = self._finding(data, context, chart, points, at)
            if finding is not None and (finding.exception or context.include_all):
                findings.append(finding)
        return findings

    @staticmethod
    def judge(polarity: Polarity, up: bool, down: bool) -> Judgement:
        """Improvement or concern of a special cause above (rising) or below (falling)."""
        sign = _SIGN.get(polarity, 0)
        if sign == 0:
            return "neutral"
        return "improvement" if (up and sign > 0) or (down and sign < 0) else "concern"

    def _signals_at(self, chart: XmrChart, at: int, polarity: Polarity
                    ) -> list[tuple[str, str, Judgement]]:
        """(signal, 'above'/'below' or 'rising'/'falling', judgement) at one point."""
        found: list[tuple[str, str, Judgement]] = []
        for signal in self.signals:
            up, down = chart.signals[signal]
            for flagged, is_up in ((up, True), (down, False)):
                if flagged[at]:
                    words = ("rising" if is_up else "falling") if signal == "trend" else (
                        "above" if is_up else "below")
                    found.append((signal, words, self.judge(polarity, is_up, not is_up)))
        return found

    def _finding(self, data: EvaluationData, context: EvaluationContext, chart: XmrChart,
                 points: IntArray, at: int) -> Finding | None:
        frame = data.observations
        row = int(points[at])
        measure = data.catalogue.get(frame.measure_ids[frame.measure[row]])
        area = frame.areas[frame.area[row]]
        period = frame.period(row)
        unit = measure.unit
        seg = int(chart.segment[at])
        size = int(chart.size[seg])
        first = at - int(chart.position[at])
        value = float(frame.value[row])
        target = float(frame.target[row])
        if np.isnan(target):
            catalogue_target = measure.target_for(period.end)
            target = float("nan") if catalogue_target is None else catalogue_target
        labels = self.finding_labels(measure=measure.id, area=area,
                                     service_area=measure.service_area)

        def finding(fires: bool, message: str, details: dict[str, Any]) -> Finding:
            return Finding(
                rule=self.id, rule_type=self.rule_type, subject=measure.id,
                subject_title=measure.display_title, area=area, period=period.end,
                period_label=period.label, status=Status.BREACH if fires else Status.OK,
                severity=self.severity, exception=fires, message=message, value=value,
                target=None if np.isnan(target) else target, labels=labels, details=details)

        if size < self.min_points:
            if not context.include_all:
                return None
            return finding(False, (f"{subject_line(measure, area)}: only {size} points since "
                                    f"{frame.period(int(points[first])).label}; an SPC chart "
                                    f"needs {self.min_points}"),
                           {"points": size, "min_points": self.min_points,
                            "too_few_points": True, "unit": unit.value,
                            "polarity": measure.polarity.value})
        mean, amr = float(chart.mean[seg]), float(chart.average_moving_range[seg])
        upper, lower = mean + LIMIT * amr, mean - LIMIT * amr
        latest = self._signals_at(chart, at, measure.polarity)
        judgements = {j for _, _, j in latest}
        variation = ("common_cause" if not latest else
                     next(f"special_cause_{j}" for j in ("concern", "improvement", "neutral")
                          if j in judgements))
        assurance = self.assurance(measure.polarity, target, lower, upper)
        fires = any(f"special_cause_{j}" == variation for j in self.fire_on) or (
            self.assurance_fail and assurance == "consistently_fail")
        history = []
        for i in range(first, at + 1):
            r = int(points[i])
            flags = [s for s in self.signals if chart.signals[s][0][i] or chart.signals[s][1][i]]
            history.append({"period": frame.period(r).end, "label": frame.period(r).label,
                            "value": float(frame.value[r]), "signals": flags})
        fmt = unit.format_value
        message = (f"{subject_line(measure, area)}: {fmt(value)} in {period.label}, "
                   f"{variation.replace('_', ' ')}")
        if latest:
            message += " (" + "; ".join(self._signal_words(s, w, history) for s, w, _ in latest)
            message += ")"
        message += f"; mean {fmt(mean)}, process limits {fmt(lower)} to {fmt(upper)}"
        if assurance is not None:
            message += (f"; target {fmt(target)} " + {
                "consistently_pass": "is outside the limits: it will consistently be met",
                "consistently_fail": "is outside the limits: it will consistently be missed",
                "hit_and_miss": "is inside the limits: hit and miss"}[assurance])
        return finding(
            fires, message, {
                "mean": mean, "upper_limit": upper, "lower_limit": lower,
                "upper_two_sigma": mean + TWO_SIGMA * amr,
                "lower_two_sigma": mean - TWO_SIGMA * amr,
                "average_moving_range": amr, "screened_moving_ranges": int(chart.screened[seg]),
                "baseline_points": int(chart.baseline_points[seg]), "points": size,
                "chart_from": frame.period(int(points[first])).end,
                "chart_from_label": frame.period(int(points[first])).label,
                "variation": variation, "assurance": assurance,
                "signals": [{"signal": s, "side": w, "judgement": j} for s, w, j in latest],
                "history": history, "polarity": measure.polarity.value, "unit": unit.value,
                "owner": measure.owner, "link": measure.link,
                "fire_on": list(self.fire_on), "assurance_fail": self.assurance_fail,
            },
        )

    @staticmethod
    def assurance(polarity: Polarity, target: float, lower: float, upper: float) -> str | None:
        """Where the target lies against the limits; None without a target or a direction."""
        sign = _SIGN.get(polarity, 0)
        if np.isnan(target) or sign == 0 or np.isnan(upper):
            return None
        if target > upper:
            return "consistently_fail" if sign > 0 else "consistently_pass"
        if target < lower:
            return "consistently_pass" if sign > 0 else "consistently_fail"
        return "hit_and_miss"

    @staticmethod
    def _signal_words(signal: str, side: str, history: list[dict[str, Any]]) -> str:
        if signal == "outside_limits":
            return f"{side} the {'upper' if side == 'above' else 'lower'} process limit"
        # How many points, up to the latest, this signal has held for.
        held = 0
        for point in reversed(history):
            if signal not in point["signals"]:
                break
            held += 1
        if signal == "run":
            return f"{held} points in a row {side} the mean"
        if signal == "trend":
            return f"{held} points each {'higher' if side == 'rising' else 'lower'} than the last"
        return f"two of three points {side} the two-sigma line"

