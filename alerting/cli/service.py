"""CLI commands of the unattended service: run, worker, status, runs, config check."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from alerting.alerts.silences import load_silences
from alerting.config.ruleset import load_rules
from alerting.config.schedules import next_fire
from alerting.config.settings import Settings
from alerting.model.calendar import BankHolidays
from alerting.model.clock import Clock, utc_now
from alerting.model.durations import interval_text
from alerting.model.problems import Problem, ProblemsFound
from alerting.routing.routes import Routing, load_routing
from alerting.service.run import MANUAL_JOB, Service, default_worker_name
from alerting.service.status import UNHEALTHY, WARNING, check_health, health_text
from alerting.store import Store
from alerting.store.service import DEGRADED, OK, RunRecord


def run_command(args: argparse.Namespace, settings: Settings) -> int:
    """One full run now: rules, sources, evaluation, alert state, delivery."""
    if args.job and args.job != MANUAL_JOB and args.job not in {s.name for s in
                                                                 settings.schedules}:
        names = ", ".join(s.name for s in settings.schedules) or "none configured"
        print(f"error: no schedule '{args.job}' in the config (schedules: {names})",
              file=sys.stderr)
        return 2
    with Store.open(settings.database_url) as store:
        service = Service(settings, store, worker=args.worker or default_worker_name())
        # SIGTERM (a cron timeout, systemd) stops after the current step, as the worker does.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: service.stop.set())
        run = service.run(service.plan(args.job, args.as_of), wait_for_retries=True)
    if run is None:  # only scheduled runs can be taken by another worker
        return 0
    print(run_text(run))
    if settings.redirect_to_folder and run.notices_queued:
        print(f"notices written to {settings.redirect_to_folder}/")
    for problem in run.problems:
        print(f"  problem: {problem}")
    if run.error:
        print(f"  error: {run.error}", file=sys.stderr)
    return 0 if run.outcome in (OK, DEGRADED) else 1


def run_text(run: RunRecord) -> str:
    took = (run.ended_at - run.started_at).total_seconds() if run.ended_at else 0.0
    return (f"run {run.id} ({run.job}, as of {run.as_of}): {run.outcome} in {took:.1f} s; "
            f"{run.rows_loaded} rows loaded, {run.rows_rejected} rejected; "
            f"{run.findings} findings, {run.exceptions} exceptions, "
            f"{run.alerts_changed} alert changes; {run.notices_queued} notices queued, "
            f"{run.notices_sent} sent")


def worker_command(args: argparse.Namespace, settings: Settings) -> int:
    from alerting.service.worker import Worker

    problems = _operations_receivers(settings)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print("the worker would run without anyone to tell when it cannot do its job; fix the "
              "config (`alerting config check`) and start it again", file=sys.stderr)
        return 2
    with Store.open(settings.database_url) as store:
        web = None
        try:
            if getattr(args, "web", False):
                web = _start_web(args, settings, store)
                if web is None:
                    return 2
            service = Service(settings, store, worker=args.name or default_worker_name())
            return Worker(service).serve()
        finally:
            if web is not None:
                web.stop()


def _start_web(args: argparse.Namespace, settings: Settings, store: Store) -> Any | None:
    """`worker --web`: the web page on a thread of the worker, on the worker's store."""
    from alerting.cli.web import warn_if_public, web_parts, web_settings_or_none

    server = web_parts()
    web = web_settings_or_none(settings) if server is not None else None
    if server is None or web is None:
        return None
    host, port = args.web_host or web.host, args.web_port or web.port
    warn_if_public(host)
    return server.BackgroundServer(server.web_context(settings, store, web=web), host,
                                   port).start()


def _operations_receivers(settings: Settings) -> list[str]:
    try:
        routing = load_routing(Path(settings.recipients))
    except ProblemsFound as exc:
        return [str(p) for p in exc.problems]
    return _undefined_operations_receivers(settings, routing)


def _undefined_operations_receivers(settings: Settings, routing: Routing) -> list[str]:
    return [f"operations.{role}: receiver '{name}' is not defined in {settings.recipients}"
            for role in ("admin", "rule_authors")
            if (name := getattr(settings.operations, role)) and name not in routing.receivers]


