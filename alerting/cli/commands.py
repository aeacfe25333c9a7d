"""What each CLI command does, in terms of the pipeline stages. Printing lives here."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alerting.cli.output import findings_json, findings_table
from alerting.config.ruleset import RuleSet, load_rules
from alerting.config.settings import Settings
from alerting.loading import LoadReport, SourceError, TableKind, load_path, load_sql
from alerting.model.clock import Clock, local_today, utc_now
from alerting.pipeline import derive_stored, evaluate_stored
from alerting.store import Store


def _rules(paths: list[Path] | None, settings: Settings) -> RuleSet:
    return load_rules(paths or settings.rule_paths())


def validate(args: argparse.Namespace, settings: Settings) -> int:
    """Errors first, then lint warnings; warnings fail only with --strict. With the rules
    from the config (no paths given), the recipients file's routes are checked too."""
    from alerting.authoring.lint.routes import lint_recipients
    from alerting.authoring.lint.rule_files import lint_rules

    ruleset = _rules(args.paths, settings)
    problems = [*ruleset.problems, *lint_rules(ruleset)]
    files = len(ruleset.files)
    recipients = Path(settings.recipients)
    if not args.paths and recipients.exists():
        problems.extend(lint_recipients(recipients, ruleset))
        files += 1
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for problem in [*errors, *warnings]:
        print(problem)
    loaded = f"{len(ruleset.rules)} rule(s) and {len(ruleset.catalogue)} measure(s)"
    warned = f", {len(warnings)} warning(s)" if warnings else ""
    if errors:
        print(f"{len(errors)} error(s) in {files} file(s){warned}; {loaded} loaded from the "
              f"files without errors")
        return 1
    if warnings and getattr(args, "strict", False):
        print(f"{len(warnings)} warning(s) in {files} file(s), failing with --strict; {loaded}")
        return 1
    print(f"OK: {loaded} in {files} file(s){warned}")
    return 0


def _print_report(report: LoadReport) -> None:
    if report.skipped:
        why = report.note or "headings are not a data-contract table"
        print(f"{report.source}: skipped ({why})")
        return
    counts = report.counts
    kind = report.kind.value if report.kind else "unknown table"
    if report.note:
        kind = f"{kind} from {report.note}"
    print(f"{report.source}: {kind}: {counts.total} loaded ({counts.inserted} new, "
          f"{counts.revised} revised, {counts.updated} updated, {counts.unchanged} unchanged), "
          f"{len(report.rejected)} rejected")
    if report.cases is not None:
        print(f"  and {report.cases.total} CP plan(s) as case records "
              f"({report.cases.inserted} new, {report.cases.updated} updated)")
    for rejected in report.rejected:
        print(f"  rejected {rejected}")


def load(args: argparse.Namespace, settings: Settings) -> int:
    if not args.files and not args.sql:
        print("alerting load: give data files, or --sql URL --query SQL", file=sys.stderr)
        return 2
    if args.sql and not args.query:
        print("alerting load: --sql needs --query", file=sys.stderr)
        return 2
    kind = TableKind(args.kind) if args.kind else None
    layout = getattr(args, "layout", None)
    if layout is not None and not layout.is_file():
        print(f"alerting load: layout file {layout} does not exist", file=sys.stderr)
        return 2
    failed = 0
    with Store.open(settings.database_url) as store:
        reports: list[LoadReport] = []
        for path in args.files:
            try:
                reports.extend(load_path(store, path, kind, layout=layout))
            except SourceError as exc:
                print(f"error: {exc}", file=sys.stderr)
                failed += 1
        if args.sql:
            try:
                reports.append(load_sql(store, args.sql, args.query, kind))
            except SourceError as exc:
                print(f"error: {exc}", file=sys.stderr)
                failed += 1
        for report in reports:
            _print_report(report)
        if any(r.kind is TableKind.EVENTS and _changed(r) for r in reports):
            _print_derived(store, _rules(None, settings), settings, quiet=True)
        loaded = sum(r.loaded for r in reports)
        rejected = sum(len(r.rejected) for r in reports)
        print(f"total: {loaded} row(s) loaded, {rejected} rejected, {failed} source(s) unreadable")
    return 1 if failed else 0


def _changed(report: LoadReport) -> bool:
    return bool(report.counts.inserted or report.counts.revised or report.counts.updated)


def derive(args: argparse.Namespace, settings: Settings) -> int:
    """Re-compute every derived measure of the catalogue from the stored events."""
    ruleset = _rules(args.rules, settings)
    for problem in ruleset.problems:
        print(problem, file=sys.stderr)
    with Store.open(settings.database_url) as store:
        _print_derived(store, ruleset, settings)
    return 0


def _print_derived(store: Store, ruleset: RuleSet, settings: Settings, *,
                   quiet: bool = False) -> None:
    """Re-compute the derived measures and print what changed (`quiet`: say nothing when the
    catalogue has none, as after a load)."""
    derived = derive_stored(store, ruleset, settings)
    if not derived and not quiet:
        print("derived: the measure catalogue has no derived measures")
    for measure in derived:
        counts = measure.counts
        print(f"derived {measure.measure_id}: {counts.total} figure(s) ({counts.inserted} new, "
              f"{counts.revised} revised, {counts.updated} updated, {counts.unchanged} "
              "unchanged)")


def evaluate(args: argparse.Namespace, settings: Settings, *, clock: Clock | None = None) -> int:
    clock = clock or utc_now  # read when called, so a test can set the time
    ruleset = _rules(args.rules, settings)
    for problem in ruleset.problems:
        print(problem, file=sys.stderr)
    with Store.open(settings.database_url) as store:
        as_of = args.as_of or local_today(clock, settings.timezone)
        result = evaluate_stored(store, ruleset, as_of, scheme=settings.rag_scheme,
                                 include_all=args.all,
                                 calendar=settings.calendar.working_calendar())
    for failure in result.failures:
        print(f"rule '{failure.rule}' failed: {failure.error}", file=sys.stderr)
    findings = result.findings if args.all else result.exceptions
    print(findings_json(findings) if args.format == "json" else findings_table(findings))
    return 1 if result.failures else 0


def db(args: argparse.Namespace, settings: Settings) -> int:
    from alerting.store import migrate

    with Store.open(settings.database_url, migrate_schema=False) as store:
        before = migrate.current_revision(store.engine)
        migrate.upgrade(store.engine)
        after = migrate.current_revision(store.engine)
    print(f"database schema: {before or 'empty'} -> {after}")
    return 0
