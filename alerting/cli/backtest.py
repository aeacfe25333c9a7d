"""`alerting backtest`: what the rules would have done over the stored history."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

from alerting.authoring.backtest.html import Schemes, backtest_html, comparison_html
from alerting.authoring.backtest.replay import (
    Backtest,
    as_of_dates,
    compare,
    has_data,
    run_backtest,
    without_extras,
)
from alerting.authoring.backtest.report import (
    backtest_json,
    backtest_table,
    comparison_json,
    comparison_table,
)
from alerting.config.ruleset import RuleSet, load_rules
from alerting.config.settings import Settings
from alerting.model.problems import ProblemsFound
from alerting.pipeline import gather, rule_ids
from alerting.routing.routes import Routing, load_routing
from alerting.rules import EvaluationData
from alerting.store import Store


class _Refused(Exception):
    """A reason not to run the backtest, printed as is (exit 2)."""


def _rules(paths: list[Path], what: str) -> RuleSet:
    for path in paths:
        if not path.exists():
            raise _Refused(f"{what}: {path} does not exist")
    ruleset = load_rules(paths)
    for problem in ruleset.problems:
        print(problem, file=sys.stderr)
    if ruleset.errors:
        raise _Refused(f"{what} have {len(ruleset.errors)} error(s): a backtest of part of the "
                       "rules would mislead; fix them first (alerting validate)")
    return ruleset


def _other_rules(folder: Path) -> RuleSet:
    """The rule set to compare with: a whole rules folder (a changed copy of rules/)."""
    if folder.exists() and not folder.is_dir():
        raise _Refused(f"--compare takes a rules folder (a changed copy of the rules folder, "
                       f"with its measures.yaml), not a file: {folder}")
    other = _rules([folder], "the rules to compare")
    if not other.rules:
        raise _Refused(f"the rules to compare ({folder}) hold no rules")
    if not other.catalogue.measures:
        raise _Refused(f"the rules to compare ({folder}) have no measure catalogue "
                       "(a file with measures:); copy measures.yaml in with the rules")
    return other


def _routing(settings: Settings) -> Routing:
    try:
        return load_routing(Path(settings.recipients))
    except ProblemsFound as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise _Refused(f"{settings.recipients} has errors: notices per receiver cannot be "
                       "counted") from None


def _only(ruleset: RuleSet, patterns: list[str] | None) -> set[str] | None:
    if not patterns:
        return None
    chosen = rule_ids(ruleset, patterns)
    if not chosen:
        raise _Refused(f"--rule {' '.join(patterns)} matches no rule id")
    return chosen


def _names(paths: list[Path]) -> str:
    return ", ".join(str(p) for p in paths)


def backtest_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return _backtest(args, settings)
    except _Refused as exc:
        print(f"alerting backtest: {exc}", file=sys.stderr)
        return 2


def _backtest(args: argparse.Namespace, settings: Settings) -> int:
    if args.end < args.start:
        raise _Refused(f"--to {args.end} is before --from {args.start}")
    paths = list(args.rules or settings.rule_paths())
    ruleset = _rules(paths, "the rules")
    other = _other_rules(args.compare) if args.compare else None
    routing = _routing(settings)
    with Store.open(settings.database_url) as store:
        data = gather(store, ruleset)  # read only: a backtest changes nothing in the store
    if not has_data(data):
        raise _Refused("the store holds no data: load some first (alerting load)")
    dates = as_of_dates(data, args.start, args.end)
    if not dates:
        raise _Refused(f"no month end between {args.start} and {args.end}: widen the range")
    data = without_extras(data, [*ruleset.rules, *(other.rules if other else ())])
    result = _run(ruleset, data, dates, routing, settings, args.rule)
    if other is None:
        _write(args, _single(args.format, result, data, ruleset, _names(paths),
                             settings))
        return 1 if result.failures else 0
    other_data = replace(data, catalogue=other.catalogue)
    after = _run(other, other_data, dates, routing, settings, args.rule)
    comparison = compare(result, after)
    before_name, after_name = _names(paths), str(args.compare)
    if args.format == "json":
        text = comparison_json(comparison, before_name, after_name)
    elif args.format == "html":
        text = comparison_html(comparison, data.observations, ruleset.catalogue,
                               other.catalogue, before_name, after_name,
                               Schemes.of(ruleset, settings.rag_scheme),
                               Schemes.of(other, settings.rag_scheme))
    else:
        text = comparison_table(comparison, before_name, after_name)
    _write(args, text)
    return 1 if result.failures or after.failures else 0


def _run(ruleset: RuleSet, data: EvaluationData, dates: tuple[date, ...],
         routing: Routing, settings: Settings, patterns: list[str] | None) -> Backtest:
    return run_backtest(ruleset, data, dates, routing, scheme=settings.rag_scheme,
                        only=_only(ruleset, patterns),
                        calendar=settings.calendar.working_calendar())


def _single(form: str, result: Backtest, data: EvaluationData, ruleset: RuleSet,
            name: str, settings: Settings) -> str:
    if form == "json":
        return backtest_json(result)
    if form == "html":
        return backtest_html(result, data.observations, ruleset.catalogue, name,
                             Schemes.of(ruleset, settings.rag_scheme))
    return backtest_table(result)


def _write(args: argparse.Namespace, text: str) -> None:
    if args.output is None:
        print(text)
        return
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
