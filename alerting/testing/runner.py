"""Run a rule test file on the real engine.

The rules are loaded by the rule loader (so a test also catches a broken rule file), the
compact input becomes the same records and columnar frames the store hands to the rules,
and the rules are evaluated as `alerting evaluate` does; the exceptions it would print are
compared with the expected ones.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from alerting.catalogue import Catalogue, catalogue_from_document
from alerting.evaluation import RuleFailure
from alerting.frames import CaseFrame, ObservationFrame, RiskFrame
from alerting.pipeline import evaluate_data
from alerting.problems import (
    PathKey,
    Problem,
    YamlDocument,
    display_path,
)
from alerting.records import CaseRecord, ObservationRecord, RiskRecord, risk_level
from alerting.rules import EvaluationData, RagScheme, Rule
from alerting.ruleset import FileOutcome, RuleSet, assemble, load_rules, parse_rule
from alerting.testing.diff import Mismatch, compare
from alerting.testing.model import (
    CaseInput,
    RiskInput,
    RuleTest,
    RuleTestFile,
    SeriesInput,
    parse_test_file,
)
from alerting.testing.series import frequency_problem, periods


@dataclass(frozen=True)
class RuleTestOutcome:
    """How one test went: what differed from the expectation, and any rule that failed."""

    name: str
    file: str
    line: int | None
    as_of: date
    rules: tuple[str, ...]
    mismatch: Mismatch = field(default_factory=Mismatch)
    failures: tuple[RuleFailure, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.mismatch and not self.failures


@dataclass(frozen=True)
class FileResult:
    """A test file's outcomes, or the problems that stopped it from running."""

    file: str
    outcomes: tuple[RuleTestOutcome, ...] = ()
    problems: tuple[Problem, ...] = ()


def run_document(document: YamlDocument, base_dir: Path, *,
                 scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE) -> FileResult:
    """Run every test of a parsed test file; rule file paths are relative to `base_dir`.

    A file with any problem runs no test, so a half-checked file never passes."""
    spec, problems = parse_test_file(document)
    if spec is None:
        return FileResult(document.file, problems=tuple(problems))
    ruleset, problems = rules_under_test(spec, document, base_dir)
    if ruleset is None:
        return FileResult(document.file, problems=tuple(problems))
    builder = DataBuilder(document, ruleset)
    shared = builder.records(spec.series, spec.risks, spec.cases, base=(), subject="")
    prepared = []
    for index, test in enumerate(spec.tests):
        base: PathKey = ("tests", index)
        subject = f"test '{test.name}': "
        builder.check_rule_ids(test, base, subject)
        records = builder.records(test.series, test.risks, test.cases, base=base,
                                  subject=subject, shared=shared)
        prepared.append((test, document.line_of(base), records))
    if builder.problems:
        return FileResult(document.file, problems=tuple(builder.problems))
    outcomes = tuple(
        run_test(test, ruleset, builder.data(records), document.file, line,
                 test.rag_scheme or spec.rag_scheme or scheme)
        for test, line, records in prepared)
    return FileResult(document.file, outcomes=outcomes)


def run_test(test: RuleTest, ruleset: RuleSet, data: EvaluationData, file: str,
             line: int | None, scheme: RagScheme) -> RuleTestOutcome:
    """Evaluate as `alerting evaluate` would (enabled rules, or the test's `rules:` only)."""
    only = only_rules(test)
    evaluation = evaluate_data(ruleset, data, test.as_of, scheme, only=only)
    ran = tuple(r.id for r in ruleset.enabled() if only is None or r.id in only)
    return RuleTestOutcome(test.name, file, line, test.as_of, ran,
                       compare(test.expect, evaluation.exceptions), evaluation.failures)


def rules_under_test(spec: RuleTestFile, document: YamlDocument,
                     base_dir: Path) -> tuple[RuleSet | None, list[Problem]]:
    """The rule files named by `rule_files`, then the file's own `measures:` and `rules:`,
    combined as the service combines a rules folder."""
    problems = []
    for index, name in enumerate(spec.rule_files):
        if not (base_dir / name).exists():
            problems.append(Problem(
                document.file, document.line_of(("rule_files", index)),
                f"rule_files: '{name}' does not exist (looked for "
                f"{display_path(base_dir / name)}; paths are relative to the test file)"))
    if problems:
        return None, problems
    loaded = load_rules([base_dir / name for name in spec.rule_files])
    own_problems: list[Problem] = []
    catalogue: Catalogue | None = None
    if spec.measures:
        catalogue, found = catalogue_from_document(document)
        own_problems.extend(found)
    rules: list[Rule] = []
    for index, entry in enumerate(spec.rules):
        rule, found = parse_rule(entry, document, index)
        own_problems.extend(found)
        if rule is not None:
            rules.append(rule)
    own = FileOutcome(document.file, tuple(rules), catalogue, tuple(own_problems))
    ruleset = assemble([*loaded.files, own])
    problems = list(ruleset.errors)
    if loaded.errors:
        problems.append(Problem(document.file, document.line_of(("rule_files",)),
                                f"the rule files under test have {len(loaded.errors)} error(s) "
                                "(listed above); no test in this file was run"))
    if not problems and not ruleset.rules:
        problems.append(Problem(document.file, document.line_of(()) or 1,
                                "there are no rules to test: name rule files in rule_files, "
                                "or write rules under rules:"))
    return (None, problems) if problems else (ruleset, [])


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


