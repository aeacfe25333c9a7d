"""`alerting worker`: the schedules from the config, run unattended with APScheduler 3.

Jobs run in a small thread pool with `coalesce` (missed runs collapse into one),
`max_instances=1` and a misfire grace time. Between jobs the worker delivers due retries
and beats its heartbeat every `worker.dispatch_every`, and runs the self-checks every
`worker.check_every`. SIGTERM or SIGINT asks every job to stop after its current step; the
worker then waits for them, records that it stopped, and exits 0.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import Any

import structlog
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import run_job
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from alerting.config.schedules import cron_trigger, last_fire
from alerting.model.clock import Clock, utc_now
from alerting.service.run import Service

log = structlog.get_logger(__name__)

_slot = threading.local()
DISPATCH_JOB, CHECK_JOB = "deliver-and-heartbeat", "self-check"


class SlotExecutor(ThreadPoolExecutor):  # type: ignore[misc]
    """A thread pool that tells the job which scheduled time (slot) it is running for.

    The slot is what lets several workers on one database run each scheduled run exactly
    once: the first to record (job, slot) runs it, the others skip.
    """

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        def with_slot() -> Any:
            _slot.value = run_times[-1] if run_times else None
            try:
                return run_job(job, job._jobstore_alias, run_times, self._logger.name)
            finally:
                _slot.value = None

        def callback(future: Any) -> None:
            exc = future.exception()
            if exc:
                self._run_job_error(job.id, exc, getattr(exc, "__traceback__", None))
            else:
                self._run_job_success(job.id, future.result())

        self._pool.submit(with_slot).add_done_callback(callback)


def current_slot() -> datetime | None:
    value: datetime | None = getattr(_slot, "value", None)
    return value


class Worker:
    """The schedules of one service. APScheduler keeps time by the wall clock, which
    `wall_clock` reads; the service's own clock (runs, alerts) may be another."""

    def __init__(self, service: Service, *, wall_clock: Clock = utc_now) -> None:
        self.service = service
        settings = service.settings
        self.scheduler = BackgroundScheduler(
            timezone=settings.zone(),
            executors={"default": SlotExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(
                              settings.worker.misfire_grace_time.total_seconds())},
        )
        for schedule in settings.schedules:
            self.scheduler.add_job(self._scheduled, cron_trigger(schedule.cron, settings.zone()),
                                   args=[schedule.name], id=schedule.name, name=schedule.name)
        self.scheduler.add_job(self._tick, IntervalTrigger(
            seconds=settings.worker.dispatch_every.total_seconds(), timezone=settings.zone()),
            id=DISPATCH_JOB, name=DISPATCH_JOB)
        self.scheduler.add_job(self._checks, IntervalTrigger(
            seconds=settings.worker.check_every.total_seconds(), timezone=settings.zone()),
            id=CHECK_JOB, name=CHECK_JOB,
            # At once on start, then every check_every (an interval job, not a one-off: a
            # one-off removed by a shutdown racing the scheduler thread would crash it).
            next_run_time=wall_clock().astimezone(settings.zone()))
        self.scheduler.add_listener(self._job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        self._next_runs: dict[str, str] = {}

    def next_runs(self) -> dict[str, str]:
        return {job.id: job.next_run_time.isoformat() for job in self.scheduler.get_jobs()
                if job.next_run_time is not None and job.id not in (DISPATCH_JOB, CHECK_JOB)}

    def _scheduled(self, name: str, slot: datetime | None = None) -> None:
        if self.service.stop.is_set():
            return
        self.service.run_or_alarm(self.service.plan(name), scheduled_for=slot or current_slot())
        self._beat("running")

    def _catch_up(self) -> None:
        """Runs whose time passed while no worker was up, within the misfire grace time,
        and that no worker has run: run them now (each slot still runs only once)."""
        settings = self.service.settings
        now = self.service.clock()
        grace = settings.worker.misfire_grace_time
        for schedule in settings.schedules:
            trigger = cron_trigger(schedule.cron, settings.zone())
            slot = last_fire(trigger, now - grace, now)
            if slot is None:
                continue
            done = {r.scheduled_for for r in self.service.store.runs(limit=50, job=schedule.name)}
            if slot not in done:
                log.warning("run_missed_while_down", job=schedule.name, scheduled_for=str(slot))
                self.scheduler.add_job(self._scheduled, args=[schedule.name, slot],
                                       id=f"catch-up-{schedule.name}")

    def _tick(self) -> None:
        if self.service.stop.is_set():
            return
        with structlog.contextvars.bound_contextvars(task="deliver"):
            report = self.service.deliver()
        if report.attempts:
            log.info("delivered", sent=report.sent, retrying=report.retrying, dead=report.dead)

    def _checks(self) -> None:
        if not self.service.stop.is_set():
            self.service.checks_pass()

    def _beat(self, state: str) -> None:
        # Job threads use the copy the main thread keeps: asking the scheduler from a job
        # thread while it shuts down (holding its lock, waiting for that thread) deadlocks.
        try:
            self.service.beat(state, dict(self._next_runs) if state == "running" else {})
        except Exception as exc:  # the database may be down; the next beat will tell
            log.error("heartbeat_failed", error=f"{type(exc).__name__}: {exc}")

    def _job_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("run_missed", job=event.job_id,
                        scheduled_for=str(event.scheduled_run_time))
        else:
            log.error("job_error", job=event.job_id, error=repr(event.exception))

    def serve(self, *, install_signals: bool = True,
              ready: Callable[[], None] | None = None) -> int:
        """Run until SIGTERM/SIGINT (or the stop flag); 0 when it stopped cleanly."""
        stop = self.service.stop
        received: list[int] = []
        if install_signals:
            def on_signal(signum: int, _frame: FrameType | None) -> None:
                # Only set flags here: logging could re-enter a lock the main thread holds.
                received.append(signum)
                stop.set()
            signal.signal(signal.SIGTERM, on_signal)
            signal.signal(signal.SIGINT, on_signal)
        now = self.service.clock()
        self.service.store.abandon_runs([self.service.worker], now)  # left by a crash
        self.scheduler.start()
        self._catch_up()
        self._next_runs = self.next_runs()
        self._beat("running")
        log.info("worker_started", worker=self.service.worker, jobs=self.next_runs())
        if ready:
            ready()
        # The heartbeat comes from this loop, not from a job: a long delivery or a full
        # thread pool must not make a live worker look dead.
        every = self.service.settings.worker.dispatch_every.total_seconds()
        last_beat = time.monotonic()
        while not stop.wait(1.0):
            self._next_runs = self.next_runs()
            if time.monotonic() - last_beat >= every:
                self._beat("running")
                last_beat = time.monotonic()
        if received:
            log.warning("stop_requested", signal=signal.Signals(received[0]).name)
        log.info("worker_stopping", worker=self.service.worker)
        self._beat("stopping")
        self.scheduler.shutdown(wait=True)
        self._beat("stopped")
        log.info("worker_stopped", worker=self.service.worker)
        return 0
