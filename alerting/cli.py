"""The `alerting` command: a thin shell that parses arguments and calls the pipeline."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from alerting.logs import configure_logging
from alerting.problems import ProblemsFound
from alerting.settings import load_settings


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

    load = commands.add_parser("load", help="load data files (CSV, XLSX) or a SQL query")
    load.add_argument("files", nargs="*", type=Path, help="CSV or XLSX files, or folders")
    load.add_argument("--kind", choices=["observations", "risks", "cases"],
                      help="table kind (default: detected from the headings)")
    load.add_argument("--sql", metavar="URL", help="SQLAlchemy URL of a source database")
    load.add_argument("--query", help="SQL query to run against --sql")

    evaluate = commands.add_parser("evaluate", help="evaluate rules and print findings")
    evaluate.add_argument("--as-of", type=_date, default=None,
                          help="evaluation date (default today)")
    evaluate.add_argument("--format", choices=["table", "json"], default="table")
    evaluate.add_argument("--all", action="store_true",
                          help="include ratings that are not exceptions (green, within tolerance)")
    evaluate.add_argument("--rules", type=Path, action="append",
                          help="rule files or folders (default from config)")

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply schema migrations")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        settings = load_settings(args.config)
    except ProblemsFound as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    if args.database:
        settings = settings.model_copy(update={"database_url": args.database})
    from alerting import commands

    handler = {
        "validate": commands.validate,
        "load": commands.load,
        "evaluate": commands.evaluate,
        "db": commands.db,
    }[args.command]
    try:
        return handler(args, settings)
    except BrokenPipeError:
        # Output piped into `head` or a closed pager: stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0




__all__ = ["build_parser", "main"]
