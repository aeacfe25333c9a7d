"""`case_deadline`: the event's clock (where it starts and stops), the deadline as a date, the
working days elapsed and overdue, counted in the service's calendar (weekends, bank holidays
and closure days skipped, the start day not counted).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from alerting.authoring.explaining.facts import Look
from alerting.authoring.explaining.words import fired, plural, quiet
from alerting.model.events import EventFrame
from alerting.model.findings import Status
from alerting.rules import EvaluationContext
from alerting.rules.case_deadline import CaseDeadlineRule


def _day(value: np.datetime64) -> date | None:
    return None if np.isnat(value) else value.astype("datetime64[D]").item()


def _clock_words(rule: CaseDeadlineRule) -> str:
    start = rule.from_date or "the event's start"
    if rule.every is not None:
        first = f" (the first within {rule.first_within.words} of the start)" \
            if rule.first_within else ""
        return (f"the rule wants one at least every {rule.every.words}{first}, counted from "
                f"{start} (or the start when there is none) while the event is open")
    stop = rule.until_date or "the event's end"
    assert rule.within is not None
    return f"the rule wants {stop} within {rule.within.words} of {start}"


def explain_case_deadline(look: Look) -> str:
    rule = look.rule
    if not isinstance(rule, CaseDeadlineRule):
        return f"It found nothing here, so {quiet(look)}."
    kind = rule.kind.value.replace("_", " ")
    if look.event is None:
        return (f"Child {look.subject} has no {kind} event in the loaded data, so "
                f"{quiet(look)}.")
    context = EvaluationContext(look.as_of, calendar=look.calendar)
    clocks = rule.clocks(EventFrame.from_records([look.event]), context)
    if clocks is None or not clocks.rows.size:
        return f"The event is not one the rule counts (left out by `exclude`), so {quiet(look)}."
    start, due = _day(clocks.start[0]), _day(clocks.due[0])
    stop = _day(clocks.stop[0])
    elapsed, overdue = int(clocks.elapsed[0]), int(clocks.overdue[0])
    head = f"{_clock_words(rule)} (weekends, bank holidays and closure days not counted)"
    if start is None:
        return (f"The event has no {rule.from_date or 'start'} date, so its clock never "
                f"started; {head}. So {quiet(look)}.")
    if start > look.as_of:
        return f"Its clock starts on {start.isoformat()}, after the as-of date, so {quiet(look)}."
    timeline = f"Its clock started on {start.isoformat()} and the deadline is {due}"
    if not clocks.running[0] and stop is None:
        return (f"{timeline}; the event ended without the date that stops the clock, so it "
                f"is no longer counted; {head}. So {quiet(look)}.")
    if stop is not None:
        verdict = "late" if clocks.completed_late[0] or overdue else "in time"
        body = (f"{timeline}; it stopped on {stop.isoformat()}, {plural(elapsed, 'working day')}"
                f" after the start: {verdict}")
    else:
        body = (f"{timeline}; it is still open after {plural(elapsed, 'working day')}"
                + (f", {plural(overdue, 'working day')} overdue" if clocks.overdue_open[0]
                   else ""))
    finding = look.finding
    if finding is None:
        why = ""
        if stop is not None and verdict == "late" and not rule.late_in_period:
            why = " (late completions are reported only with late_in_period)"
        elif stop is not None and verdict == "late":
            why = " (only those completed late in the as-of date's month are reported)"
        return f"{body}{why}; {head}. So {quiet(look)}."
    state = "a BREACH" if finding.status is Status.BREACH else "a WARNING"
    worker = finding.details.get("worker")
    return (f"{body}; {head}, {fired(look, state)}. Allocated worker: "
            f"{worker or 'not recorded'}.")
