"""Store operations for people acting on alerts: who is handling an alert (a manager's
acknowledgement or assignment, with a note) and the audit trail of who did what, when.

Setting or clearing who handles an alert and its audit event are written in one
transaction, so the trail never misses an action that took effect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from alerting.store.notices import _replace, _utc_required
from alerting.store.schema import alerts, audit_events, handling, notification_log


@dataclass(frozen=True)
class Handling:
    """An alert is 'being handled by' someone: set by a manager, for one episode."""

    identity: str
    episode: int
    handled_by: str
    note: str
    set_by: str
    set_at: datetime


@dataclass(frozen=True)
class AuditEvent:
    """One thing a person did through the web page or API: when, who, what, to what."""

    at: datetime
    actor: str
    action: str
    target: str
    detail: str = ""


@dataclass(frozen=True)
class Told:
    """The last notice a receiver was sent about an alert (from the notification log)."""

    receiver: str
    reason: str
    episode: int
    notified_at: datetime


def _event_row(event: AuditEvent) -> dict[str, object]:
    return {"at": event.at, "actor": event.actor, "action": event.action,
            "target": event.target, "detail": event.detail}


class HandlingStore:
    """Mixed into `Store`: who is handling which alert, and the audit trail."""

    engine: sa.Engine
    clock: Callable[[], datetime]

    def set_handling(self, entry: Handling, *, action: str = "handling") -> None:
        """Mark an alert as being handled by someone (replacing any earlier entry)."""
        with self.engine.begin() as conn:
            _replace(conn, handling, [handling.c.identity], [{
                "identity": entry.identity, "episode": entry.episode,
                "handled_by": entry.handled_by, "note": entry.note, "set_by": entry.set_by,
                "set_at": entry.set_at}])
            conn.execute(audit_events.insert(), [_event_row(AuditEvent(
                entry.set_at, entry.set_by, action, entry.identity,
                f"being handled by {entry.handled_by}" + (f": {entry.note}" if entry.note
                                                          else "")))])

    def clear_handling(self, identity: str, *, actor: str, at: datetime) -> bool:
        """Nobody is handling the alert any more. False if nobody was."""
        with self.engine.begin() as conn:
            cleared = conn.execute(handling.delete().where(handling.c.identity == identity))
            if not cleared.rowcount:
                return False
            conn.execute(audit_events.insert(), [_event_row(AuditEvent(
                at, actor, "handling-cleared", identity, "nobody is handling it now"))])
        return True

    def handling(self) -> dict[str, Handling]:
        """Who handles each alert, for the alert's current episode only (an alert that
        resolved and fired again is nobody's until someone takes it again)."""
        query = (sa.select(handling).join(alerts, alerts.c.identity == handling.c.identity)
                 .where(alerts.c.episode == handling.c.episode))
        with self.engine.connect() as conn:
            return {r.identity: Handling(r.identity, r.episode, r.handled_by, r.note,
                                         r.set_by, _utc_required(r.set_at))
                    for r in conn.execute(query)}

    def record_audit(self, event: AuditEvent) -> None:
        with self.engine.begin() as conn:
            conn.execute(audit_events.insert(), [_event_row(event)])

    def audit_trail(self, target: str | None = None, *, limit: int = 200) -> list[AuditEvent]:
        """Newest first; for one alert (or silence, or notice) when `target` is given."""
        query = sa.select(audit_events).order_by(audit_events.c.at.desc(),
                                                 audit_events.c.id.desc()).limit(limit)
        if target is not None:
            query = query.where(audit_events.c.target == target)
        with self.engine.connect() as conn:
            return [AuditEvent(_utc_required(r.at), r.actor, r.action, r.target, r.detail)
                    for r in conn.execute(query)]

    def told_about(self, identity: str) -> list[Told]:
        """Who was last sent a notice about an alert, and why, newest first."""
        query = (sa.select(notification_log).where(notification_log.c.identity == identity)
                 .order_by(notification_log.c.notified_at.desc()))
        with self.engine.connect() as conn:
            return [Told(r.receiver, r.reason, r.episode, _utc_required(r.notified_at))
                    for r in conn.execute(query)]
