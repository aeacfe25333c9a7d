"""The `alerting` command: a thin shell that parses arguments and calls the pipeline."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from alerting.config.settings import Settings, load_settings
from alerting.model.problems import ProblemsFound
from alerting.service.logs import configure_logging
from notifiers import previewed_documents


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date like 2021-09-30, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alerting",
        description="Rules-driven alerting and exception notices for children's services.",
    )
    parser.add_argument("--config", type=Path, help="service config (default config/service.yaml)")
    parser.add_argument("--database", help="database URL (overrides the config)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check rule and catalogue files")
    validate.add_argument("paths", nargs="*", type=Path, help="files or folders (default: rules)")
    validate.add_argument("--strict", action="store_true",
                          help="exit 1 on warnings too (a rule that selects nothing, …)")

    load = commands.add_parser("load", help="load data files (CSV, XLSX) or a SQL query")
    load.add_argument("files", nargs="*", type=Path, help="CSV or XLSX files, or folders")
    load.add_argument("--kind", choices=["observations", "risks", "cases", "events"],
                      help="table kind (default: detected from the headings)")
    load.add_argument("--layout", type=Path, metavar="FILE",
                      help="YAML layout of a wide scorecard workbook (measures as rows, "
                           "periods as columns)")
    load.add_argument("--sql", metavar="URL", help="SQLAlchemy URL of a source database")
    load.add_argument("--query", help="SQL query to run against --sql")

    derive = commands.add_parser(
        "derive", help="re-compute the derived measures from the stored child-level events")
    derive.add_argument("--rules", type=Path, action="append",
                        help="rule files or folders with the catalogue (default from config)")

    evaluate = commands.add_parser("evaluate", help="evaluate rules and print findings")
    evaluate.add_argument("--as-of", type=_date, default=None,
                          help="evaluation date (default today)")
    evaluate.add_argument("--format", choices=["table", "json"], default="table")
    evaluate.add_argument("--all", action="store_true",
                          help="include ratings that are not exceptions (green, within tolerance)")
    evaluate.add_argument("--rules", type=Path, action="append",
                          help="rule files or folders (default from config)")

    _notice_commands(commands)
    _service_commands(commands)
    _rule_author_commands(commands)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply schema migrations")
    return parser


def _notice_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    notify = commands.add_parser(
        "notify", help="evaluate, update alert state and deliver the notices that are due")
    notify.add_argument("--as-of", type=_date, default=None,
                        help="evaluation date (default today)")
    notify.add_argument("--no-send", action="store_true",
                        help="queue notices in the outbox but do not deliver them yet")

    preview = commands.add_parser("preview", help="render a rule's notice without sending it")
    preview.add_argument("--rule", required=True, help="rule id")
    preview.add_argument("--receiver", help="receiver name (default: the first it routes to)")
    # Beside the email, each document a channel declares, by its `templates:` key (teams, ...).
    shown = ["email (plain text)", "html", *(f"{key} ({document.title or document.name})"
                                             for key, document in previewed_documents().items())]
    preview.add_argument("--format", choices=["email", "html", *previewed_documents()],
                         default="email",
                         help=f"{', '.join(shown[:-1])} or {shown[-1]}")
    preview.add_argument("--as-of", type=_date, default=None,
                         help="evaluation date (default today)")

    silence = commands.add_parser("silence", help="mute alerts until a date")
    silence_commands = silence.add_subparsers(dest="silence_command", required=True,
                                              metavar="ACTION")
    add = silence_commands.add_parser("add", help="add a silence")
    add.add_argument("--alert", action="append", help="alert identity (rule|subject|area)")
    add.add_argument("--rule", action="append", help="rule id or glob")
    add.add_argument("--measure", action="append", help="measure id or glob")
    add.add_argument("--area", action="append", help="area (locality) or glob")
    add.add_argument("--team", action="append", help="team or glob")
    add.add_argument("--label", action="append", metavar="KEY=VALUE", help="any other label")
    add.add_argument("--until", required=True,
                     help="end date (2026-12-31, muted through that day) or duration (2w, 36h)")
    add.add_argument("--reason", required=True, help="why (shown in `silence list`)")
    add.add_argument("--author", required=True, help="who is silencing")
    listing = silence_commands.add_parser("list", help="list active silences")
    listing.add_argument("--all", action="store_true", help="include expired silences")
    expire = silence_commands.add_parser("expire", help="end a silence now")
    expire.add_argument("id", help="silence id (from `silence list`)")

    routes = commands.add_parser("routes", help="routing of alerts to receivers")
    routes_commands = routes.add_subparsers(dest="routes_command", required=True,
                                            metavar="ACTION")
    routes_test = routes_commands.add_parser("test", help="who would receive these labels")
    routes_test.add_argument("--labels", nargs="+", required=True, metavar="KEY=VALUE",
                             help="alert labels, e.g. rule=cp-over-2y team='Stroud Safeguarding'")

    outbox = commands.add_parser("outbox", help="notices queued, sent and dead")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True,
                                            metavar="ACTION")
    outbox_list = outbox_commands.add_parser("list", help="list notices, newest first")
    outbox_list.add_argument("--status", choices=["pending", "sending", "sent", "dead"])
    outbox_list.add_argument("--limit", type=int, default=50)
    outbox_retry = outbox_commands.add_parser("retry", help="queue dead notices again")
    outbox_retry.add_argument("ids", nargs="*", help="notice ids (default: every dead notice)")
    outbox_retry.add_argument("--no-send", action="store_true",
                              help="queue them but do not deliver now")

    alerts = commands.add_parser("alerts", help="list open alerts (and silenced ones)")
    alerts.add_argument("--all", action="store_true", help="include resolved alerts")


def _service_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run", help="one full run now: load sources, evaluate, update alerts, deliver")
    run.add_argument("--job", help="run this schedule's job (default: every source and rule)")
    run.add_argument("--as-of", type=_date, default=None,
                     help="evaluation date (default: the job's, usually today)")
    run.add_argument("--worker", help="name recorded in the run history (default: host name)")

    worker = commands.add_parser(
        "worker", help="run the schedules from the config until stopped (SIGTERM, Ctrl-C)")
    worker.add_argument("--name", help="worker name (default: $CSC_ALERTING_WORKER_NAME or "
                                       "the host name)")
    worker.add_argument("--web", action="store_true",
                        help="also serve the web page, API and /metrics (config/web.yaml)")
    worker.add_argument("--web-host", help="address for --web (default: web.yaml's host, "
                                           "127.0.0.1)")
    worker.add_argument("--web-port", type=int, help="port for --web (default 8080)")

    web = commands.add_parser(
        "web", help="serve the web page, the JSON API and /metrics (needs the web extra)")
    web.add_argument("--host", help="address to listen on (default: web.yaml's host, "
                                    "127.0.0.1)")
    web.add_argument("--port", type=int, help="port (default: web.yaml's port, 8080)")

    status = commands.add_parser(
        "status", help="last run, next run, open alerts, outbox; exit 1 when unhealthy")
    status.add_argument("--worker", help="the worker whose heartbeat to check (default: "
                                         "$CSC_ALERTING_WORKER_NAME or the host name)")
    status.add_argument("--format", choices=["text", "json"], default="text")
    status.add_argument("--quiet", action="store_true",
                        help="print only when unhealthy (for health checks)")
    status.add_argument("--strict", action="store_true",
                        help="exit 1 on warnings too (a broken rule file, a stale source)")

    runs = commands.add_parser("runs", help="the run history, newest first")
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--job", help="only this job's runs")
    runs.add_argument("--format", choices=["table", "json"], default="table")

    config = commands.add_parser("config", help="the service configuration")
    config_commands = config.add_subparsers(dest="config_command", required=True,
                                            metavar="ACTION")
    config_commands.add_parser(
        "check", help="check config/service.yaml and every file it names; show the schedules")


def _rule_author_commands(
        commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    test = commands.add_parser(
        "test", help="run rule unit tests (YAML files with a top-level `tests:` list)")
    test.add_argument("paths", nargs="*", type=Path,
                      help="test files or folders (default: rules/tests)")

    backtest = commands.add_parser(
        "backtest", help="replay the rules over the stored history: episodes and notices")
    backtest.add_argument("--from", dest="start", type=_date, required=True,
                          help="first as-of date (e.g. 2019-10-01)")
    backtest.add_argument("--to", dest="end", type=_date, required=True,
                          help="last as-of date (e.g. 2021-09-30)")
    backtest.add_argument("--rules", type=Path, action="append",
                          help="rule files or folders (default from config)")
    backtest.add_argument("--compare", type=Path, metavar="OTHER_RULES_DIR",
                          help="rules to compare against (episodes added and removed)")
    backtest.add_argument("--rule", action="append", help="only these rule ids (or globs)")
    backtest.add_argument("--format", choices=["table", "json", "html"], default="table")
    backtest.add_argument("--output", type=Path,
                          help="write the report to this file (default: standard output)")

    explain = commands.add_parser(
        "explain", help="why a rule fired or did not for one subject, in plain English")
    explain.add_argument("--rule", required=True, help="rule id")
    explain.add_argument("--subject", required=True,
                         help="measure id, risk id or child id the rule looks at")
    explain.add_argument("--area", help="locality or authority (default: every area)")
    explain.add_argument("--as-of", type=_date, default=None,
                         help="evaluation date (default today)")
    explain.add_argument("--rules", type=Path, action="append",
                         help="rule files or folders (default from config)")


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace, Settings], int]:
    def handler(args: argparse.Namespace, settings: Settings) -> int:
        command: Callable[[argparse.Namespace, Settings], int] = getattr(
            importlib.import_module(module), name)
        return command(args, settings)
    return handler


_SERVICE = {"run", "worker", "web"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # `run` and `worker` log to stdout, as a service manager expects (the worker at INFO,
    # a manual run at WARNING unless -v); the others keep stdout for their output.
    service = args.command in _SERVICE
    configure_logging(args.verbose + (1 if args.command in {"worker", "web"} else 0),
                      stream=sys.stdout if service else sys.stderr)
    try:
        settings = load_settings(args.config)
    except ProblemsFound as exc:
        if args.command == "status":
            print("csc-alerting: UNHEALTHY: the service config has errors:")
        for problem in exc.problems:
            print(problem, file=sys.stdout if args.command == "status" else sys.stderr)
        # A health check must answer 0 or 1 (Docker reserves 2).
        return 1 if args.command in {"status", "config"} else 2
    if args.database:
        settings = settings.model_copy(update={"database_url": args.database})
    from alerting.cli import commands
    from alerting.cli import notices as notice_commands
    from alerting.cli import service as service_commands
    from alerting.service.logs import register_secrets

    register_secrets(settings)

    handler = {
        "validate": commands.validate,
        "load": commands.load,
        "derive": commands.derive,
        "evaluate": commands.evaluate,
        "notify": notice_commands.notify_command,
        "preview": notice_commands.preview_command,
        "silence": notice_commands.silence_command,
        "routes": notice_commands.routes_command,
        "outbox": notice_commands.outbox_command,
        "alerts": notice_commands.alerts_command,
        "db": commands.db,
        "run": service_commands.run_command,
        "worker": service_commands.worker_command,
        "web": _lazy("alerting.cli.web", "web_command"),
        "status": service_commands.status_command,
        "runs": service_commands.runs_command,
        "config": service_commands.config_check,
        "test": _lazy("alerting.cli.rule_tests", "test_command"),
        "backtest": _lazy("alerting.cli.backtest", "backtest_command"),
        "explain": _lazy("alerting.authoring.explain", "explain_command"),
    }[args.command]
    try:
        return handler(args, settings)
    except BrokenPipeError:
        # Output piped into `head` or a closed pager: stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0




__all__ = ["build_parser", "main"]
