"""Run a rule test file on the real engine.

The rules are loaded by the rule loader (so a test also catches a broken rule file), the
compact input becomes the same records and columnar frames the store hands to the rules,
and the rules are evaluated as `alerting evaluate` does; the exceptions it would print are
compared with the expected ones.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from alerting.authoring.testing.checks import check_test
from alerting.authoring.testing.diff import Mismatch, compare
from alerting.authoring.testing.model import (
    CaseInput,
    RiskInput,
    RuleTest,
    RuleTestFile,
    SeriesInput,
    parse_test_file,
)
from alerting.authoring.testing.series import frequency_problem, periods, span_problem
from alerting.config.ruleset import (
    FileOutcome,
    RuleSet,
    assemble,
    load_rules,
    parse_rule,
    yaml_files,
)
from alerting.derived import DEFAULT_AUTHORITY, derive_observations
from alerting.model.calendar import WorkingCalendar, england_and_wales
from alerting.model.catalogue import Catalogue, Frequency, catalogue_from_document
from alerting.model.events import EventFrame, EventRecord
from alerting.model.frames import CaseFrame, ObservationFrame, RiskFrame
from alerting.model.periods import Period
from alerting.model.problems import (
    PathKey,
    Problem,
    YamlDocument,
    did_you_mean,
    display_path,
)
from alerting.model.records import CaseRecord, ObservationRecord, RiskRecord, risk_level
from alerting.pipeline import evaluate_data
from alerting.rules import EvaluationData, RagScheme, Rule
from alerting.rules.evaluation import RuleFailure


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

    @property
    def evaluated_nothing(self) -> bool:
        """No rule was evaluated (every rule under test is switched off): it passes vacuously."""
        return not self.rules


@dataclass(frozen=True)
class FileResult:
    """A test file's outcomes, or the problems that stopped it from running; warnings (values
    after as_of that no rule sees, kept for failing tests) do not stop it."""

    file: str
    outcomes: tuple[RuleTestOutcome, ...] = ()
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


def run_document(document: YamlDocument, base_dir: Path, *,
                 scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE,
                 calendar: WorkingCalendar | None = None) -> FileResult:
    """Run every test of a parsed test file; rule file paths are relative to `base_dir`.
    Working days (`10wd`) count in `calendar`: the service's, England and Wales by default.

    A file with any problem runs no test, so a half-checked file never passes."""
    spec, problems = parse_test_file(document)
    if spec is None:
        return FileResult(document.file, problems=tuple(problems))
    ruleset, problems = rules_under_test(spec, document, base_dir)
    if ruleset is None:
        return FileResult(document.file, problems=tuple(problems))
    builder = DataBuilder(document, ruleset)
    last_as_of = max(test.as_of for test in spec.tests)
    shared = builder.records(spec.series, spec.risks, spec.cases, base=(), subject="",
                             as_of=last_as_of)
    prepared = []
    for index, test in enumerate(spec.tests):
        base: PathKey = ("tests", index)
        subject = f"test '{test.name}': "
        for path, message in check_test(test, ruleset, spec.rag_scheme or scheme):
            builder.problem((*base, *path), subject + message)
        records = builder.records(test.series, test.risks, test.cases, base=base,
                                  subject=subject, as_of=test.as_of, shared=shared)
        events = tuple(e.record() for e in (*spec.events, *test.events))
        prepared.append((test, document.line_of(base), records, events))
    if builder.problems:
        return FileResult(document.file, problems=tuple(builder.problems))
    counting = calendar or england_and_wales()
    outcomes = tuple(
        run_test(test, ruleset, builder.data(records, events, counting, spec.authority),
                 document.file, line, test.rag_scheme or spec.rag_scheme or scheme, calendar)
        for test, line, records, events in prepared)
    return FileResult(document.file, outcomes=outcomes, warnings=builder.warnings_for(outcomes))


def run_test(test: RuleTest, ruleset: RuleSet, data: EvaluationData, file: str,
             line: int | None, scheme: RagScheme,
             calendar: WorkingCalendar | None = None) -> RuleTestOutcome:
    """Evaluate as `alerting evaluate` would (enabled rules, or the test's `rules:` only)."""
    only = only_rules(test)
    evaluation = evaluate_data(ruleset, data, test.as_of, scheme, only=only, calendar=calendar)
    ran = tuple(r.id for r in ruleset.enabled() if only is None or r.id in only)
    return RuleTestOutcome(test.name, file, line, test.as_of, ran,
                       compare(test.expect, evaluation.exceptions), evaluation.failures)


def rules_under_test(spec: RuleTestFile, document: YamlDocument,
                     base_dir: Path) -> tuple[RuleSet | None, list[Problem]]:
    """The rule files named by `rule_files`, then the file's own `measures:` and `rules:`,
    combined as the service combines a rules folder."""
    problems = rule_file_problems(spec.rule_files, document, base_dir)
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
    own = FileOutcome(document.file, tuple(rules), catalogue, tuple(own_problems),
                      lines=document.lines)
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


def rule_file_problems(names: Sequence[str], document: YamlDocument,
                       base_dir: Path) -> list[Problem]:
    """Each rule file must exist and be named once: a file loaded twice would clash with
    itself ("id is already used")."""
    problems = []
    loaded: dict[Path, int] = {}  # each file, and the entry that brought it in
    for index, name in enumerate(names):
        path = base_dir / name
        where = document.line_of(("rule_files", index))
        if not path.exists():
            problems.append(Problem(
                document.file, where, f"rule_files: '{name}' does not exist (looked for "
                f"{display_path(path)}; paths are relative to the test file)"))
            continue
        files = [file.resolve() for file in yaml_files([path])]
        earlier = sorted({loaded[file] for file in files if file in loaded})
        if earlier:
            other = names[earlier[0]]
            again = (f"'{name}' is listed twice" if (base_dir / other).resolve()
                     == path.resolve() else f"'{name}' is already included by '{other}'")
            problems.append(Problem(document.file, where,
                                    f"rule_files[{index}]: {again} (rule_files[{earlier[0]}]); "
                                    "name each rule file once"))
        for file in files:
            loaded.setdefault(file, index)
    return problems


Records = tuple[tuple[ObservationRecord, ...], tuple[RiskRecord, ...], tuple[CaseRecord, ...]]


class DataBuilder:
    """Turns a test's compact input into records, collecting problems with their lines."""

    def __init__(self, document: YamlDocument, ruleset: RuleSet):
        self.document = document
        self.ruleset = ruleset
        self.problems: list[Problem] = []
        self.late: list[tuple[PathKey, Problem]] = []  # values after as_of, by test

    def problem(self, path: PathKey, message: str) -> None:
        self.problems.append(Problem(self.document.file, self.document.line_of(path), message))

    def warn_after(self, base: PathKey, path: PathKey, where: str, found: Sequence[Period],
                   as_of: date) -> None:
        """Values for periods after as_of are never seen by a rule. Often deliberate (a test
        that the rules ignore future data), so the warning is kept for a failing test, where
        it may be the reason (a wrong start period); `base` says which test it belongs to."""
        late = [period for period in found if period.end > as_of]
        if not late:
            return
        if len(late) == 1:
            which, them = f"the value for {late[0].label} is", "it"
        else:
            some = "all" if len(late) == len(found) else "the last"
            which = f"{some} {len(late)} values ({late[0].label} to {late[-1].label}) are"
            them = "them"
        after = (f"as_of {as_of.isoformat()}," if base
                 else f"{as_of.isoformat()}, the last as_of in this file,")
        self.late.append((base, Problem(
            self.document.file, self.document.line_of(path),
            f"{where}: {which} after {after} so no rule sees {them}", severity="warning")))

    def warnings_for(self, outcomes: Sequence[RuleTestOutcome]) -> tuple[Problem, ...]:
        """The late-value warnings of the tests that failed (shared data: if any failed)."""
        failed = {("tests", i) for i, outcome in enumerate(outcomes) if not outcome.passed}
        return tuple(problem for base, problem in self.late
                     if base in failed or (not base and failed))

    def records(self, series: Sequence[SeriesInput], risks: Sequence[RiskInput],
                cases: Sequence[CaseInput], *, base: PathKey, subject: str, as_of: date,
                shared: Records = ((), (), ())) -> Records:
        """Records for a test (or, with base (), the file's shared data, checked against the
        last as_of in the file)."""
        observations = list(shared[0])
        seen = {(r.measure_id, r.area, r.period.end) for r in observations}
        for index, entry in enumerate(series):
            path, where = (*base, "series", index), f"{subject}series[{index}]"
            found = self._series(entry, path, where, seen)
            self.warn_after(base, (*path, "values"), f"{where}.values",
                            [r.period for r in found], as_of)
            observations.extend(found)
        scores = list(shared[1])
        seen_risks = {(r.risk_id, r.period.end) for r in scores}
        for index, risk in enumerate(risks):
            path, where = (*base, "risks", index), f"{subject}risks[{index}]"
            found_scores = self._risk(risk, path, where, seen_risks)
            self.warn_after(base, (*path, "scores"), f"{where}.scores",
                            [r.period for r in found_scores], as_of)
            scores.extend(found_scores)
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
            hint = did_you_mean(entry.measure, catalogue.measures)
            self.problem((*path, "measure"),
                         f"{where}.measure: '{entry.measure}' is not in the measure catalogue "
                         f"(rule_files or measures:){hint}")
            return []
        frequency = catalogue.get(entry.measure).frequency
        if entry.frequency not in (None, frequency):
            self.problem((*path, "frequency"), frequency_mismatch(entry, frequency, where))
            return []
        if not self._can_step(entry.start, frequency, len(entry.values), path, where):
            return []
        found = []
        for period, value, target, comparators in zip(
                periods(entry.start, frequency, len(entry.values)), entry.values,
                entry.targets(), entry.comparators_per_period(), strict=True):
            key = (entry.measure, entry.area, period.end)
            if key in seen:
                self.problem(path, f"{where}: {entry.measure} in {entry.area} already has a "
                                   f"value for {period.label}")
                return []
            seen.add(key)
            found.append(ObservationRecord(entry.measure, period, entry.area, value, target,
                                           comparators))
        return found

    def _risk(self, risk: RiskInput, path: PathKey, where: str,
              seen: set[tuple[str, date]]) -> list[RiskRecord]:
        if not self._can_step(risk.start, risk.frequency, len(risk.scores), path, where,
                              count_field="scores"):
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

    def _can_step(self, start: Period, frequency: Frequency, count: int, path: PathKey,
                  where: str, count_field: str = "values") -> bool:
        """Whether `count` periods from `start` at `frequency` exist; if not, say why."""
        problem = frequency_problem(start, frequency)
        if problem:
            self.problem((*path, "start"), f"{where}.start: {problem}")
            return False
        problem = span_problem(start, frequency, count)
        if problem:
            self.problem((*path, count_field), f"{where}.{count_field}: {problem}")
            return False
        return True

    def data(self, records: Records, events: Sequence[EventRecord] = (),
             calendar: WorkingCalendar | None = None,
             authority: str = DEFAULT_AUTHORITY) -> EvaluationData:
        """The frames the store would hand the rules for these rows (as `gather` does), with
        the derived measures computed from the events as the pipeline does before
        evaluating (a series given for a derived measure wins for its periods)."""
        observations, risks, cases = records
        frame = EventFrame.from_records(events)
        given = {(r.measure_id, r.area, r.period.end) for r in observations}
        derived = [record for measure in self.ruleset.catalogue.derived()
                   for record in derive_observations(measure, frame,
                                                     calendar or england_and_wales(), authority)
                   if (record.measure_id, record.area, record.period.end) not in given]
        return EvaluationData(
            catalogue=self.ruleset.catalogue,
            observations=ObservationFrame.from_records([*observations, *derived]),
            risks=RiskFrame.from_records(risks),
            cases=CaseFrame.from_records(cases),
            events=frame,
        )


def only_rules(test: RuleTest) -> Collection[str] | None:
    return set(test.rules) if test.rules is not None else None


def frequency_mismatch(entry: SeriesInput, frequency: Frequency, where: str) -> str:
    given = entry.frequency or frequency
    return (f"{where}.frequency: {entry.measure} is {frequency.value} in the measure "
            f"catalogue, and the rules step at the measure's frequency, so a {given.value} series "
            f"would look to them like gaps and never fire; leave frequency out (or write "
            f"{frequency.value})")