Records = tuple[tuple[ObservationRecord, ...], tuple[RiskRecord, ...], tuple[CaseRecord, ...]]


class DataBuilder:
    """Turns a test's compact input into records, collecting problems with their lines."""

    def __init__(self, document: YamlDocument, ruleset: RuleSet):
        self.document = document
        self.ruleset = ruleset
        self.problems: list[Problem] = []

    def problem(self, path: PathKey, message: str) -> None:
        self.problems.append(Problem(self.document.file, self.document.line_of(path), message))

    def check_rule_ids(self, test: RuleTest, base: PathKey, subject: str) -> None:
        known = [r.id for r in self.ruleset.rules]
        for index, rule_id in enumerate(test.rules or ()):
            if rule_id not in known:
                self.problem((*base, "rules", index), f"{subject}rules: there is no rule "
                             f"'{rule_id}' among the rules under test{_hint(rule_id, known)}")
        for index, expected in enumerate(test.expect):
            where = (*base, "expect", index, "rule")
            if expected.rule not in known:
                self.problem(where, f"{subject}expect[{index}].rule: there is no rule "
                             f"'{expected.rule}' among the rules under test"
                             f"{_hint(expected.rule, known)}")
            elif test.rules is not None and expected.rule not in test.rules:
                self.problem(where, f"{subject}expect[{index}].rule: '{expected.rule}' is not "
                             "in this test's rules:, so it cannot fire")

    def records(self, series: Sequence[SeriesInput], risks: Sequence[RiskInput],
                cases: Sequence[CaseInput], *, base: PathKey, subject: str,
                shared: Records = ((), (), ())) -> Records:
        observations = list(shared[0])
        seen = {(r.measure_id, r.area, r.period.end) for r in observations}
        for index, entry in enumerate(series):
            observations.extend(self._series(entry, (*base, "series", index),
                                             f"{subject}series[{index}]", seen))
        scores = list(shared[1])
        seen_risks = {(r.risk_id, r.period.end) for r in scores}
        for index, risk in enumerate(risks):
            scores.extend(self._risk(risk, (*base, "risks", index), f"{subject}risks[{index}]",
                                     seen_risks))
        plans = list(shared[2])
        seen_plans = {(c.child_id, c.plan_type, c.start_date) for c in plans}
        for index, case in enumerate(cases):
            record = CaseRecord(case.child_id, case.plan_type, case.start_date, case.end_date,
                                case.team, case.locality, case.worker, case.category,
                                case.previous_plans)
            key = (record.child_id, record.plan_type, record.start_date)
            if key in seen_plans:
                self.problem((*base, "cases", index),
                             f"{subject}cases[{index}]: child {case.child_id} already has a "
                             f"{case.plan_type} plan starting {case.start_date}")
            seen_plans.add(key)
            plans.append(record)
        return tuple(observations), tuple(scores), tuple(plans)

    def _series(self, entry: SeriesInput, path: PathKey, where: str,
                seen: set[tuple[str, str, date]]) -> list[ObservationRecord]:
        catalogue = self.ruleset.catalogue
        if entry.measure not in catalogue:
            self.problem((*path, "measure"),
                         f"{where}.measure: '{entry.measure}' is not in the measure catalogue "
                         f"(rule_files or measures:){_hint(entry.measure, catalogue.measures)}")
            return []
        frequency = entry.frequency or catalogue.get(entry.measure).frequency
        problem = frequency_problem(entry.start, frequency)
        if problem:
            self.problem((*path, "frequency" if entry.frequency else "start"),
                         f"{where}: {problem}")
            return []
        found = []
        for period, value, target in zip(periods(entry.start, frequency, len(entry.values)),
                                         entry.values, entry.targets(), strict=True):
            key = (entry.measure, entry.area, period.end)
            if key in seen:
                self.problem(path, f"{where}: {entry.measure} in {entry.area} already has a "
                                   f"value for {period.label}")
                return []
            seen.add(key)
            found.append(ObservationRecord(entry.measure, period, entry.area, value, target))
        return found

    def _risk(self, risk: RiskInput, path: PathKey, where: str,
              seen: set[tuple[str, date]]) -> list[RiskRecord]:
        problem = frequency_problem(risk.start, risk.frequency)
        if problem:
            self.problem((*path, "frequency"), f"{where}: {problem}")
            return []
        found = []
        for period, score in zip(periods(risk.start, risk.frequency, len(risk.scores)),
                                 risk.scores, strict=True):
            if score is None:  # no score recorded that period: the register has no row
                continue
            if (risk.risk, period.end) in seen:
                self.problem(path, f"{where}: {risk.risk} already has a score for {period.label}")
                return []
            seen.add((risk.risk, period.end))
            found.append(RiskRecord(risk.risk, period, score, level=risk_level(score),
                                    owner=risk.owner, title=risk.title))
        return found

    def data(self, records: Records) -> EvaluationData:
        """The frames the store would hand the rules for these rows (as `gather` does)."""
        observations, risks, cases = records
        return EvaluationData(
            catalogue=self.ruleset.catalogue,
            observations=ObservationFrame.from_records(observations),
            risks=RiskFrame.from_records(risks),
            cases=CaseFrame.from_records(cases),
        )


def only_rules(test: RuleTest) -> Collection[str] | None:
    return set(test.rules) if test.rules is not None else None
