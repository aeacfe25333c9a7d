"""Sentence pieces every rule type's explanation uses: the opening, the verdict, no data,
the rule's selection and what today's silences do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from alerting.alerts.silences import Silence
from alerting.authoring.explaining.facts import Look, Point
from alerting.model.catalogue import Unit
from alerting.rules import Selection

EPSILON = 1e-9
KINDS = {"measures": "measures", "risks": "strategic risks", "cases": "children's plans",
         "events": "children's events"}


# --- pieces every rule type uses ---------------------------------------------------------

def fmt(look: Look, value: float | None) -> str:
    unit = look.measure.unit if look.measure else Unit.NUMBER
    return unit.format_value(value)


def fmt_apart(look: Look, value: float, *others: float | None) -> str:
    """The value as `fmt` prints it, with more decimals where that would print it the same
    as a figure it is compared with but differs from (84.96 against 85.0 is 84.96%)."""
    text = fmt(look, value)
    for digits in (2, 3, 4):
        clash = [o for o in others if o is not None and fmt(look, o) == text
                 and abs(o - value) > EPSILON * max(1.0, abs(o))]
        if not clash:
            break
        text = _digits(look, value, digits)
    return text


def _digits(look: Look, value: float, digits: int) -> str:
    unit = look.measure.unit if look.measure else Unit.NUMBER
    number = f"{value:,.{digits}f}"
    suffix = {Unit.PERCENT: "%", Unit.RATE_PER_1000: " per 1,000",
              Unit.RATE_PER_10000: " per 10,000", Unit.DAYS: " days"}.get(unit, "")
    return ("£" if unit is Unit.CURRENCY else "") + number + suffix


def listing(items: Sequence[str]) -> str:
    return ", ".join(items) if items else "none"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def opening(look: Look) -> str:
    """'Rule X (title) looked at <subject> in <area> as of <date>.'"""
    rule = look.rule
    head = f"Rule {rule.id} ({rule.title})" if rule.title else f"Rule {rule.id}"
    if look.measure is not None:
        measure = look.measure
        what = f"{measure.display_title} ({measure.polarity.words})"
        if not look.catalogued:
            what += ", a measure not in the catalogue,"
        where = f" in {look.area}" if look.area else ""
        return f"{head} looked at {what}{where} as of {look.as_of.isoformat()}."
    if look.plan is not None:
        return (f"{head} looked at child {look.subject}'s {look.plan.plan_type} plan "
                f"({look.plan.team}) as of {look.as_of.isoformat()}.")
    if look.event is not None:
        event = look.event
        started = event.start_date.isoformat() if event.start_date else "(no start)"
        return (f"{head} looked at child {look.subject}'s {event.kind.value.replace('_', ' ')} "
                f"starting {started} ({event.team or 'no team'}) as of "
                f"{look.as_of.isoformat()}.")
    if look.rule.applies_to == "events":
        return f"{head} looked at child {look.subject} as of {look.as_of.isoformat()}."
    title = f" ({look.risk_title})" if look.risk_title else ""
    return f"{head} looked at strategic risk {look.subject}{title} as of {look.as_of.isoformat()}."


def fired(look: Look, state: str) -> str:
    """'so it is RED and the rule FIRED (severity high)' (or what a disabled rule would do)."""
    severity = look.rule.severity.value
    if not look.rule.enabled:
        return f"so it is {state} and the rule would have FIRED (severity {severity})"
    return f"so it is {state} and the rule FIRED (severity {severity})"


def quiet(look: Look) -> str:
    if not look.rule.enabled:
        return "the rule would not have fired"
    return "the rule did not fire"


def periods_summary(points: Sequence[Point]) -> str:
    if not points:
        return "no periods"
    if len(points) == 1:
        return f"{points[0].label} only"
    return f"{points[0].label} to {points[-1].label} ({len(points)} periods)"


def no_data(look: Look, other_areas: Sequence[str] = ()) -> str:
    """There is nothing to judge up to the as-of date: say which periods do exist."""
    where = f" in {look.area}" if look.area else ""
    if not look.points:
        text = f"No data is loaded for {look.subject}{where}"
        if other_areas:
            text += f" (it has data for {listing(other_areas)})"
        return text + "."
    later = [p for p in look.points if p.period.end > look.as_of]
    return (f"There is no data for {look.subject}{where} up to the as-of date: the stored "
            f"periods run {periods_summary(later)}, all after {look.as_of.isoformat()}.")


def selection_mismatch(look: Look) -> list[str]:
    """Why the rule's `select` leaves this subject out (empty when it is selected)."""
    select, measure = look.rule.select, look.measure
    reasons = []
    if measure is not None:
        if not Selection(measures=select.measures).matches_measure(measure):
            reasons.append(f"the rule selects measures {listing(select.measures)}, and "
                           f"{measure.id} is not one of them")
        if not Selection(service_area=select.service_area).matches_measure(measure):
            reasons.append(f"the rule selects service area {listing(select.service_area)}, and "
                           f"{measure.id} is in service area {measure.service_area or 'none'}")
        if not Selection(tags=select.tags).matches_measure(measure):
            reasons.append(f"the rule selects measures tagged {listing(select.tags)}, and "
                           f"{measure.id} is tagged {listing(measure.tags)}")
        if look.area is not None and not select.matches_area(look.area):
            reasons.append(f"the rule selects areas {listing(select.areas)}, and {look.area} "
                           "is not one of them")
    elif look.plan is not None:
        plan = look.plan
        if not Selection(plan_types=select.plan_types).matches_case(plan.plan_type, plan.team):
            reasons.append(f"the rule selects plan types {listing(select.plan_types)}, and this "
                           f"is a {plan.plan_type} plan")
        if not Selection(teams=select.teams).matches_case(plan.plan_type, plan.team):
            reasons.append(f"the rule selects teams {listing(select.teams)}, and the plan is "
                           f"held by {plan.team}")
        if not (select.matches_area(plan.team) or select.matches_area(plan.locality)):
            reasons.append(f"the rule selects areas {listing(select.areas)}, and neither the "
                           f"team {plan.team} nor the locality {plan.locality or '(none)'} is "
                           "one of them")
    elif look.rule.applies_to == "events":
        reasons.extend(_event_mismatch(look))
    elif not select.matches_risk(look.subject):
        reasons.append(f"the rule selects risks {listing(select.risks)}, and {look.subject} is "
                       "not one of them")
    return reasons


