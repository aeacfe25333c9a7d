"""`missing_data`: the latest value, the period now due and its deadline."""

from __future__ import annotations

from alerting.authoring.explaining.facts import Look
from alerting.authoring.explaining.words import fired, fmt, no_data, quiet
from alerting.model.catalogue import Frequency
from alerting.model.durations import Duration, RuleDuration
from alerting.model.frames import kind_code, period_from
from alerting.model.periods import month_period


def explain_missing_data(look: Look) -> str:
    finding, measure = look.finding, look.measure
    grace: RuleDuration = getattr(look.rule, "grace", Duration(0, "d"))
    if finding is not None and finding.area is None:
        return (f"No data at all is loaded for {look.subject}, in any area or period up to "
                f"{look.as_of.isoformat()}, {fired(look, 'a BREACH')}.")
    to_date = look.points_to_date()
    valued = [p for p in to_date if p.value is not None]
    frequency = measure.frequency if measure else Frequency.MONTHLY
    if finding is not None and not valued:
        return (f"Periods are stored up to {finding.period_label} but none has a value, "
                f"{fired(look, 'a BREACH')}.")
    if not to_date:
        return (f"{no_data(look)} Data that starts after the as-of date is not missing, so "
                f"{quiet(look)}.")
    latest = valued[-1]
    total = latest.period.month_index + frequency.months
    expected_end = month_period(total // 12, total % 12 + 1).end
    expected = period_from(expected_end.toordinal(), kind_code(latest.period.kind)).label
    overdue = grace.after(expected_end, look.calendar)
    first = f"The latest value is {fmt(look, latest.value)} for {latest.label}."
    deadline = (f"The {frequency.value} value for the next period, {expected}, is overdue from "
                f"{overdue.isoformat()} (the end of {expected}, plus a grace of {grace.words})")
    if finding is not None:
        blank = [p for p in to_date if p.value is None and p.period.end > latest.period.end]
        stored = ""
        if blank:
            marker = f", marked '{blank[-1].marker}'" if blank[-1].marker else ""
            stored = f" ({blank[-1].label} is stored without a value{marker})"
        return (f"{first} {deadline}, and by {look.as_of.isoformat()} there is no value for "
                f"it{stored}, {fired(look, 'a BREACH')}.")
    return (f"{first} {deadline}, which is after the as-of date {look.as_of.isoformat()}: "
            f"nothing is missing yet, so {quiet(look)}.")
