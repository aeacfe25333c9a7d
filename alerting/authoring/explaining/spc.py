"""`spc`: the chart's mean and limits, the special causes at the latest point, whether they
are an improvement or a concern, and the assurance the target has."""

from __future__ import annotations

from alerting.authoring.explaining.facts import Look
from alerting.authoring.explaining.words import fired, fmt, listing, no_data, quiet
from alerting.model.catalogue import Polarity
from alerting.rules.spc import SIGNAL_WORDS

_ASSURANCE = {
    "consistently_pass": "outside the limits on the good side, so the process will "
                         "consistently meet it",
    "consistently_fail": "outside the limits on the bad side, so the process will "
                         "consistently miss it",
    "hit_and_miss": "inside the limits, so the process will sometimes meet it and sometimes "
                    "not (hit and miss)",
}


def explain_spc(look: Look) -> str:
    finding = look.finding
    if finding is None:
        latest = look.points_to_date()
        if latest and latest[-1].value is None:
            return (f"The latest period, {latest[-1].label}, has no value, so there is no "
                    f"point to judge: {quiet(look)}.")
        return f"{no_data(look)} So {quiet(look)}."
    details = finding.details
    if details.get("too_few_points"):
        return (f"{finding.message}, so it is not judged and {quiet(look)} (min_points: "
                f"{details['min_points']}).")
    chart = (f"The chart runs from {details['chart_from_label']} to {finding.period_label} "
             f"({details['points']} points); the mean and limits come from the first "
             f"{details['baseline_points']}")
    screened = int(details.get("screened_moving_ranges") or 0)
    if screened:
        chart += (f", leaving out {screened} moving range{'s' if screened > 1 else ''} of "
                  "3.267 times the average or more")
    chart += (f": mean {fmt(look, details['mean'])}, process limits "
              f"{fmt(look, details['lower_limit'])} to {fmt(look, details['upper_limit'])}, "
              f"two-sigma lines {fmt(look, details['lower_two_sigma'])} and "
              f"{fmt(look, details['upper_two_sigma'])}.")
    signals = details.get("signals") or []
    value = fmt(look, finding.value)
    if signals:
        found = "; ".join(f"{SIGNAL_WORDS[s['signal']]} ({s['side']}, a {s['judgement']})"
                          for s in signals)
        point = (f"The latest point, {value} for {finding.period_label}, shows {found}, "
                 f"so its variation is {details['variation'].replace('_', ' ')}.")
    else:
        point = (f"The latest point, {value} for {finding.period_label}, shows no special "
                 "cause: common cause variation.")
    polarity = look.measure.polarity if look.measure else Polarity.NONE
    if polarity in (Polarity.NONE, Polarity.PLAN_IS_BEST):
        point += (f" The measure is {polarity.words}, so a special cause is neither an "
                  "improvement nor a concern (neutral).")
    assurance = details.get("assurance")
    if assurance:
        point += (f" The target, {fmt(look, finding.target)}, is {_ASSURANCE[assurance]}.")
    wants = listing([f"special cause {j}" for j in details.get("fire_on") or []])
    if details.get("assurance_fail"):
        wants += " or a target it will consistently miss"
    if finding.exception:
        return f"{chart} {point} The rule fires on {wants}, {fired(look, 'a BREACH')}."
    return f"{chart} {point} The rule fires on {wants}, so {quiet(look)}."
