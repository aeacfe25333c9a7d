"""`decline`: the run of values, what counts as worse, and what broke a short run."""

from __future__ import annotations

from alerting.authoring.explaining.facts import Look, Point
from alerting.authoring.explaining.words import fired, fmt, no_data, plural, quiet
from alerting.model.catalogue import Frequency, Polarity
from alerting.model.findings import Status
from alerting.rules.wording import period_noun


def _deterioration_words(deterioration: str | None, polarity: Polarity) -> str:
    """'a decrease is worse, as bigger is better'."""
    if deterioration == "away_from_plan":
        return "moving further from plan is worse, as plan is best"
    if polarity is Polarity.NONE:
        return f"the rule counts {deterioration}s, as the measure has no polarity"
    article = "an" if deterioration == "increase" else "a"
    return f"{article} {deterioration} is worse, as {polarity.words}"


def _step_reason(look: Look, previous: Point | None, current: Point, step: int,
                 deterioration: str | None) -> str:
    """Why the move into `current` is not a deterioration (so no run ends there)."""
    noun = period_noun(look.measure.frequency if look.measure else Frequency.MONTHLY)
    if current.value is None:
        marker = f" (marked '{current.marker}')" if current.marker else ""
        return f"{current.label} has no value{marker}, and a missing value breaks any run"
    if previous is None:
        return f"{current.label} is the first period stored, so there is nothing to compare with"
    if current.period.month_index - previous.period.month_index != step:
        return (f"the period before {current.label} in the data is {previous.label}, not the "
                f"{noun} before, and a gap breaks the run")
    if previous.value is None:
        return f"{previous.label} has no value, and a missing value breaks the run"
    before, after = fmt(look, previous.value), fmt(look, current.value)
    if current.value == previous.value:
        return (f"it is unchanged at {after} from {previous.label} to {current.label}, and an "
                "unchanged value breaks the run")
    move = f"from {before} in {previous.label} to {after} in {current.label}"
    if deterioration == "away_from_plan":
        if current.target is None or previous.target is None:
            return f"it moved {move}, with no target to measure the distance from plan"
        return f"it moved {move}, no further from plan"
    moved = "increase" if current.value > previous.value else "decrease"
    if look.measure is not None and look.measure.polarity is Polarity.NONE:
        return f"it moved {move}, {'an' if moved == 'increase' else 'a'} {moved}, which " \
            "the rule does not count"
    return f"it moved {move}, which is an improvement"


def explain_decline(look: Look) -> str:
    rule, measure = look.rule, look.measure
    polarity = measure.polarity if measure else Polarity.NONE
    deterioration = getattr(rule, "deterioration", lambda _p: None)(polarity)
    periods, warn_at = int(getattr(rule, "periods", 3)), getattr(rule, "warn_at", None)
    noun = period_noun(measure.frequency if measure else Frequency.MONTHLY)
    needs = f"the rule needs {plural(periods, noun)} running" + (
        f" (a warning at {warn_at})" if warn_at else "")
    if deterioration is None:
        return (f"{look.subject} has no polarity and the rule sets no direction, so no change "
                f"counts as a decline: {quiet(look)}.")
    worse = _deterioration_words(deterioration, polarity)
    finding = look.finding
    if finding is not None:
        history = finding.details.get("history") or []
        values = ", ".join(f"{fmt(look, h['value'])} ({h['label']})" for h in history)
        state = "a BREACH" if finding.status is Status.BREACH else "a WARNING"
        run = int(finding.details.get("periods", len(history) - 1))
        return (f"The values are {values}: {plural(run, noun)} of deterioration in a row "
                f"({worse}). {needs.capitalize()}, {fired(look, state)}.")
    to_date = look.points_to_date()
    if not to_date:
        return f"{no_data(look)} So {quiet(look)}."
    step = measure.frequency.months if measure else 1
    probe = look.probe(rule.model_copy(update={"periods": 1, "warn_at": None}))
    if probe is not None:  # a run too short to fire
        history = probe.details.get("history") or []
        run = int(probe.details.get("periods", 0))
        values = ", ".join(f"{fmt(look, h['value'])} ({h['label']})" for h in history)
        first = len(to_date) - 1 - run
        previous = to_date[first - 1] if first > 0 else None
        broke = _step_reason(look, previous, to_date[first], step, deterioration)
        return (f"The values are {values}: only {plural(run, noun)} of deterioration in a row "
                f"({worse}); before that, {broke}. {needs.capitalize()}, so {quiet(look)}.")
    current = to_date[-1]
    previous = to_date[-2] if len(to_date) > 1 else None
    reason = _step_reason(look, previous, current, step, deterioration)
    return (f"The latest period is {current.label}: {reason} ({worse}). So no run of "
            f"deterioration ends at {current.label}; {needs}, so {quiet(look)}.")
