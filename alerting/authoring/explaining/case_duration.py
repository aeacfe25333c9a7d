"""`case_duration`: the plan's start, time on plan, and both thresholds as dates."""

from __future__ import annotations

from alerting.authoring.explaining.facts import Look
from alerting.authoring.explaining.words import fired, no_data, quiet
from alerting.model.durations import Duration
from alerting.model.findings import Status
from alerting.rendering.views import time_on_plan


def _threshold_words(look: Look) -> str:
    rule = look.rule
    older_than: Duration = getattr(rule, "older_than", Duration(2, "y"))
    warn_after: Duration | None = getattr(rule, "warn_after", None)
    text = (f"the rule fires for open plans of at least {older_than.words} (started on or before "
            f"{older_than.before(look.as_of).isoformat()})")
    if warn_after is not None:
        text += (f" and warns from {warn_after.words} (started on or before "
                 f"{warn_after.before(look.as_of).isoformat()})")
    return text


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
    older_than: Duration = getattr(look.rule, "older_than", Duration(2, "y"))
    exactly = (f", exactly {older_than.words}, which counts"
               if plan.start == older_than.before(look.as_of) else "")
    first = (f"The {kind} started on {plan.start.isoformat()} and is open: {length} on the "
             f"plan at {as_of}{exactly}; {_threshold_words(look)}")
    finding = look.finding
    if finding is None:
        return f"{first}. So {quiet(look)}."
    state = "a BREACH" if finding.status is Status.BREACH else "a WARNING"
    worker = finding.details.get("worker")
    return (f"{first}, {fired(look, state)}. Allocated worker: "
            f"{worker or 'not recorded'}.")
