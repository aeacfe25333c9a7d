"""`alerting test [paths]`: run rule unit tests and print PASS/FAIL with a diff of findings.

Exit 0 when every test passes, 1 when any fails, 2 when a test file (or a rule file it
names) has errors or no test file was found. Without paths, the `tests` folder of each
configured rules folder is used (`rules/tests`).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path

from alerting.authoring.testing.diff import diff_lines
from alerting.authoring.testing.runner import FileResult, RuleTestOutcome, run_document
from alerting.config.ruleset import yaml_files
from alerting.config.settings import Settings
from alerting.model.problems import Problem, ProblemsFound, YamlDocument, display_path, read_yaml


def test_command(args: argparse.Namespace, settings: Settings) -> int:
    roots = settings.rule_paths()
    given: list[Path] = list(args.paths or [])
    paths = given or [root / "tests" for root in roots if root.is_dir()]
    documents, problems = find_test_files(paths, explicit=bool(given))
    results = []
    for path, document in documents:
        results.append(run_document(document, path.parent, scheme=settings.rag_scheme,
                                    calendar=settings.calendar.working_calendar()))
    if not results and not problems:
        where = ", ".join(display_path(p) for p in paths) or "the configured rules folders"
        print(f"No rule test files found in {where} (a test file has a top-level 'tests:' list).")
        return 2
    return report(results, problems)


def find_test_files(paths: Iterable[Path], *, explicit: bool
                    ) -> tuple[list[tuple[Path, YamlDocument]], list[Problem]]:
    """Files named are test files; in folders, the YAML files with a top-level `tests:`."""
    found: list[tuple[Path, YamlDocument]] = []
    problems: list[Problem] = []
    for path in paths:
        if not path.exists():
            if explicit:
                problems.append(Problem(display_path(path), None, "does not exist"))
            continue
        for file in yaml_files([path]):
            try:
                document = read_yaml(file)
            except ProblemsFound as exc:
                problems.extend(exc.problems)
                continue
            data = document.data
            if path.is_dir() and not (isinstance(data, dict) and "tests" in data):
                continue  # a rule file or catalogue kept beside the tests
            found.append((file, document))
    return found, problems


def outcome_lines(outcome: RuleTestOutcome) -> list[str]:
    """PASS/FAIL line, and for a failure what differed."""
    verdict = "PASS" if outcome.passed else "FAIL"
    where = f"{outcome.file}:{outcome.line}" if outcome.line else outcome.file
    lines = [f"{verdict} {outcome.name}  ({where})"]
    if outcome.evaluated_nothing:
        lines[0] += "  [no rule evaluated: every rule under test is switched off]"
    if outcome.passed:
        return lines
    rules = ", ".join(outcome.rules) or "none"
    lines.append(f"    as of {outcome.as_of.isoformat()}, rules evaluated: {rules}")
    if outcome.mismatch:
        lines.append("    - expected but not produced, + produced but not expected:")
        lines.extend(f"    {line}" for line in diff_lines(outcome.mismatch))
    lines.extend(f"    rule '{f.rule}' failed: {f.error}" for f in outcome.failures)
    return lines


def report(results: Sequence[FileResult], problems: Sequence[Problem]) -> int:
    for problem in problems:
        print(problem)
    for result in results:
        for problem in (*result.problems, *result.warnings):
            print(problem)
        for outcome in result.outcomes:
            print("\n".join(outcome_lines(outcome)))
    outcomes = [o for r in results for o in r.outcomes]
    failed = sum(1 for o in outcomes if not o.passed)
    unreadable = len({p.file for p in problems})  # e.g. a YAML syntax error: no result
    broken = unreadable + sum(1 for r in results if r.problems)
    summary = (f"{len(outcomes)} test(s) in {len(results) + unreadable} file(s): "
               f"{len(outcomes) - failed} passed, {failed} failed")
    vacuous = sum(1 for o in outcomes if o.evaluated_nothing)
    if vacuous:
        summary += f" ({vacuous} evaluated no rule)"
    if broken:
        summary += f"; {broken} file(s) with errors, not run"
    print(summary)
    if broken:
        return 2
    return 1 if failed else 0
