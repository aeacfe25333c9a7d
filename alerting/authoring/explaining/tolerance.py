"""`tolerance`: the value against target, the tolerance band and the RAG verdict."""

from __future__ import annotations

from alerting.authoring.explaining.facts import Look
from alerting.authoring.explaining.words import EPSILON, fired, fmt, fmt_apart, no_data, quiet
from alerting.model.catalogue import Polarity, Tolerance, Unit
from alerting.model.findings import Status


def _tolerance_words(tolerance: Tolerance | None, unit: Unit) -> str:
    if tolerance is None:
        return "no tolerance"
    if tolerance.relative is not None:
        return f"a tolerance of {tolerance.relative * 100:g}% relative"
    amount = tolerance.absolute or 0.0
    if unit is Unit.PERCENT:
        return f"a tolerance of {amount:g} percentage points"
    return f"a tolerance of {unit.format_value(amount)}"


def _edge_note(value: float, low: float, high: float, target: float) -> str:
    slack = EPSILON * max(1.0, abs(target))
    at_edge = min(abs(value - low), abs(value - high)) <= slack and abs(value - target) > slack
    return (", exactly at the edge of the band (a value at the tolerance boundary is within "
            "tolerance)") if at_edge else ""


def _tolerance_verdict(look: Look, status: Status, value: float, target: float,
                       low: float, high: float) -> str:
    polarity = look.measure.polarity if look.measure else Polarity.NONE
    v, t = fmt_apart(look, value, target, low, high), fmt_apart(look, target, value)
    # Without a tolerance the band is the target itself.
    side = ("below" if value < low else "above") + (" the band" if high > low else f" {t}")
    finding = look.finding
    fires = finding is not None and finding.exception
    if status is Status.GREEN:
        where = {Polarity.SMALLER_IS_BETTER: f"at or below the target {t}",
                 Polarity.PLAN_IS_BEST: f"exactly on plan {t}"}.get(
                     polarity, f"at or above the target {t}")
        return f"{v} is {where}, so it is GREEN: {quiet(look)}."
    if status is Status.BETTER_THAN_TOLERANCE:
        return (f"{v} is {side}, better than the target by more than the tolerance, "
                f"so it is BETTER THAN TOLERANCE: {quiet(look)}.")
    if status in (Status.RED, Status.WORSE_THAN_TOLERANCE):
        state = "RED" if status is Status.RED else "WORSE THAN TOLERANCE"
        return f"{v} is {side}, {fired(look, state)}."
    # Amber, or within tolerance: the rule fires here only with include_amber.
    edge = _edge_note(value, low, high, target)
    if status is Status.AMBER:
        text = f"{v} is worse than the target {t} but inside the band{edge}, "
        state = "AMBER"
    else:
        text = f"{v} is inside the band{edge}, "
        state = "WITHIN TOLERANCE"
    if fires:
        return text + fired(look, state) + " (include_amber is on)."
    worse_side = finding is not None and float(finding.details.get("gap") or 0.0) < 0
    hint = (" (it fires on the worst band only; include_amber: true would make it fire here)"
            if status is Status.AMBER or worse_side else "")
    return text + f"so it is {state}: {quiet(look)}{hint}."


def _latest_value_before(look: Look, label: str) -> str:
    earlier = [p for p in look.points_to_date() if p.value is not None and p.label != label]
    if not earlier:
        return " No earlier period has a value either."
    point = earlier[-1]
    return f" The latest value before that is {fmt(look, point.value)} for {point.label}."


def explain_tolerance(look: Look) -> str:
    finding, measure = look.finding, look.measure
    if measure is not None and measure.polarity is Polarity.NONE:
        return (f"{measure.id} has no polarity (a volume), so there is no better or worse side "
                f"of a target and the tolerance rule does not rate it: {quiet(look)}.")
    if finding is None:
        return f"{no_data(look)} So {quiet(look)}."
    details = finding.details
    period, value, target = finding.period_label, finding.value, finding.target
    target_text = (f"a target of {fmt_apart(look, target, value)}" if target is not None
                   else f"a target of {fmt(look, target)}")
    if details.get("target_source") == "catalogue":
        target_text += " (from the measure catalogue)"
    if value is None:
        marker = details.get("value_marker")
        text = f"There is no value for {period}" + (f" (marked '{marker}')" if marker else "")
        if target is not None:
            text += f", against {target_text}"
        state = "NO VALUE" if finding.status is Status.NO_VALUE else "NO INFORMATION"
        return (text + f", so it is rated {state}: a missing value is reported as such, never "
                f"as a breach, so {quiet(look)}." + _latest_value_before(look, period))
    if target is None:
        return (f"The latest value is {fmt(look, value)} for {period}, but there is no target "
                f"for {period} in the data or the measure catalogue, so it is rated MISSING "
                f"TARGET: without a target the rule cannot rate it, so {quiet(look)}.")
    unit = measure.unit if measure else Unit.NUMBER
    tolerance = _tolerance_words(measure.tolerance if measure else None, unit)
    low, high = float(details.get("band_low", target)), float(details.get("band_high", target))
    band = (f" (band {fmt_apart(look, low, value)}–{fmt_apart(look, high, value)})"
            if high > low else "")
    first = (f"The latest value is {fmt_apart(look, value, target, low, high)} for {period}, "
             f"against {target_text} "
             f"with {tolerance}{band}.")
    return f"{first} {_tolerance_verdict(look, finding.status, value, target, low, high)}"
