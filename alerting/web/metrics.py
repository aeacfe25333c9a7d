"""Prometheus metrics at /metrics, read from the store at each scrape (so every worker and
web process on one database reports the same figures)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from alerting.store import Store
from alerting.web.app import context_of

router = APIRouter()
_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 86400.0)


class StoreCollector:
    """Every metric, from the store's totals."""

    def __init__(self, store: Store):
        self.store = store

    def collect(self) -> Iterator[Metric]:
        totals = self.store.run_totals()
        runs = CounterMetricFamily("csc_alerting_runs", "Runs recorded, by job and outcome",
                                   labels=["job", "outcome"])
        for (job, outcome), count in sorted(totals.by_outcome.items()):
            runs.add_metric([job, outcome], count)
        yield runs
        yield CounterMetricFamily("csc_alerting_rows_loaded", "Data rows loaded by runs",
                                  value=totals.rows_loaded)
        yield CounterMetricFamily("csc_alerting_rows_rejected", "Data rows rejected by runs",
                                  value=totals.rows_rejected)
        last = GaugeMetricFamily("csc_alerting_last_successful_run_timestamp_seconds",
                                 "When each job's latest ok or degraded run ended (Unix time)",
                                 labels=["job"])
        for job, ended in sorted(totals.last_success.items()):
            last.add_metric([job], ended.timestamp())
        yield last
        alerts = GaugeMetricFamily("csc_alerting_open_alerts", "Open (firing) alerts",
                                   labels=["rule", "severity"])
        for (rule, severity), count in sorted(self.store.open_alert_counts().items()):
            alerts.add_metric([rule, severity], count)
        yield alerts
        outbox = GaugeMetricFamily("csc_alerting_outbox_notices", "Notices in the outbox",
                                   labels=["status"])
        for status, count in self.store.outbox_counts().items():
            outbox.add_metric([status], count)
        yield outbox
        yield self._latency()
        attempts = CounterMetricFamily("csc_alerting_delivery_attempts",
                                       "Delivery attempts, by outcome", labels=["outcome"])
        seconds = CounterMetricFamily("csc_alerting_delivery_attempt_seconds",
                                      "Time spent in delivery attempts, by outcome",
                                      labels=["outcome"])
        for outcome, (count, total) in sorted(self.store.attempt_totals().items()):
            attempts.add_metric([outcome], count)
            seconds.add_metric([outcome], total)
        yield attempts
        yield seconds

    def _latency(self) -> Metric:
        latencies = self.store.delivery_latencies()
        buckets = [(f"{bound:g}", float(sum(1 for s in latencies if s <= bound)))
                   for bound in _BUCKETS]
        buckets.append(("+Inf", float(len(latencies))))
        return HistogramMetricFamily(
            "csc_alerting_delivery_latency_seconds",
            "Seconds from a notice being queued to being sent", buckets=buckets,
            sum_value=sum(latencies))


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    registry = CollectorRegistry()
    registry.register(StoreCollector(context_of(request).store))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