def status_command(args: argparse.Namespace, settings: Settings, *,
                   clock: Clock | None = None) -> int:
    """0 healthy (or warnings), 1 unhealthy; never 2, so it can be a Docker HEALTHCHECK."""
    clock = clock or utc_now  # read when called, so a test can set the time
    try:
        with Store.open(settings.database_url, migrate_schema=False) as store:
            named = args.worker or os.environ.get("CSC_ALERTING_WORKER_NAME")
            health = check_health(store, settings, clock(), named or default_worker_name(),
                                  required=bool(named))
    except Exception as exc:
        print(f"csc-alerting: UNHEALTHY: the database cannot be read: "
              f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        return 1
    if args.format == "json":
        print(json.dumps(health.to_json(), indent=2))
    elif not args.quiet or health.level == UNHEALTHY:
        print(health_text(health, settings.zone()))
    if health.level == UNHEALTHY or (args.strict and health.level == WARNING):
        return 1
    return 0


def runs_command(args: argparse.Namespace, settings: Settings) -> int:
    with Store.open(settings.database_url) as store:
        runs = store.runs(limit=args.limit, job=args.job)
    if args.format == "json":
        print(json.dumps([r.to_json() for r in runs], indent=2))
        return 0
    if not runs:
        print("no runs yet")
        return 0
    zone = settings.zone()
    print(f"{'run':<12}  {'job':<16} {'started':<17} {'secs':>6}  {'outcome':<11} "
          f"{'rows':>7} {'rej':>4} {'exc':>5} {'notices':>7}  worker")
    for r in runs:
        took = f"{(r.ended_at - r.started_at).total_seconds():.1f}" if r.ended_at else "-"
        print(f"{r.id:<12}  {r.job[:16]:<16} {r.started_at.astimezone(zone):%Y-%m-%d %H:%M} "
              f"{took:>6}  {r.outcome:<11} {r.rows_loaded:>7} {r.rows_rejected:>4} "
              f"{r.exceptions:>5} {r.notices_queued:>7}  {r.worker}")
        for problem in r.problems:
            print(f"{'':14}problem: {problem}")
        if r.error:
            print(f"{'':14}error: {r.error}")
    return 0


def _calendar_note(settings: Settings) -> str:
    """Which days are off, so a mistyped closure range shows before any rule counts in it."""
    calendar = settings.calendar.working_calendar()
    holidays = ("England and Wales bank holidays"
                if calendar.bank_holidays is BankHolidays.ENGLAND_AND_WALES
                else "no bank holidays")
    closures = []
    for closure in calendar.closures:
        span = (closure.first.isoformat() if closure.first == closure.last
                else f"{closure.first.isoformat()} to {closure.last.isoformat()}")
        weekdays = sum(1 for day in closure.days() if day.weekday() < 5)
        what = f"{closure.reason} " if closure.reason else ""
        closures.append(f"{what}{span} ({weekdays} weekday{'' if weekdays == 1 else 's'})")
    return (f"working days: Monday to Friday less {holidays}"
            + (f"; closures: {', '.join(closures)}" if closures else "; no closures"))


def config_check(args: argparse.Namespace, settings: Settings, *,
                 clock: Clock | None = None) -> int:
    """Check the service config and every file it names; print what the worker would do."""
    clock = clock or utc_now  # read when called, so a test can set the time
    problems: list[Problem] = []
    notes: list[str] = []
    try:
        routing = load_routing(Path(settings.recipients))
    except ProblemsFound as exc:
        problems.extend(exc.problems)
        routing = None
    silences = load_silences(Path(settings.silences))
    problems.extend(silences.problems)
    ruleset = load_rules(settings.rule_paths())
    problems.extend(ruleset.problems)
    config = str(args.config or "config/service.yaml")
    if routing is not None:
        problems.extend(Problem(config, None, text)
                        for text in _undefined_operations_receivers(settings, routing))
    if not settings.operations.admin:
        problems.append(Problem(config, None, "operations.admin is not set: nobody will be "
                                "told when the service cannot do its job", "warning"))
    for source in settings.sources:
        if source.path is not None and not Path(source.path).exists():
            problems.append(Problem(config, None, f"source '{source.name}': {source.path} does "
                                    "not exist (yet)", "warning"))
    problems.extend(_unset_credentials(settings, config))
    now = clock()
    zone = settings.zone()
    for schedule in settings.schedules:
        fire = next_fire(schedule.cron, zone, now)
        when = fire.astimezone(zone).strftime("%a %d %b %Y %H:%M:%S %Z") if fire else "never"
        notes.append(f"schedule '{schedule.name}' ({schedule.cron}): next run {when}; loads "
                     f"{', '.join(schedule.sources) or 'no sources'}; rules "
                     f"{', '.join(schedule.rules)}")
    if not settings.schedules:
        notes.append("no schedules: `alerting worker` will only deliver and self-check")
    notes.append(f"database: {_safe_url(settings.database_url)}")
    notes.append(_calendar_note(settings))
    notes.append("notices: " + (f"written to {settings.redirect_to_folder}/ (not sent)"
                                if settings.redirect_to_folder else
                                f"sent by {', '.join(sorted(settings.notifiers)) or 'email'}"))
    notes.append(f"worker: delivers every {interval_text(settings.worker.dispatch_every)}, "
                 f"self-checks every {interval_text(settings.worker.check_every)}, misfire "
                 f"grace {interval_text(settings.worker.misfire_grace_time)}")
    for problem in problems:
        print(problem)
    for note in notes:
        print(note)
    errors = [p for p in problems if p.severity == "error"]
    warnings = len(problems) - len(errors)
    if errors:
        print(f"{len(errors)} error(s), {warnings} warning(s)")
        return 1
    print(f"OK: config, {len(routing.receivers) if routing else 0} receiver(s), "
          f"{len(ruleset.rules)} rule(s), {len(settings.sources)} source(s), "
          f"{len(settings.schedules)} schedule(s); {warnings} warning(s)")
    return 0


def _unset_credentials(settings: Settings, config: str) -> list[Problem]:
    problems: list[Problem] = []
    email = settings.channel_options("email")
    for env_name in (getattr(email, "username_env", None), getattr(email, "password_env", None)):
        if env_name and not os.environ.get(env_name):
            problems.append(Problem(config, None, f"notifiers.email: environment variable "
                                    f"{env_name} is not set", "warning"))
    return problems


def _safe_url(url: str) -> str:
    import sqlalchemy as sa

    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(not a valid database URL)"


__all__ = ["config_check", "run_command", "runs_command", "status_command",
           "worker_command"]