def _event_mismatch(look: Look) -> list[str]:
    if look.event is None:
        return []
    select, reasons = look.rule.select, []
    team, place = look.event.team or "", look.event.locality
    if not Selection(teams=select.teams).matches_case("", team):
        reasons.append(f"the rule selects teams {listing(select.teams)}, and the event is "
                       f"held by {team or '(no team)'}")
    if not (select.matches_area(team) or select.matches_area(place)):
        reasons.append(f"the rule selects areas {listing(select.areas)}, and neither the "
                       f"team {team or '(none)'} nor the locality {place or '(none)'} is "
                       "one of them")
    return reasons


def not_selected(look: Look, reasons: Sequence[str]) -> str:
    return (f"It does not look at this at all: {'; '.join(reasons)}. So {quiet(look)}.")


def _until(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}" if moment.time() == time.max else f"{moment:%Y-%m-%d %H:%M}"


def silence_sentence(look: Look, active: Silence | None, inactive: Sequence[Silence],
                     now: datetime) -> str:
    """What the silences in force today do to this alert; silenced alerts are still recorded."""
    parts = []
    if active is not None:
        who = f"silence {active.id} (\"{active.reason}\", until {_until(active.ends)}, " \
              f"by {active.author})"
        if look.fired:
            parts.append(f"It is silenced by {who}: the alert is recorded but no notice is sent.")
        else:
            parts.append(f"Its labels match {who}, which would mute it if it fired.")
    elif look.fired:
        parts.append("No silence mutes it today.")
    for silence in inactive:
        when = (f"ended on {_until(silence.ends)}" if silence.ends <= now
                else f"starts on {silence.starts:%Y-%m-%d}" if silence.starts else "is not active")
        parts.append(f"Silence {silence.id} (\"{silence.reason}\") also matches but {when}.")
    return " ".join(parts)


def plural_kind(applies_to: str) -> str:
    """What rules that apply to `applies_to` look at, in words."""
    return KINDS.get(applies_to, applies_to)
