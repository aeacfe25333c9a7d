"""Grouping: which notices a run sends, and what each holds.

Every alert is routed; for each receiver `why_notify` decides whether a notice is due.
By default a receiver gets one digest per run, most severe first; a route with
`group: each` sends one notice per alert. Child-level alerts go in detail only to receivers
entitled to that team's children; every other receiver gets counts per rule and team.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from alerting.alerts.state import Alert, AlertState, Notified, NotifyReason, notified, why_notify
from alerting.routing.quiet_hours import LocalTime
from alerting.routing.routes import Grouping, Receiver, Routing


@dataclass(frozen=True)
class DueAlert:
    """An alert a receiver is due to hear about, and why."""

    alert: Alert
    reason: NotifyReason


@dataclass(frozen=True)
class ChildCount:
    """Child-level alerts a receiver may not see in detail: counted per rule, team and reason."""

    rule: str
    team: str
    reason: NotifyReason
    count: int
    # From the findings, where their rule type gives them (case_deadline): the longest wait
    # among the counted children, in working days; the team's open events of the kind (the
    # share's denominator); and the rule's whole-cohort summary in the report's words.
    longest: int | None = None
    cohort: int | None = None
    summary: str = ""


@dataclass(frozen=True)
class NoticeDraft:
    """What one notice to one receiver will say, before it is rendered for a channel."""

    receiver: Receiver
    alerts: tuple[DueAlert, ...]
    child_counts: tuple[ChildCount, ...] = ()
    still_open: int = 0
    templates: Mapping[str, str] = field(default_factory=dict)
    rule_titles: Mapping[str, str] = field(default_factory=dict)
    rule_templates: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    not_before: datetime | None = None  # held by the route's quiet hours until then


@dataclass(frozen=True)
class NoticePlan:
    drafts: tuple[NoticeDraft, ...]
    notified: tuple[Notified, ...]


def _most_severe_first(due: DueAlert) -> tuple[bool, int, int, str, str]:
    alert = due.alert
    return (due.reason is NotifyReason.RESOLVED, -alert.severity.rank, -alert.level,
            alert.rule, alert.identity)


@dataclass
class _Box:
    """One receiver's due alerts under one route's grouping and templates."""

    receiver: Receiver
    templates: Mapping[str, str]
    not_before: datetime | None = None
    digest: list[DueAlert] = field(default_factory=list)
    each: list[DueAlert] = field(default_factory=list)
    counts: Counter[tuple[str, str, NotifyReason]] = field(default_factory=Counter)
    figures: dict[tuple[str, str, NotifyReason], tuple[int | None, int | None, str]] = \
        field(default_factory=dict)

    def count(self, alert: Alert, team: str, reason: NotifyReason) -> None:
        """Count a child-level alert, keeping the longest, the team's cohort and summary."""
        key = (alert.rule, team, reason)
        self.counts[key] += 1
        details = alert.finding.get("details") or {}
        elapsed, cohort = details.get("working_days_elapsed"), details.get("team_cohort")
        summary = str((details.get("summary") or {}).get("text") or "")
        longest, known_cohort, known_summary = self.figures.get(key, (None, None, ""))
        if isinstance(elapsed, int) and (longest is None or elapsed > longest):
            longest = elapsed
        self.figures[key] = (longest, cohort if isinstance(cohort, int) else known_cohort,
                             known_summary or summary)


def plan_notices(alerts: Iterable[Alert], log: Mapping[tuple[str, str], Notified],
                 routing: Routing, now: datetime, *,
                 rule_titles: Mapping[str, str] | None = None,
                 rule_templates: Mapping[str, Mapping[str, str]] | None = None,
                 local: LocalTime | None = None) -> NoticePlan:
    """Route every alert, decide what each receiver is due, and group it into drafts.

    With `local` (the council's time zone and working days), a route's quiet hours hold its
    drafts until the window opens (`not_before`); without it nothing is held.
    """
    boxes: dict[tuple[str, tuple[tuple[str, str], ...], datetime | None], _Box] = {}
    holds: dict[str, datetime | None] = {}
    open_alerts: Counter[str] = Counter()
    due_firing: Counter[str] = Counter()
    entries: list[Notified] = []
    for alert in alerts:
        for settings in routing.routes_for(alert.labels):
            receiver = routing.receiver(settings.receiver)
            if alert.state is AlertState.FIRING and not alert.muted:
                open_alerts[receiver.name] += 1
            reason = why_notify(alert, log.get((receiver.name, alert.identity)),
                                repeat_interval=settings.repeat_interval,
                                send_resolved=settings.send_resolved, now=now)
            if reason is None:
                continue
            entries.append(notified(receiver.name, alert, reason, now))
            if reason is not NotifyReason.RESOLVED:
                due_firing[receiver.name] += 1
            templates = dict(settings.templates or {})
            if settings.path not in holds:
                holds[settings.path] = (routing.quiet(settings).opens(now, local.zone,
                                                                      local.calendar)
                                        if local is not None else None)
            hold = holds[settings.path]
            key = (receiver.name, tuple(sorted(templates.items())), hold)
            box = boxes.setdefault(key, _Box(receiver, templates, hold))
            team = alert.area or ""
            if alert.child_level and not receiver.may_see_children_of(team):
                box.count(alert, team, reason)
            elif settings.group is Grouping.EACH:
                box.each.append(DueAlert(alert, reason))
            else:
                box.digest.append(DueAlert(alert, reason))
    drafts: list[NoticeDraft] = []
    titles = dict(rule_titles or {})
    partials = dict(rule_templates or {})
    for box in boxes.values():
        name = box.receiver.name
        still_open = max(open_alerts[name] - due_firing[name], 0)
        for due in sorted(box.each, key=_most_severe_first):
            drafts.append(NoticeDraft(box.receiver, (due,), templates=box.templates,
                                      rule_titles=titles, rule_templates=partials,
                                      not_before=box.not_before))
        if box.digest or box.counts:
            counts = tuple(ChildCount(rule, team, reason, n,
                                      *box.figures.get((rule, team, reason), (None, None, "")))
                           for (rule, team, reason), n in sorted(box.counts.items(),
                                                                  key=lambda kv: kv[0][:2]))
            drafts.append(NoticeDraft(box.receiver,
                                      tuple(sorted(box.digest, key=_most_severe_first)),
                                      counts, still_open, box.templates, titles, partials,
                                      box.not_before))
    return NoticePlan(tuple(drafts), tuple(entries))
