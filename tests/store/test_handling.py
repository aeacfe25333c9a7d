"""Who is handling an alert and the audit trail, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alerting.alerts.state import Alert, AlertState
from alerting.model.findings import Severity, Status
from alerting.store import Store
from alerting.store.handling import AuditEvent, Handling

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def _alert(identity: str = "cp-over-2y|C1|Stroud Safeguarding", episode: int = 1,
           state: AlertState = AlertState.FIRING) -> Alert:
    return Alert(identity=identity, rule="cp-over-2y", subject="C1", area="Stroud Safeguarding",
                 state=state, status=Status.BREACH, severity=Severity.HIGH, episode=episode,
                 started_at=NOW, changed_at=NOW, last_seen_at=NOW, resolved_at=None,
                 finding={"labels": {"team": "Stroud Safeguarding"}})


def test_handling_is_kept_with_its_audit_event(store: Store) -> None:
    """Setting who handles an alert is stored and audited; clearing it is audited too."""
    alert = _alert()
    store.commit_run([alert], [], [])
    store.set_handling(Handling(alert.identity, 1, "Sam Patel", "visit booked", "j.smith",
                                NOW))
    assert store.handling()[alert.identity].handled_by == "Sam Patel"
    assert store.handling()[alert.identity].note == "visit booked"
    assert store.clear_handling(alert.identity, actor="j.smith", at=NOW + timedelta(hours=1))
    assert not store.clear_handling(alert.identity, actor="j.smith", at=NOW)
    assert store.handling() == {}
    trail = store.audit_trail(alert.identity)
    assert [(e.action, e.actor) for e in trail] == [("handling-cleared", "j.smith"),
                                                    ("handling", "j.smith")]
    assert "Sam Patel: visit booked" in trail[1].detail


def test_handling_ends_with_the_episode(store: Store) -> None:
    """An alert that resolved and fired again (a new episode) is nobody's until taken again."""
    alert = _alert()
    store.commit_run([alert], [], [])
    store.set_handling(Handling(alert.identity, 1, "Sam Patel", "", "j.smith", NOW))
    store.commit_run([replace(alert, episode=2)], [], [])
    assert store.handling() == {}


def test_audit_trail_newest_first_and_by_target(store: Store) -> None:
    """Audit events come back newest first, all of them or those of one target."""
    store.record_audit(AuditEvent(NOW, "a", "silence-added", "s1", "rule=x"))
    store.record_audit(AuditEvent(NOW + timedelta(minutes=1), "b", "outbox-retry", "n1"))
    assert [e.actor for e in store.audit_trail()] == ["b", "a"]
    assert [e.action for e in store.audit_trail("s1")] == ["silence-added"]
