"""Store operations for the unattended service: run history, heartbeats, last good rule
files and source freshness.

A scheduled run claims its slot by inserting its row: the unique (job, slot) key means
that of several workers on one database, exactly one runs each scheduled slot.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from alerting.store.notices import _replace, _utc, _utc_required
from alerting.store.schema import rule_files, runs, sources, workers

RUNNING = "running"
# Outcomes: ok; degraded (it ran, but a rule file, source or rule had a problem);
# failed (a stage raised); interrupted (stopped by SIGTERM between steps); abandoned
# (its worker died mid-run).
OK, DEGRADED, FAILED, INTERRUPTED, ABANDONED = (
    "ok", "degraded", "failed", "interrupted", "abandoned")


@dataclass(frozen=True)
class RunRecord:
    """One run of a job: when, by which worker, what it did and how it ended."""

    id: str
    job: str
    trigger: str  # schedule or manual
    worker: str
    started_at: datetime
    scheduled_for: datetime | None = None
    ended_at: datetime | None = None
    outcome: str = RUNNING
    as_of: date | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    findings: int = 0
    exceptions: int = 0
    alerts_changed: int = 0
    notices_queued: int = 0
    notices_sent: int = 0
    problems: tuple[str, ...] = ()
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.outcome != RUNNING

    def to_json(self) -> dict[str, Any]:
        """The run as `alerting runs --format json` and the API's /runs give it."""
        return {
            "id": self.id, "job": self.job, "trigger": self.trigger, "worker": self.worker,
            "scheduled_for": self.scheduled_for.isoformat() if self.scheduled_for else None,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "outcome": self.outcome, "as_of": self.as_of.isoformat() if self.as_of else None,
            "rows_loaded": self.rows_loaded, "rows_rejected": self.rows_rejected,
            "findings": self.findings, "exceptions": self.exceptions,
            "alerts_changed": self.alerts_changed, "notices_queued": self.notices_queued,
            "notices_sent": self.notices_sent, "problems": list(self.problems),
            "error": self.error,
        }


@dataclass(frozen=True)
class WorkerBeat:
    """A worker's heartbeat: it is alive, what it is doing and when its jobs run next."""

    name: str
    host: str
    pid: int
    state: str  # running, stopping, stopped
    started_at: datetime
    beat_at: datetime
    next_runs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceStatus:
    name: str
    checked_at: datetime
    loaded_at: datetime | None = None
    changed_at: datetime | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    error: str | None = None


