"""Store operations for alerts, the notification log and the outbox of notices.

A run's alert states, notification-log entries and new notices are committed in one
transaction, before anything is sent: a crash after the commit loses nothing, and the
dispatcher later sends what is pending. Claiming notices is one conditional update (and
`FOR UPDATE SKIP LOCKED` on PostgreSQL), so concurrent dispatchers never take the same one;
the outcomes of a batch of attempts are recorded together, in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from alerting.alerts.state import Alert, AlertState, Notified, NotifyReason
from alerting.model.findings import Severity, Status
from alerting.store.schema import alerts, delivery_attempts, notices, notification_log
from notifiers import Notice

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"
# What an attempt's outcome leaves the notice as.
_STATUS_AFTER = {"sent": SENT, "retry": PENDING, "dead": DEAD}
_CHUNK = 500


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_required(value: datetime) -> datetime:
    result = _utc(value)
    assert result is not None
    return result


@dataclass(frozen=True)
class OutboxEntry:
    """A notice in the outbox and how its delivery is going."""

    id: str
    receiver: str
    channel: str
    subject: str
    alert_count: int
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None
    body: str

    @property
    def notice(self) -> Notice:
        return Notice.from_json(json.loads(self.body))


@dataclass(frozen=True)
class AttemptOutcome:
    """What one delivery attempt came to, to be recorded: sent, retry (pending again at
    `next_attempt_at`) or dead."""

    entry: OutboxEntry
    outcome: str
    detail: str | None
    duration_ms: int
    attempted_at: datetime
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class Attempt:
    notice_id: str
    attempt: int
    attempted_at: datetime
    outcome: str
    detail: str | None
    duration_ms: int | None


def _alert_row(alert: Alert) -> dict[str, Any]:
    return {
        "identity": alert.identity, "rule": alert.rule, "subject": alert.subject,
        "area": alert.area, "state": alert.state.value, "status": alert.status.value,
        "severity": alert.severity.value, "episode": alert.episode,
        "started_at": alert.started_at, "changed_at": alert.changed_at,
        "last_seen_at": alert.last_seen_at, "resolved_at": alert.resolved_at,
        "silenced_by": alert.silenced_by, "inhibited_by": alert.inhibited_by,
        "finding": json.dumps(alert.finding, default=str),
    }


def _alert_from_row(row: Any) -> Alert:
    return Alert(
        identity=row.identity, rule=row.rule, subject=row.subject, area=row.area,
        state=AlertState(row.state), status=Status(row.status), severity=Severity(row.severity),
        episode=row.episode, started_at=_utc_required(row.started_at),
        changed_at=_utc_required(row.changed_at), last_seen_at=_utc_required(row.last_seen_at),
        resolved_at=_utc(row.resolved_at), finding=json.loads(row.finding),
        silenced_by=row.silenced_by, inhibited_by=row.inhibited_by,
    )


def _entry_from_row(row: Any) -> OutboxEntry:
    return OutboxEntry(
        id=row.id, receiver=row.receiver, channel=row.channel, subject=row.subject,
        alert_count=row.alert_count, status=row.status, attempts=row.attempts,
        created_at=_utc_required(row.created_at),
        next_attempt_at=_utc_required(row.next_attempt_at), sent_at=_utc(row.sent_at),
        last_error=row.last_error, body=row.body,
    )


class NoticeStore:
    """Mixed into `Store`: alert state, notification log and outbox, in the users' words."""

    engine: sa.Engine
    clock: Callable[[], datetime]

    # --- alert state ----------------------------------------------------------------------

    def alerts(self, *, firing_only: bool = False) -> dict[str, Alert]:
        query = sa.select(alerts)
        if firing_only:
            query = query.where(alerts.c.state == AlertState.FIRING.value)
        with self.engine.connect() as conn:
            return {row.identity: _alert_from_row(row) for row in conn.execute(query)}

    def notification_log(self) -> dict[tuple[str, str], Notified]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(notification_log)).all()
        return {
            (r.receiver, r.identity): Notified(
                receiver=r.receiver, identity=r.identity, episode=r.episode, level=r.level,
                severity_rank=r.severity_rank, reason=NotifyReason(r.reason),
                notified_at=_utc_required(r.notified_at))
            for r in rows
        }

    def commit_run(self, changed_alerts: Sequence[Alert], log: Sequence[Notified],
                   new_notices: Sequence[Notice], *, now: datetime | None = None) -> None:
        """Alert states, notification log and notices of one run, all or nothing."""
        now = now or self.clock()
        with self.engine.begin() as conn:
            _replace(conn, alerts, [alerts.c.identity], [_alert_row(a) for a in changed_alerts])
            _replace(conn, notification_log,
                     [notification_log.c.receiver, notification_log.c.identity],
                     [{"receiver": n.receiver, "identity": n.identity, "episode": n.episode,
                       "level": n.level, "severity_rank": n.severity_rank,
                       "reason": n.reason.value, "notified_at": n.notified_at} for n in log])
            if new_notices:
                conn.execute(notices.insert(), [
                    {"id": n.id, "receiver": n.receiver, "channel": n.channel,
                     "subject": n.subject, "alert_count": int(n.metadata.get("alerts", 0)),
                     "body": json.dumps(n.to_json(), default=str), "status": PENDING,
                     "attempts": 0, "created_at": n.created_at or now,
                     "next_attempt_at": max(n.not_before, now) if n.not_before else now,
                     "not_before": n.not_before}
                    for n in new_notices
                ])

    # --- outbox ---------------------------------------------------------------------------

    def claim_due_notices(self, worker: str, *, now: datetime, limit: int = 100,
                          lease: timedelta = timedelta(minutes=15)) -> list[OutboxEntry]:
        """Take up to `limit` notices that are due, so no other dispatcher sends them.

        A notice left 'sending' for longer than `lease` (its dispatcher died mid-send) is
        taken again: it keeps its id, so the far end can recognise a repeat.
        """
        due = sa.or_(
            sa.and_(notices.c.status == PENDING, notices.c.next_attempt_at <= now),
            sa.and_(notices.c.status == SENDING, notices.c.claimed_at <= now - lease),
        )
        with self.engine.begin() as conn:
            query = (sa.select(notices.c.id, notices.c.status).where(due)
                     .order_by(notices.c.created_at, notices.c.id).limit(limit))
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            seen = [(notice_id, status) for notice_id, status in conn.execute(query)]
            if not seen:
                return []
            # Still in the state it was seen in, and still due: otherwise another
            # dispatcher took it in between (SQLite has no row locks to prevent that).
            taken = conn.execute(
                sa.update(notices)
                .where(sa.tuple_(notices.c.id, notices.c.status).in_(seen), due)
                .values(status=SENDING, claimed_by=worker, claimed_at=now)
                .returning(*notices.c)).all()
        order = {notice_id: i for i, (notice_id, _) in enumerate(seen)}
        return sorted((_entry_from_row(row) for row in taken), key=lambda e: order[e.id])

    def record_attempt(self, entry: OutboxEntry, *, worker: str, outcome: str,
                       detail: str | None, duration_ms: int, now: datetime,
                       next_attempt_at: datetime | None = None) -> bool:
        """Record one delivery attempt: sent, retry (pending again later) or dead.

        Returns False when this dispatcher no longer holds the claim (another took it over
        after the lease ran out); the attempt is still recorded.
        """
        return self.record_attempts([AttemptOutcome(
            entry, outcome, detail, duration_ms, now, next_attempt_at)], worker=worker) == 1

    def record_attempts(self, outcomes: Sequence[AttemptOutcome], *, worker: str) -> int:
        """Record several delivery attempts in one transaction (see `record_attempt`).

        Returns how many of the notices this dispatcher still held the claim on; every
        attempt is recorded either way.
        """
        if not outcomes:
            return 0
        unknown = {o.outcome for o in outcomes} - _STATUS_AFTER.keys()
        if unknown:
            raise ValueError(f"unknown attempt outcome(s): {', '.join(sorted(unknown))}")
        with self.engine.begin() as conn:
            conn.execute(delivery_attempts.insert(), [
                {"notice_id": o.entry.id, "attempt": o.entry.attempts + 1,
                 "attempted_at": o.attempted_at, "outcome": o.outcome, "detail": o.detail,
                 "duration_ms": o.duration_ms} for o in outcomes])
            held = 0
            for outcome in _STATUS_AFTER:
                same = [o for o in outcomes if o.outcome == outcome]
                if same:
                    held += int(conn.execute(_finish_attempt(outcome, worker),
                                             [_finish_params(o) for o in same]).rowcount)
        return held

    def outbox(self, statuses: Iterable[str] | None = None, *,
               limit: int | None = None) -> list[OutboxEntry]:
        query = sa.select(notices).order_by(notices.c.created_at.desc(), notices.c.id)
        wanted = list(statuses or [])
        if wanted:
            query = query.where(notices.c.status.in_(wanted))
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_entry_from_row(r) for r in conn.execute(query)]

    def outbox_counts(self) -> dict[str, int]:
        query = sa.select(notices.c.status, sa.func.count()).group_by(notices.c.status)
        with self.engine.connect() as conn:
            found = {status: int(count) for status, count in conn.execute(query)}
        return {s: found.get(s, 0) for s in (PENDING, SENDING, SENT, DEAD)}

    def renew_claim(self, notice_id: str, *, worker: str, now: datetime) -> bool:
        """Just before sending: still ours? Renews the lease; False if the lease ran out and
        another dispatcher took the notice (then this one must not send it)."""
        with self.engine.begin() as conn:
            return conn.execute(sa.update(notices).where(
                notices.c.id == notice_id, notices.c.status == SENDING,
                notices.c.claimed_by == worker).values(claimed_at=now)).rowcount == 1

    def release_claims(self, ids: Sequence[str], *, worker: str) -> int:
        """Hand back notices this worker claimed but did not try (it is stopping)."""
        if not ids:
            return 0
        with self.engine.begin() as conn:
            return int(conn.execute(sa.update(notices).where(
                notices.c.id.in_(list(ids)), notices.c.status == SENDING,
                notices.c.claimed_by == worker).values(
                status=PENDING, claimed_by=None, claimed_at=None)).rowcount)

    def oldest_pending(self, now: datetime | None = None) -> datetime | None:
        """Since when the longest-waiting undelivered notice has been due: queued, or, for a
        notice held by quiet hours, since its window opened (None if none is waiting; a
        notice still held is not waiting)."""
        due_since = sa.func.coalesce(notices.c.not_before, notices.c.created_at)
        query = sa.select(sa.func.min(due_since)).where(
            notices.c.status.in_([PENDING, SENDING]), due_since <= (now or self.clock()))
        with self.engine.connect() as conn:
            return _utc(conn.execute(query).scalar())

    def attempts(self, notice_id: str) -> list[Attempt]:
        query = (sa.select(delivery_attempts).where(delivery_attempts.c.notice_id == notice_id)
                 .order_by(delivery_attempts.c.attempt, delivery_attempts.c.id))
        with self.engine.connect() as conn:
            return [Attempt(r.notice_id, r.attempt, _utc_required(r.attempted_at), r.outcome,
                            r.detail, r.duration_ms) for r in conn.execute(query)]

    def retry_dead(self, ids: Sequence[str] | None = None) -> int:
        """Put dead notices back in the queue (after fixing an address, say)."""
        query = sa.update(notices).where(notices.c.status == DEAD)
        if ids:
            query = query.where(notices.c.id.in_(list(ids)))
        with self.engine.begin() as conn:
            return int(conn.execute(query.values(status=PENDING, next_attempt_at=self.clock()))
                       .rowcount)


