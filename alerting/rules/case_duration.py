"""`case_duration`: open plans that started at least a given time before the as-of date.

"Children over 2 years on CP plans" means the current plan started two or more years before
the evaluation date and has not ended. One finding per child, carrying team and worker for
routing; the child id only, never a name. Thresholds are calendar durations (`2y`, `21m`) or
working days (`10wd`, counted in the context's working calendar: the start is day 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Literal

import numpy as np
from pydantic import model_validator

from alerting.model.calendar import BankHolidays, WorkingCalendar
from alerting.model.durations import DurationField, RuleDuration, WorkingDays, months_between
from alerting.model.findings import Finding, Status
from alerting.rules.base import EvaluationContext, EvaluationData, RagScheme, Rule


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class CaseDurationRule(Rule):
    """Fire for each open plan older than `older_than`; warn from `warn_after`."""

    rule_type = "case_duration"
    applies_to = "cases"
    selected_by = ("plan_types", "teams", "areas")
    data_labels = ("team", "locality", "child", "plan_type")

    type: Literal["case_duration"]
    older_than: DurationField
    warn_after: DurationField | None = None

    @model_validator(mode="after")
    def _warning_is_earlier(self) -> CaseDurationRule:
        if self.warn_after is not None and not _shorter(self.warn_after, self.older_than):
            raise ValueError(
                f"warn_after ({self.warn_after}) must be shorter than older_than "
                f"({self.older_than})"
            )
        return self

    def raises(self, scheme: RagScheme) -> Mapping[Status, str | None]:
        return {Status.BREACH: None, Status.WARNING: "warn_after"}

    def evaluate(self, data: EvaluationData, context: EvaluationContext) -> list[Finding]:
        cases = data.cases
        as_of = context.as_of.toordinal()
        # The latest start that counts: for `10wd`, the latest start with 10 working days
        # elapsed by as_of, so one comparison serves every child.
        breach_from = self.older_than.before(context.as_of, context.calendar).toordinal()
        warn_from = (self.warn_after.before(context.as_of, context.calendar).toordinal()
                     if self.warn_after else breach_from)
        open_now = (cases.start <= as_of) & (cases.end > as_of)
        candidates = np.flatnonzero(open_now & (cases.start <= warn_from))
        findings = []
        for i in candidates:
            plan_type, team = str(cases.plan_type[i]), str(cases.team[i])
            if not self.select.matches_case(plan_type, team):
                continue
            locality = cases.locality[i]
            if not (self.select.matches_area(team) or self.select.matches_area(locality)):
                continue
            breach = bool(cases.start[i] <= breach_from)
            findings.append(self._finding(data, int(i), breach, context))
        return findings

    def _finding(self, data: EvaluationData, i: int, breach: bool,
                 context: EvaluationContext) -> Finding:
        cases = data.cases
        start = date.fromordinal(int(cases.start[i]))
        months = months_between(start, context.as_of)
        years, rest = divmod(months, 12)
        child, team = str(cases.child_id[i]), str(cases.team[i])
        worker, plan_type = cases.worker[i], str(cases.plan_type[i])
        threshold = self.older_than if breach else self.warn_after
        assert threshold is not None
        details: dict[str, object] = {}
        if isinstance(threshold, WorkingDays):
            elapsed = context.calendar.working_days_between(start, context.as_of)
            length = _plural(elapsed, "working day")
            details["working_days_on_plan"] = elapsed
        else:
            length = f"{_plural(years, 'year')} {_plural(rest, 'month')}"
        message = (
            f"Child {child} ({team}): on a {plan_type} plan since {start.isoformat()}, "
            f"{length}, at least {threshold.words}"
        )
        if worker:
            message += f"; allocated worker {worker}"
        return Finding(
            rule=self.id, rule_type=self.rule_type, subject=child, subject_title=f"Child {child}",
            area=team, period=context.as_of, period_label=context.as_of.isoformat(),
            status=Status.BREACH if breach else Status.WARNING, severity=self.severity,
            exception=True, message=message, value=float(months), target=None,
            labels=self.finding_labels(team=team, locality=cases.locality[i], child=child,
                                       plan_type=plan_type),
            details={"child_id": child, "plan_type": plan_type, "start_date": start,
                     "months_on_plan": months, "team": team, "worker": worker,
                     "locality": cases.locality[i], "category": cases.category[i],
                     "previous_plans": cases.previous_plans[i], "child_level": True,
                     # What `alerting explain` needs to retell the thresholds.
                     "older_than": str(self.older_than),
                     "warn_after": str(self.warn_after) if self.warn_after else None,
                     "breach_from": self.older_than.before(context.as_of, context.calendar),
                     "warn_from": (self.warn_after.before(context.as_of, context.calendar)
                                   if self.warn_after else None), **details},
        )


# Thresholds of different kinds (21m and 400wd) are compared in a plain Monday-to-Friday week.
_PLAIN_WEEK = WorkingCalendar(bank_holidays=BankHolidays.NONE)


def _shorter(warn_after: RuleDuration, older_than: RuleDuration) -> bool:
    if isinstance(warn_after, WorkingDays) and isinstance(older_than, WorkingDays):
        return warn_after.amount < older_than.amount
    reference = date(2000, 1, 3)
    return warn_after.before(reference, _PLAIN_WEEK) > older_than.before(reference, _PLAIN_WEEK)
