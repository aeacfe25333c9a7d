"""Alerts as a signed-in person may see them: child-level alerts in detail only for the
teams they are entitled to (the rule notices follow), counts per rule and team otherwise.

Every page and API answer about alerts goes through `visible_alerts` or `visible_alert`,
so there is one place where a child id can or cannot leave the service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from alerting.alerts.state import Alert, AlertState, Notified
from alerting.model.findings import Status
from alerting.store.handling import Handling
from alerting.web.auth import Principal

WHOLE_AUTHORITY = "Whole authority"


def team_of(alert: Alert) -> str | None:
    """The team (case rules) or area an alert is about: the same value notices check a
    receiver's `child_level_for` against (routing/grouping.py)."""
    return alert.area


def local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d %b %Y %H:%M") if moment else ""


@dataclass(frozen=True)
class AlertView:
    """One alert the person may see in full."""

    alert: Alert
    rule_title: str
    team: str
    handling: Handling | None
    told: tuple[Notified, ...] = ()

    @property
    def status_words(self) -> str:
        try:
            return Status(self.alert.status).words
        except ValueError:
            return str(self.alert.status)

    @property
    def message(self) -> str:
        return str(self.alert.finding.get("message") or self.alert.subject)

    @property
    def subject_title(self) -> str:
        return str(self.alert.finding.get("subject_title") or self.alert.subject)

    @property
    def period(self) -> str:
        return str(self.alert.finding.get("period_label") or "")

    @property
    def trend(self) -> list[Mapping[str, Any]]:
        details = self.alert.finding.get("details") or {}
        return [p for p in details.get("trend") or [] if isinstance(p, Mapping)]

    def to_json(self, zone: ZoneInfo) -> dict[str, Any]:
        a = self.alert
        return {
            "identity": a.identity, "rule": a.rule, "rule_title": self.rule_title,
            "subject": a.subject, "subject_title": self.subject_title, "area": a.area,
            "team": self.team, "state": a.state.value, "status": a.status.value,
            "severity": a.severity.value, "episode": a.episode, "message": self.message,
            "period": self.period, "started_at": a.started_at.isoformat(),
            "changed_at": a.changed_at.isoformat(), "last_seen_at": a.last_seen_at.isoformat(),
            "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None,
            # Whether another alert inhibits it, not which: that one may name a child.
            "silenced_by": a.silenced_by, "inhibited": a.inhibited_by is not None,
            "child_level": a.child_level,
            "handled_by": None if self.handling is None else {
                "name": self.handling.handled_by, "note": self.handling.note,
                "set_by": self.handling.set_by, "set_at": self.handling.set_at.isoformat()},
            "told": [{"receiver": t.receiver, "reason": t.reason.value,
                      "at": t.notified_at.isoformat()} for t in self.told],
            "labels": a.labels, "details": dict(a.finding.get("details") or {}),
            "value": a.finding.get("value"), "target": a.finding.get("target"),
        }


@dataclass(frozen=True)
class ChildCount:
    """Child-level alerts of one rule and team the person may not see: only how many."""

    rule: str
    rule_title: str
    team: str
    severity: str
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "rule_title": self.rule_title, "team": self.team,
                "severity": self.severity, "count": self.count}


@dataclass
class Visible:
    alerts: list[AlertView] = field(default_factory=list)
    counts: list[ChildCount] = field(default_factory=list)


def may_see(principal: Principal, alert: Alert) -> bool:
    return not alert.child_level or principal.may_see_children_of(team_of(alert))


def visible_alerts(principal: Principal, alerts: Iterable[Alert], *,
                   rule_titles: Mapping[str, str], handling: Mapping[str, Handling],
                   log: Mapping[tuple[str, str], Notified]) -> Visible:
    told: dict[str, list[Notified]] = {}
    for (_receiver, identity), entry in log.items():
        told.setdefault(identity, []).append(entry)
    shown = Visible()
    counts: dict[tuple[str, str, str], int] = {}
    for alert in alerts:
        team = team_of(alert) or WHOLE_AUTHORITY
        if may_see(principal, alert):
            entries = sorted(told.get(alert.identity, []), key=lambda n: n.notified_at,
                             reverse=True)
            shown.alerts.append(AlertView(alert, rule_titles.get(alert.rule, alert.rule), team,
                                          handling.get(alert.identity), tuple(entries)))
        else:
            key = (alert.rule, team, alert.severity.value)
            counts[key] = counts.get(key, 0) + 1
    shown.alerts.sort(key=lambda v: (v.team, -v.alert.severity.rank, v.alert.rule,
                                     v.alert.identity))
    shown.counts = [ChildCount(rule, rule_titles.get(rule, rule), team, severity, n)
                    for (rule, team, severity), n in sorted(counts.items())]
    return shown


def by_team(views: Iterable[AlertView]) -> list[tuple[str, list[AlertView]]]:
    """Alerts grouped by team (or locality), most severe first within each."""
    groups: dict[str, list[AlertView]] = {}
    for view in views:
        groups.setdefault(view.team, []).append(view)
    return sorted(groups.items())


def firing(alerts: Mapping[str, Alert], *, include_resolved: bool) -> list[Alert]:
    return [a for a in alerts.values()
            if include_resolved or a.state is AlertState.FIRING]
