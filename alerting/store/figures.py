"""Store read-outs for the metrics endpoint: totals over the run history and the outbox.

Each is one aggregate query, cheap enough to answer every Prometheus scrape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from alerting.store.notices import SENT, _utc, _utc_required
from alerting.store.schema import alerts, delivery_attempts, notices, runs


@dataclass(frozen=True)
class RunTotals:
    """Counts over every recorded run: runs per (job, outcome), rows loaded and rejected."""

    by_outcome: dict[tuple[str, str], int]
    rows_loaded: int
    rows_rejected: int
    last_success: dict[str, datetime]  # job -> when its latest ok or degraded run ended


class FiguresStore:
    """Mixed into `Store`: the numbers /metrics reports."""

    engine: sa.Engine
    clock: Callable[[], datetime]

    def run_totals(self) -> RunTotals:
        with self.engine.connect() as conn:
            by_outcome = {(r.job, r.outcome): int(r.n) for r in conn.execute(
                sa.select(runs.c.job, runs.c.outcome, sa.func.count().label("n"))
                .group_by(runs.c.job, runs.c.outcome))}
            loaded, rejected = conn.execute(sa.select(
                sa.func.coalesce(sa.func.sum(runs.c.rows_loaded), 0),
                sa.func.coalesce(sa.func.sum(runs.c.rows_rejected), 0))).one()
            last = {r.job: _utc_required(r.ended) for r in conn.execute(
                sa.select(runs.c.job, sa.func.max(runs.c.ended_at).label("ended"))
                .where(runs.c.outcome.in_(["ok", "degraded"]), runs.c.ended_at.is_not(None))
                .group_by(runs.c.job))}
        return RunTotals(by_outcome, int(loaded), int(rejected), last)

    def open_alert_counts(self) -> dict[tuple[str, str], int]:
        """Firing alerts per (rule, severity)."""
        query = (sa.select(alerts.c.rule, alerts.c.severity, sa.func.count().label("n"))
                 .where(alerts.c.state == "firing").group_by(alerts.c.rule, alerts.c.severity))
        with self.engine.connect() as conn:
            return {(r.rule, r.severity): int(r.n) for r in conn.execute(query)}

    def delivery_latencies(self) -> list[float]:
        """Seconds from queued to sent, for every sent notice."""
        query = sa.select(notices.c.created_at, notices.c.sent_at).where(
            notices.c.status == SENT, notices.c.sent_at.is_not(None))
        with self.engine.connect() as conn:
            pairs = [(_utc(r.created_at), _utc(r.sent_at)) for r in conn.execute(query)]
        return [max(0.0, (sent - queued).total_seconds()) for queued, sent in pairs
                if queued is not None and sent is not None]

    def attempt_totals(self) -> dict[str, tuple[int, float]]:
        """Per attempt outcome (sent, retry, dead): how many, and their total seconds."""
        query = (sa.select(delivery_attempts.c.outcome, sa.func.count().label("n"),
                           sa.func.coalesce(sa.func.sum(delivery_attempts.c.duration_ms), 0)
                           .label("ms"))
                 .group_by(delivery_attempts.c.outcome))
        with self.engine.connect() as conn:
            return {r.outcome: (int(r.n), float(r.ms) / 1000) for r in conn.execute(query)}