def _as_utc(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo else value


def _run_row(run: RunRecord) -> dict[str, Any]:
    # SQLite keeps no offset: every time is stored as UTC (a London 07:00 BST slot is 06:00).
    row = {k: _as_utc(v) for k, v in asdict(run).items()}
    row["problems"] = json.dumps(list(run.problems)) if run.problems else None
    return row


def _run_from_row(row: Any) -> RunRecord:
    return RunRecord(
        id=row.id, job=row.job, trigger=row.trigger, worker=row.worker,
        started_at=_utc_required(row.started_at), scheduled_for=_utc(row.scheduled_for),
        ended_at=_utc(row.ended_at), outcome=row.outcome, as_of=row.as_of,
        rows_loaded=row.rows_loaded, rows_rejected=row.rows_rejected, findings=row.findings,
        exceptions=row.exceptions, alerts_changed=row.alerts_changed,
        notices_queued=row.notices_queued, notices_sent=row.notices_sent,
        problems=tuple(json.loads(row.problems)) if row.problems else (), error=row.error)


class ServiceStore:
    """Mixed into `Store`: run history, heartbeats, last good rule files, sources."""

    engine: sa.Engine
    clock: Callable[[], datetime]

    # --- runs -----------------------------------------------------------------------------

    def start_run(self, run: RunRecord) -> bool:
        """Record a run as started. False when another worker already has this slot."""
        try:
            with self.engine.begin() as conn:
                conn.execute(runs.insert().values(_run_row(run)))
        except sa.exc.IntegrityError:
            return False
        return True

    def finish_run(self, run: RunRecord) -> None:
        row = _run_row(run)
        with self.engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.id == run.id).values(row))

    def runs(self, *, limit: int = 20, job: str | None = None,
             finished_only: bool = False) -> list[RunRecord]:
        query = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.id).limit(limit)
        if job:
            query = query.where(runs.c.job == job)
        if finished_only:
            query = query.where(runs.c.outcome != RUNNING)
        with self.engine.connect() as conn:
            return [_run_from_row(r) for r in conn.execute(query)]

    def latest_runs(self) -> dict[str, RunRecord]:
        """Each job's newest run that came to an end of its own (not interrupted by a stop,
        not still running): what the job's health is judged on."""
        counted = runs.c.outcome.notin_([RUNNING, INTERRUPTED, "skipped"])
        newest = (sa.select(runs.c.job, sa.func.max(runs.c.started_at).label("started"))
                  .where(counted).group_by(runs.c.job).subquery())
        query = (sa.select(runs).join(newest, sa.and_(runs.c.job == newest.c.job,
                                                      runs.c.started_at == newest.c.started))
                 .where(counted).order_by(runs.c.job))
        with self.engine.connect() as conn:
            return {r.job: _run_from_row(r) for r in conn.execute(query)}

    def run(self, run_id: str) -> RunRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()
        return _run_from_row(row) if row else None

    def abandon_runs(self, dead_workers: Sequence[str], now: datetime, *,
                     keep: Collection[str] = ()) -> int:
        """Runs left 'running' by workers that have stopped beating: their worker died.
        `keep` names runs still in progress (a worker closing its own leftovers)."""
        if not dead_workers:
            return 0
        query = runs.update().where(runs.c.outcome == RUNNING,
                                    runs.c.worker.in_(list(dead_workers)))
        if keep:
            query = query.where(runs.c.id.notin_(list(keep)))
        with self.engine.begin() as conn:
            result = conn.execute(query.values(
                outcome=ABANDONED, ended_at=now,
                error="the worker stopped (crashed or was killed) before the run finished"))
        return int(result.rowcount)

    # --- heartbeats -----------------------------------------------------------------------

    def beat(self, beat: WorkerBeat) -> None:
        """Upsert (INSERT … ON CONFLICT): beats from two threads of one worker never clash."""
        row = {k: _as_utc(v) for k, v in asdict(beat).items()}
        row["next_runs"] = json.dumps(dict(beat.next_runs))
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        statement = insert(workers).values(row)
        update = {k: statement.excluded[k] for k in row if k != "name"}
        upsert = statement.on_conflict_do_update(index_elements=[workers.c.name], set_=update)
        with self.engine.begin() as conn:
            conn.execute(upsert)

    def workers(self) -> dict[str, WorkerBeat]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(workers)).all()
        return {r.name: WorkerBeat(r.name, r.host, r.pid, r.state,
                                   _utc_required(r.started_at), _utc_required(r.beat_at),
                                   json.loads(r.next_runs or "{}")) for r in rows}

    # --- last good rule files ---------------------------------------------------------------

    def good_rule_files(self) -> dict[str, tuple[str, str]]:
        """Per rule file: (sha256, text) of the last version that loaded without errors."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(rule_files)).all()
        return {r.file: (r.sha256, r.content) for r in rows}

    def save_good_rule_files(self, files: Mapping[str, tuple[str, str]],
                             now: datetime) -> None:
        if not files:
            return
        with self.engine.begin() as conn:
            _replace(conn, rule_files, [rule_files.c.file],
                     [{"file": name, "sha256": sha, "content": text, "saved_at": now}
                      for name, (sha, text) in files.items()])

    # --- sources ----------------------------------------------------------------------------

    def source_status(self) -> dict[str, SourceStatus]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(sources)).all()
        return {r.name: SourceStatus(r.name, _utc_required(r.checked_at), _utc(r.loaded_at),
                                     _utc(r.changed_at), r.rows_loaded, r.rows_rejected,
                                     r.error) for r in rows}

    def save_source_status(self, status: SourceStatus) -> None:
        with self.engine.begin() as conn:
            _replace(conn, sources, [sources.c.name], [asdict(status)])
