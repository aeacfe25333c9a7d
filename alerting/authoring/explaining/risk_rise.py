"""`risk_rise`: the two residual scores with their levels, and the rule's threshold."""

from __future__ import annotations

from alerting.authoring.explaining.facts import Look
from alerting.authoring.explaining.words import EPSILON, fired, no_data, quiet
from alerting.model.records import risk_level


def _score(score: float | None) -> str:
    return f"{risk_level(score)} {score:g}" if score is not None else "no score"


def explain_risk_rise(look: Look) -> str:
    rule = look.rule
    at_least = float(getattr(rule, "at_least", 1))
    level_only = bool(getattr(rule, "only_on_level_change", False))
    needs = f"the rule fires on a rise of at least {at_least:g}" + (
        " that changes the level (Low 1-6, Moderate 7-12, High 13-25)" if level_only else "")
    finding = look.finding
    if finding is not None:
        details = finding.details
        before = details.get("previous_score")
        rise = float(details.get("rise", (finding.value or 0) - (before or 0)))
        owner = f" The owner is {details['owner']}." if details.get("owner") else ""
        return (f"The residual score rose from {_score(before)} in "
                f"{details.get('previous_label', '')} to {_score(finding.value)} in "
                f"{finding.period_label}, a rise of {rise:g}; {needs}, "
                f"{fired(look, 'a BREACH')}.{owner}")
    to_date = look.points_to_date()
    if not to_date:
        return f"{no_data(look)} So {quiet(look)}."
    current = to_date[-1]
    if len(to_date) == 1:
        return (f"Only one residual score is stored up to the as-of date ({_score(current.value)}"
                f" in {current.label}): there is nothing to compare it with, so {quiet(look)}.")
    previous = to_date[-2]
    before, after = previous.value or 0.0, current.value or 0.0
    move = f"from {_score(before)} in {previous.label} to {_score(after)} in {current.label}"
    if after < before:
        reason = f"The residual score fell {move}"
    elif after == before:
        reason = f"The residual score stayed at {_score(after)} from {previous.label} to " \
                 f"{current.label}"
    elif after - before < at_least - EPSILON:
        reason = f"The residual score rose {move}, a rise of {after - before:g}, less than " \
                 f"{at_least:g}"
    else:
        reason = f"The residual score rose {move} but stayed {risk_level(after)}"
    return f"{reason}; {needs}, so {quiet(look)}."
