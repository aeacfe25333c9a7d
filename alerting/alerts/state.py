"""Alert state across runs, and the one decision of whether a receiver is due a notice.

An alert is a finding's identity (rule + subject + area; the subject is the child id for
case rules) followed over time. Each run compares this run's exceptions with the stored
alerts: an alert is new, continuing, escalated (amber -> red, warning -> breach), improved
or resolved. `why_notify` then decides, per receiver, from what that receiver was last sent
(the notification log) and the route's settings, with the clock passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from alerting.model.findings import Finding, Severity, Status


class AlertState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class Change(StrEnum):
    """What happened to an alert in this run."""

    NEW = "new"
    CONTINUING = "continuing"
    ESCALATED = "escalated"
    IMPROVED = "improved"
    RESOLVED = "resolved"
    RETIRED = "retired"  # its rule was removed or disabled: closed without a notice


class NotifyReason(StrEnum):
    FIRST = "first"
    ESCALATED = "escalated"
    REPEAT = "repeat"
    RESOLVED = "resolved"

    @property
    def words(self) -> str:
        return {"first": "New", "escalated": "Worse", "repeat": "Still open",
                "resolved": "Resolved"}[self.value]


# How serious a status is, for escalation: a warning or amber rating becomes a breach or red.
_STATUS_LEVEL = {
    Status.AMBER: 1, Status.WITHIN_TOLERANCE: 1, Status.WARNING: 1,
    Status.RED: 2, Status.WORSE_THAN_TOLERANCE: 2, Status.BREACH: 2,
}


def status_level(status: Status) -> int:
    return _STATUS_LEVEL.get(status, 1)


@dataclass(frozen=True)
class Alert:
    """The stored state of one alert. `finding` is the latest finding, as JSON."""

    identity: str
    rule: str
    subject: str
    area: str | None
    state: AlertState
    status: Status
    severity: Severity
    episode: int
    started_at: datetime
    changed_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    finding: Mapping[str, Any]
    silenced_by: str | None = None  # the silence that mutes it now
    inhibited_by: str | None = None  # the firing alert that inhibits it now (see inhibition)

    @property
    def muted(self) -> bool:
        """Silenced or inhibited: still recorded, but nobody is sent a notice about it."""
        return self.silenced_by is not None or self.inhibited_by is not None

    @property
    def labels(self) -> dict[str, str]:
        labels = dict(self.finding.get("labels") or {})
        labels.setdefault("alert", self.identity)
        return labels

    @property
    def level(self) -> int:
        return status_level(self.status)

    @property
    def child_level(self) -> bool:
        return bool((self.finding.get("details") or {}).get("child_level"))


@dataclass(frozen=True)
class AlertUpdate:
    alert: Alert
    change: Change
    previous: Alert | None = None


def update_alerts(previous: Mapping[str, Alert], exceptions: Iterable[Finding],
                  evaluated_rules: Collection[str], known_rules: Collection[str],
                  now: datetime,
                  describe: Callable[[Finding], Mapping[str, Any]] = Finding.to_json,
                  ) -> list[AlertUpdate]:
    """This run's exceptions against the stored alerts -> every alert's new state.

    Alerts of rules that failed in this run are left as they were (a failing rule is not
    a resolution); alerts of rules no longer in the rule files are retired quietly.
    `describe` keeps the finding with the alert (all of it, as JSON, for notices; a
    backtest, which renders nothing, keeps only what routing needs).
    """
    updates: list[AlertUpdate] = []
    seen: set[str] = set()
    for finding in exceptions:
        identity = finding.identity
        if identity in seen:
            continue
        seen.add(identity)
        updates.append(_fired(previous.get(identity), finding, now, describe))
    for identity, alert in previous.items():
        if identity in seen or alert.state is not AlertState.FIRING:
            continue
        if alert.rule in evaluated_rules:
            updates.append(AlertUpdate(_closed(alert, now), Change.RESOLVED, alert))
        elif alert.rule not in known_rules:
            updates.append(AlertUpdate(_closed(alert, now), Change.RETIRED, alert))
    return updates


def _closed(alert: Alert, now: datetime) -> Alert:
    return replace(alert, state=AlertState.RESOLVED, changed_at=now, resolved_at=now)


def _fired(before: Alert | None, finding: Finding, now: datetime,
           describe: Callable[[Finding], Mapping[str, Any]]) -> AlertUpdate:
    data = describe(finding)
    if before is None or before.state is AlertState.RESOLVED:
        episode = 1 if before is None else before.episode + 1
        # A new episode of a known alert keeps its identity (the same text, not a copy).
        identity = finding.identity if before is None else before.identity
        alert = Alert(identity=identity, rule=finding.rule, subject=finding.subject,
                      area=finding.area, state=AlertState.FIRING, status=finding.status,
                      severity=finding.severity, episode=episode, started_at=now,
                      changed_at=now, last_seen_at=now, resolved_at=None, finding=data)
        return AlertUpdate(alert, Change.NEW, before)
    level = status_level(finding.status)
    if level > before.level or finding.severity.rank > before.severity.rank:
        change = Change.ESCALATED
    elif level < before.level or finding.severity.rank < before.severity.rank:
        change = Change.IMPROVED
    else:
        change = Change.CONTINUING
    moved = change is not Change.CONTINUING or finding.status is not before.status
    alert = replace(before, status=finding.status, severity=finding.severity,
                    changed_at=now if moved else before.changed_at, last_seen_at=now,
                    finding=data)
    return AlertUpdate(alert, change, before)


@dataclass(frozen=True)
class Notified:
    """The notification log: what one receiver was last told about one alert."""

    receiver: str
    identity: str
    episode: int
    level: int
    severity_rank: int
    reason: NotifyReason
    notified_at: datetime


def why_notify(alert: Alert, last: Notified | None, *, repeat_interval: timedelta,
               send_resolved: bool, now: datetime) -> NotifyReason | None:
    """Why this receiver is due a notice about this alert now, or None when nothing changed."""
    if alert.muted:
        return None
    same_episode = last is not None and last.episode == alert.episode
    if alert.state is AlertState.RESOLVED:
        told_firing = same_episode and last is not None and last.reason is not NotifyReason.RESOLVED
        return NotifyReason.RESOLVED if send_resolved and told_firing else None
    if last is None or not same_episode or last.reason is NotifyReason.RESOLVED:
        return NotifyReason.FIRST
    if alert.level > last.level or alert.severity.rank > last.severity_rank:
        return NotifyReason.ESCALATED
    if now - last.notified_at >= repeat_interval:
        return NotifyReason.REPEAT
    return None


def notified(receiver: str, alert: Alert, reason: NotifyReason, now: datetime) -> Notified:
    return Notified(receiver=receiver, identity=alert.identity, episode=alert.episode,
                    level=alert.level, severity_rank=alert.severity.rank, reason=reason,
                    notified_at=now)
