"""`comparator`: the value against the comparator's figure, the margin and, for
`became_worse`, where it stood the period before."""

from __future__ import annotations

from alerting.authoring.explaining.facts import Look
from alerting.authoring.explaining.words import fired, fmt, fmt_apart, no_data, quiet
from alerting.model.catalogue import Polarity
from alerting.rules.comparator import comparator_name


def _side(look: Look, gap: float) -> str:
    bigger = look.measure is not None and look.measure.polarity is Polarity.BIGGER_IS_BETTER
    if gap == 0:
        return "in line with"
    return ("above" if bigger else "below") if gap > 0 else ("below" if bigger else "above")


def explain_comparator(look: Look) -> str:
    rule, measure, finding = look.rule, look.measure, look.finding
    key = str(getattr(rule, "comparator", ""))
    name = comparator_name(key)
    if measure is not None and measure.polarity not in (Polarity.BIGGER_IS_BETTER,
                                                        Polarity.SMALLER_IS_BETTER):
        return (f"{measure.id} is {measure.polarity.words}, so there is no better or worse "
                f"side of {name} and the comparator rule does not compare it: {quiet(look)}.")
    to_date = look.points_to_date()
    if finding is None:
        if not to_date:
            return f"{no_data(look)} So {quiet(look)}."
        latest = to_date[-1]
        if latest.value is None:
            return (f"There is no value for {latest.label}, the latest period, so there is "
                    f"nothing to compare with {name}: {quiet(look)}.")
        return (f"The latest value is {fmt(look, latest.value)} for {latest.label}, but that "
                f"row has no {name} figure (column {key}), so {quiet(look)}.")
    details = finding.details
    value = float(finding.value or 0.0)
    other = float(details["comparator_value"])
    gap, margin = float(details["gap"]), float(details["margin"])
    margin_words = (f"the margin is {details['margin_rule']} ({fmt(look, margin)} here)"
                    if details.get("margin_rule") else "there is no margin: any amount worse "
                    "counts")
    text = (f"The latest value is {fmt_apart(look, value, other)} for {finding.period_label}, "
            f"{_side(look, gap)} {name} ({fmt_apart(look, other, value)}), "
            f"{measure.polarity.words if measure else 'no polarity'}; {margin_words}.")
    worse = gap < 0 and abs(gap) > margin
    if details.get("when") == "became_worse":
        before = details.get("previous")
        if not worse:
            return f"{text} It is not worse by more than the margin, so {quiet(look)}."
        if before is None:
            return (f"{text} It is worse by more than the margin, but the rule fires only on "
                    "a move from better to worse, and the period before has no value or no "
                    f"{name} figure, so {quiet(look)}.")
        was = _side(look, float(before["gap"]))
        if finding.exception:
            return (f"{text} In {before['label']} it was {was} {name}: it has moved from "
                    f"better to worse, {fired(look, 'a BREACH')}.")
        return (f"{text} But it was already {was} {name} in {before['label']}, and the rule "
                f"fires only on the move from better to worse, so {quiet(look)}.")
    if finding.exception:
        return f"{text} It is worse by more than the margin, {fired(look, 'a BREACH')}."
    return f"{text} It is not worse by more than the margin, so {quiet(look)}."
