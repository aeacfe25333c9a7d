"""`case_duration`: the plan's start, time on plan, and both thresholds as dates.

With a working-day threshold (`10wd`) the time on plan is also said in working days, counted in
the service's calendar (bank holidays and closures skipped, the start day not counted).
"""

from __future__ import annotations

from alerting.authoring.explaining.facts import Look
from alerting.authoring.explaining.words import fired, no_data, quiet
from alerting.model.durations import Duration, RuleDuration, WorkingDays
from alerting.model.findings import Status
from alerting.rendering.views import time_on_plan


def _threshold_words(look: Look) -> str:
    rule = look.rule
    older_than: RuleDuration = getattr(rule, "older_than", Duration(2, "y"))
    warn_after: RuleDuration | None = getattr(rule, "warn_after", None)
    text = (f"the rule fires for open plans of at least {older_than.words} (started on or before "
            f"{older_than.before(look.as_of, look.calendar).isoformat()})")
    if warn_after is not None:
        text += (f" and warns from {warn_after.words} (started on or before "
                 f"{warn_after.before(look.as_of, look.calendar).isoformat()})")
    return text


def _working_days(look: Look) -> bool:
    return any(isinstance(getattr(look.rule, name, None), WorkingDays)
               for name in ("older_than", "warn_after"))


def explain_case_duration(look: Look) -> str:
    plan = look.plan
    if plan is None:
        return f"{no_data(look)} So {quiet(look)}."
    as_of = look.as_of.isoformat()
    kind = f"{plan.plan_type} plan"
    if plan.start > look.as_of:
        return (f"The {kind} starts on {plan.start.isoformat()}, after the as-of date, so it "
                f"is not open then and {quiet(look)}.")
    if plan.end is not None and plan.end <= look.as_of:
        return (f"The {kind} ran from {plan.start.isoformat()} to {plan.end.isoformat()}: it "
                f"had ended by {as_of}, and only open plans count, so {quiet(look)}.")
    length = time_on_plan(plan.start, look.as_of)
    if _working_days(look):
        elapsed = look.calendar.working_days_between(plan.start, look.as_of)
        length += (f" ({elapsed} working day{'' if elapsed == 1 else 's'} after the start, "
                   "not counting weekends, bank holidays and closure days)")
    older_than: RuleDuration = getattr(look.rule, "older_than", Duration(2, "y"))
    if isinstance(older_than, WorkingDays):
        on_the_day = look.calendar.working_days_between(plan.start, look.as_of) \
            == older_than.amount
    else:
        on_the_day = plan.start == older_than.before(look.as_of)
    exactly = f", exactly {older_than.words}, which counts" if on_the_day else ""
    first = (f"The {kind} started on {plan.start.isoformat()} and is open: {length} on the "
             f"plan at {as_of}{exactly}; {_threshold_words(look)}")
    finding = look.finding
    if finding is None:
        return f"{first}. So {quiet(look)}."
    state = "a BREACH" if finding.status is Status.BREACH else "a WARNING"
    worker = finding.details.get("worker")
    return (f"{first}, {fired(look, state)}. Allocated worker: "
            f"{worker or 'not recorded'}.")
