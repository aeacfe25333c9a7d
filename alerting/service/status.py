"""`alerting status`: is the service doing its job? Used as the Docker HEALTHCHECK.

Unhealthy (exit 1): the database cannot be reached; the worker's heartbeat is missing,
stopped or older than `worker.heartbeat_max_age`; or the latest run of a job failed or
never finished. Warnings (exit 0, or 1 with --strict): any other open operations alert
(a broken rule file, a missing or stale source, dead notices, a backlog).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from alerting.config.settings import Settings
from alerting.model.durations import interval_text
from alerting.service.operations import is_operations
from alerting.store import Store
from alerting.store.service import ABANDONED, FAILED, RunRecord, WorkerBeat

HEALTHY, WARNING, UNHEALTHY = "healthy", "warning", "unhealthy"


@dataclass
class Health:
    now: datetime
    workers: dict[str, WorkerBeat] = field(default_factory=dict)
    last_runs: dict[str, RunRecord] = field(default_factory=dict)
    open_alerts: int = 0
    silenced: int = 0
    inhibited: int = 0
    operations: list[str] = field(default_factory=list)
    outbox: Mapping[str, int] = field(default_factory=dict)
    oldest_waiting: datetime | None = None
    unhealthy: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def level(self) -> str:
        return UNHEALTHY if self.unhealthy else WARNING if self.warnings else HEALTHY

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.level, "checked_at": self.now.isoformat(),
            "unhealthy": self.unhealthy, "warnings": self.warnings,
            "workers": {n: {"state": w.state, "host": w.host, "pid": w.pid,
                            "heartbeat": w.beat_at.isoformat(), "next_runs": dict(w.next_runs)}
                        for n, w in self.workers.items()},
            "last_runs": {j: {"id": r.id, "outcome": r.outcome,
                              "started_at": r.started_at.isoformat(),
                              "ended_at": r.ended_at.isoformat() if r.ended_at else None}
                          for j, r in self.last_runs.items()},
            "open_alerts": self.open_alerts, "silenced": self.silenced,
            "inhibited": self.inhibited,
            "outbox": dict(self.outbox),
            "oldest_waiting": self.oldest_waiting.isoformat() if self.oldest_waiting else None,
        }


def check_health(store: Store, settings: Settings, now: datetime,
                 worker: str | None, *, required: bool = False) -> Health:
    """`worker` is this host's worker; `required` when it was named explicitly (--worker or
    CSC_ALERTING_WORKER_NAME, as in a container), so a worker that never beat is unhealthy."""
    health = Health(now)
    health.workers = store.workers()
    _check_heartbeats(health, settings, worker, required)
    health.last_runs = store.latest_runs()
    for job, run in sorted(health.last_runs.items()):
        if run.outcome in (FAILED, ABANDONED):
            health.unhealthy.append(f"the latest '{job}' run ({run.id}) {run.outcome}: "
                                    f"{run.error or ''}".rstrip(": "))
    for alert in store.alerts(firing_only=True).values():
        if is_operations(alert.rule):
            text = f"{alert.rule}: {alert.finding.get('message', alert.subject)}"
            health.operations.append(text)
            if alert.rule != "service:run-failed":
                health.warnings.append(text)
        else:
            health.open_alerts += 1
            health.silenced += 1 if alert.silenced_by else 0
            health.inhibited += 1 if alert.inhibited_by and not alert.silenced_by else 0
    health.outbox = store.outbox_counts()
    health.oldest_waiting = store.oldest_pending(now)
    return health


def _check_heartbeats(health: Health, settings: Settings, worker: str | None,
                      required: bool) -> None:
    max_age = settings.worker.heartbeat_max_age
    now = health.now
    if not health.workers and not required:
        health.warnings.append("no worker has started on this database (fine if runs are "
                               "started by `alerting run` from cron)")
    # The named worker (a container checks its own), this host's if it has one, else all.
    watched = ([worker] if worker and (required or worker in health.workers)
               else list(health.workers))
    for name in watched:
        beat = health.workers.get(name)
        if beat is None:
            health.unhealthy.append(f"worker '{name}' has never beaten its heartbeat")
        elif beat.state == "stopped":
            health.unhealthy.append(f"worker '{name}' stopped at {beat.beat_at:%d %b %Y %H:%M} "
                                    "UTC")
        elif now - beat.beat_at > max_age:
            health.unhealthy.append(f"worker '{name}' heartbeat is {_ago(now - beat.beat_at)} "
                                    f"old (more than {interval_text(max_age)})")


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def health_text(health: Health, zone: Any) -> str:
    def local(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%d %b %Y %H:%M %Z")

    lines = [f"csc-alerting: {health.level.upper()} at {local(health.now)}"]
    for name, beat in sorted(health.workers.items()):
        nexts = ", ".join(f"{job} {local(datetime.fromisoformat(at))}"
                          for job, at in sorted(beat.next_runs.items())) or "none"
        lines.append(f"worker {name} ({beat.host}, pid {beat.pid}): {beat.state}, heartbeat "
                     f"{_ago(health.now - beat.beat_at)} ago; next runs: {nexts}")
    for job, run in sorted(health.last_runs.items()):
        took = f" in {_ago(run.ended_at - run.started_at)}" if run.ended_at else ""
        lines.append(f"last '{job}' run {run.id}: {run.outcome} at {local(run.started_at)}"
                     f"{took}; {run.rows_loaded} rows loaded, {run.rows_rejected} rejected, "
                     f"{run.exceptions} exceptions, {run.notices_queued} notices")
    if not health.last_runs:
        lines.append("no run has finished yet")
    lines.append(f"open alerts: {health.open_alerts} ({health.silenced} silenced, "
                 f"{health.inhibited} inhibited)")
    waiting = health.outbox.get("pending", 0) + health.outbox.get("sending", 0)
    oldest = f", oldest queued {local(health.oldest_waiting)}" if health.oldest_waiting else ""
    lines.append(f"outbox: {waiting} waiting{oldest}, {health.outbox.get('sent', 0)} sent, "
                 f"{health.outbox.get('dead', 0)} dead")
    for text in health.unhealthy:
        lines.append(f"UNHEALTHY: {text}")
    for text in health.warnings:
        lines.append(f"warning: {text}")
    return "\n".join(lines)


__all__ = ["HEALTHY", "UNHEALTHY", "WARNING", "Health", "check_health", "health_text"]
