"""The unattended service: one run of a job, the self-checks, and delivery between runs.

A run is the pipeline in order — rules (re-read, last good kept) -> sources -> evaluate,
alert state and outbox (one transaction) -> delivery — under the cycle lock, recorded in
the run history, with a run id bound to every log event. A stop request (SIGTERM) is
honoured between steps: the current step finishes, the rest waits for the next run.
After each run, and every few minutes in between, the self-checks look at rule files,
sources, the run history and the outbox, and tell the admin what is wrong.
"""

from __future__ import annotations

import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import structlog

from alerting.alerts.silences import load_silences
from alerting.alerts.state import Change
from alerting.config.ruleset import RuleSet
from alerting.config.settings import Settings
from alerting.delivery.dispatch import DispatchReport
from alerting.model.clock import utc_now
from alerting.model.problems import ProblemsFound
from alerting.pipeline import (
    JobPlan,
    JobProgress,
    JobSteps,
    Notifying,
    deliver_outbox,
    run_job,
)
from alerting.rendering.render import Renderer, ServiceInfo
from alerting.routing.routes import Routing, load_routing
from alerting.service.data_sources import load_source
from alerting.service.logs import redact_text, register_secrets
from alerting.service.operations import (
    OperationsOutcome,
    alarm_without_store,
    check_outbox,
    check_rule_files,
    check_runs,
    check_sources,
    notify_operations,
)
from alerting.service.rule_keeper import rules_in_force
from alerting.store import Store
from alerting.store.locks import cycle_lock
from alerting.store.service import (
    DEGRADED,
    FAILED,
    INTERRUPTED,
    OK,
    RunRecord,
    WorkerBeat,
)

log = structlog.get_logger(__name__)

MANUAL_JOB = "all"


def default_worker_name() -> str:
    return os.environ.get("CSC_ALERTING_WORKER_NAME") or socket.gethostname()


class RunInterrupted(Exception):
    """A stop was requested between two steps of a run."""