def _finish_attempt(outcome: str, worker: str) -> sa.Update:
    """The update ending one attempt of a notice still claimed by `worker`: one statement
    per outcome, so a batch of attempts is one executemany each."""
    values: dict[str, Any] = {"status": _STATUS_AFTER[outcome],
                              "attempts": notices.c.attempts + 1,
                              "claimed_by": None, "claimed_at": None}
    if outcome == "sent":
        values["sent_at"] = sa.bindparam("b_at")
    else:
        values["last_error"] = sa.bindparam("b_detail")
    # Moved only when the outcome names a next attempt (a retry).
    values["next_attempt_at"] = sa.func.coalesce(
        sa.bindparam("b_next", type_=notices.c.next_attempt_at.type), notices.c.next_attempt_at)
    return sa.update(notices).where(
        notices.c.id == sa.bindparam("b_id"), notices.c.status == SENDING,
        notices.c.claimed_by == worker).values(values)


def _finish_params(outcome: AttemptOutcome) -> dict[str, Any]:
    return {"b_id": outcome.entry.id, "b_at": outcome.attempted_at,
            "b_detail": outcome.detail, "b_next": outcome.next_attempt_at}


def _replace(conn: sa.Connection, table: sa.Table, key: Sequence[sa.Column[Any]],
             rows: Sequence[Mapping[str, Any]]) -> None:
    """Upsert by primary key as delete + insert, in chunks (portable to both databases)."""
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        if len(key) == 1:
            conn.execute(table.delete().where(key[0].in_([r[key[0].name] for r in chunk])))
        else:
            conn.execute(table.delete().where(sa.tuple_(*key).in_(
                [tuple(r[c.name] for c in key) for r in chunk])))
        conn.execute(table.insert(), list(chunk))