class Service:
    """Long-lived: a store, the settings, a worker name and a stop flag, shared by runs."""

    def __init__(self, settings: Settings, store: Store, *, worker: str | None = None,
                 stop: threading.Event | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.store = store
        self.worker = worker or default_worker_name()
        self.stop = stop or threading.Event()
        self.clock = clock
        self.started_at = clock()
        self._last_alarm: datetime | None = None
        self._current: set[str] = set()  # runs in progress in this process
        # Held while a run's row is added and while the self-check closes this worker's
        # leftovers, so the check never sees a run's row without seeing it in _current.
        self._starting = threading.Lock()
        self._routing: Routing | None = None  # the recipients last read without errors
        register_secrets(settings)  # e.g. a SQL source's password, should an error quote it
        self.recipients_problems: tuple[str, ...] = ()

    # --- plans ------------------------------------------------------------------------------

    def plan(self, job: str | None, as_of: date | None = None) -> JobPlan:
        """The plan of a configured schedule, or of a manual run of everything."""
        today = self.clock().astimezone(self.settings.zone()).date()
        if job is None or job == MANUAL_JOB:
            return JobPlan(MANUAL_JOB, tuple(s.name for s in self.settings.sources), ("*",),
                           as_of or today)
        schedule = self.settings.schedule(job)
        fixed = None if schedule.as_of == "today" else date.fromisoformat(schedule.as_of)
        return JobPlan(schedule.name, schedule.sources, schedule.rules,
                       as_of or fixed or today)

    # --- one run ----------------------------------------------------------------------------

    def run(self, plan: JobPlan, *, scheduled_for: datetime | None = None,
            wait_for_retries: bool = False) -> RunRecord | None:
        """One run of a job. None when another worker has already taken this slot."""
        run = RunRecord(id=uuid.uuid4().hex[:12], job=plan.name,
                        trigger="schedule" if scheduled_for else "manual", worker=self.worker,
                        started_at=self.clock(), scheduled_for=scheduled_for, as_of=plan.as_of)
        self._current.add(run.id)  # before its row exists: the self-check must not close it
        try:
            with structlog.contextvars.bound_contextvars(run_id=run.id, job=plan.name):
                return self._run(run, plan, wait_for_retries)
        finally:
            self._current.discard(run.id)

    def _run(self, run: RunRecord, plan: JobPlan, wait_for_retries: bool) -> RunRecord | None:
        with self._starting:
            started = self.store.start_run(run)
        if not started:
            log.info("run_taken_by_another_worker", scheduled_for=str(run.scheduled_for))
            return None
        log.info("run_started", as_of=plan.as_of.isoformat(), worker=self.worker)
        with cycle_lock(self.store.engine, wait=self.settings.worker.lock_wait,
                        stop=self.stop) as held:
            if not held:
                run = replace(run, outcome=INTERRUPTED if self.stop.is_set() else FAILED,
                              ended_at=self.clock(),
                              error="another job held the cycle lock for longer than "
                                    "worker.lock_wait")
                self._finish(run)
                log.error("run_not_started", error=run.error)
                return run
            run = _scrubbed(self._steps(run, plan, wait_for_retries))
            self._finish(run)
            log.info("run_finished", outcome=run.outcome, rows_loaded=run.rows_loaded,
                     rows_rejected=run.rows_rejected, exceptions=run.exceptions,
                     notices_queued=run.notices_queued, notices_sent=run.notices_sent)
            self._check_and_tell()
        return run

    def run_or_alarm(self, plan: JobPlan, *, scheduled_for: datetime | None = None) -> None:
        """A scheduled run. If the database itself fails (down, full, corrupt), the run
        cannot be recorded and the outbox cannot be used: the admin is told directly, at
        most once per operations.repeat_interval while it lasts."""
        try:
            self.run(plan, scheduled_for=scheduled_for)
            self._last_alarm = None
        except Exception as exc:
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            log.error("run_failed_without_database", job=plan.name, error=error)
            now = self.clock()
            repeat = self.settings.operations.repeat_interval
            if self._last_alarm is not None and now - self._last_alarm < repeat:
                return
            try:
                setup = self.notifying()
                said = alarm_without_store(
                    error, job=plan.name, worker=self.worker, routing=setup.routing,
                    silences=setup.silences, renderer=setup.renderer,
                    settings=self.settings, now=now)
                self._last_alarm = now
                log.error("admin_alarmed_directly", delivery=said)
            except Exception as alarm_error:
                log.error("admin_alarm_failed",
                          error=f"{type(alarm_error).__name__}: {alarm_error}")

    def _finish(self, run: RunRecord) -> None:
        """Record how the run ended; one retry, since a run left 'running' misleads."""
        try:
            self.store.finish_run(run)
        except Exception as exc:
            log.error("run_not_recorded", error=f"{type(exc).__name__}: {exc}", retry_in_s=5)
            self.stop.wait(5)
            self.store.finish_run(run)

    def _between_steps(self, step: str) -> None:
        if self.stop.is_set():
            log.warning("run_stopping", after_step=step)
            raise RunInterrupted(step)

    def _steps(self, run: RunRecord, plan: JobPlan, wait_for_retries: bool) -> RunRecord:
        progress = JobProgress()
        steps = JobSteps(rules=self._rules_in_force, load=self._load,
                         notifying=self._notifying_for_run,
                         deliver=lambda: self.deliver(wait_for_retries=wait_for_retries),
                         after=self._between_steps)
        try:
            run_job(self.store, plan, steps, progress, clock=self.clock)
        except RunInterrupted as stopped:
            return replace(_counted(run, progress), outcome=INTERRUPTED, ended_at=self.clock(),
                           error=f"stopped by request after the {stopped} step")
        except Exception as exc:
            log.error("run_failed", error=f"{type(exc).__name__}: {exc}",
                      traceback=traceback.format_exc(limit=8))
            return replace(_counted(run, progress), outcome=FAILED, ended_at=self.clock(),
                           error=f"{type(exc).__name__}: {exc}")
        return replace(_counted(run, progress), outcome=DEGRADED if progress.problems else OK,
                       ended_at=self.clock())

    def _rules_in_force(self, progress: JobProgress) -> RuleSet:
        kept = rules_in_force(self.store, self.settings.rule_paths(), self.clock())
        progress.problems.extend(b.summary for b in kept.broken)
        return kept.ruleset

    def _load(self, name: str, progress: JobProgress) -> None:
        loaded = load_source(self.store, self.settings.source(name), self.clock())
        if loaded.error:
            progress.problems.append(f"source '{name}': {loaded.error}")
        progress.rows_loaded += loaded.rows_loaded
        progress.rows_rejected += loaded.rows_rejected

    def _notifying_for_run(self, progress: JobProgress) -> Notifying:
        notifying = self.notifying()
        progress.problems.extend(f"recipients file (last good version in force): {p}"
                                 for p in self.recipients_problems)
        return notifying

    # --- between runs -----------------------------------------------------------------------

    def notifying(self) -> Notifying:
        settings = self.settings
        templates = Path(settings.templates)
        renderer = Renderer(templates if templates.is_dir() else None,
                            ServiceInfo(authority=settings.authority or "", link=settings.link))
        silences = load_silences(Path(settings.silences))
        for problem in silences.problems:
            log.warning("silence_problem", problem=str(problem))
        try:
            self._routing = load_routing(Path(settings.recipients))
        except ProblemsFound as exc:
            # A broken recipients file must not silence the service: the routing last read
            # stays in force (for operations notices too), and the run fails on it.
            if self._routing is None:
                raise
            log.error("recipients_broken_last_good_in_force",
                      problems=[str(p) for p in exc.problems])
            self.recipients_problems = tuple(str(p) for p in exc.problems)
        else:
            self.recipients_problems = ()
        return Notifying(self._routing, silences, renderer, settings)

    def deliver(self, *, wait_for_retries: bool = False) -> DispatchReport:
        """Send what is due in the outbox (safe alongside other workers' dispatchers)."""
        wait = None if wait_for_retries else timedelta(0)
        return deliver_outbox(self.store, self.settings, clock=self.clock, worker=self.worker,
                              wait_for_retries=wait, stop=self.stop.is_set)

    def check(self) -> OperationsOutcome:
        """The self-checks: rule files, sources, the run history and the outbox."""
        now = self.clock()
        self._abandon_dead_workers(now)
        kept = rules_in_force(self.store, self.settings.rule_paths(), now)
        setup = self.notifying()
        checked = [check_rule_files(kept.broken, now),
                   check_sources(self.store, self.settings, now),
                   check_runs(self.store.latest_runs().values(), now),
                   check_outbox(self.store, self.settings, now)]
        return notify_operations(self.store, checked, routing=setup.routing,
                                 silences=setup.silences, renderer=setup.renderer,
                                 settings=self.settings, now=now)

    def _check_and_tell(self) -> None:
        try:
            outcome = self.check()
            if outcome.notices:
                self.deliver()
        except Exception as exc:
            log.error("self_check_failed", error=f"{type(exc).__name__}: {exc}")

    def checks_pass(self) -> None:
        """The periodic self-check, when no job is running (skipped if one is)."""
        with structlog.contextvars.bound_contextvars(task="self-check"), \
                cycle_lock(self.store.engine) as held:
            if held:
                self._check_and_tell()

    def _abandon_dead_workers(self, now: datetime) -> None:
        limit = self.settings.worker.heartbeat_max_age
        dead = [name for name, beat in self.store.workers().items()
                if name != self.worker and (beat.state == "stopped" or now - beat.beat_at > limit)]
        if self.store.abandon_runs(dead, now):
            log.error("runs_abandoned", workers=dead)
        # This worker's own runs that are 'running' but not in progress here: their end
        # could not be recorded (the database went away at that moment).
        with self._starting:
            own = self.store.abandon_runs([self.worker], now, keep=set(self._current))
        if own:
            log.error("runs_abandoned", workers=[self.worker], runs=own)

    def beat(self, state: str, next_runs: dict[str, str] | None = None) -> None:
        self.store.beat(WorkerBeat(self.worker, socket.gethostname(), os.getpid(), state,
                                   self.started_at, self.clock(), next_runs or {}))


def _counted(run: RunRecord, progress: JobProgress) -> RunRecord:
    """The run record with what the run got through."""
    run = replace(run, rows_loaded=progress.rows_loaded, rows_rejected=progress.rows_rejected,
                  problems=tuple(progress.problems))
    if progress.notified is not None:
        outcome = progress.notified
        run = replace(run, findings=len(outcome.evaluation.findings),
                      exceptions=len(outcome.evaluation.exceptions),
                      alerts_changed=sum(1 for u in outcome.updates
                                         if u.change is not Change.CONTINUING),
                      notices_queued=len(outcome.notices))
    if progress.delivery is not None:
        run = replace(run, notices_sent=progress.delivery.sent)
    return run


def _scrubbed(run: RunRecord) -> RunRecord:
    """Problems and errors are stored and shown to people: no secret may be in them."""
    return replace(run, problems=tuple(redact_text(p) for p in run.problems),
                   error=redact_text(run.error) if run.error else None)
