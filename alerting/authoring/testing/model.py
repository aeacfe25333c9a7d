"""The test-file format: frozen, validated models of what a rule author writes.

```yaml
rule_files: [../measures.yaml, ../performance.yaml]
tests:
  - name: initial visits three months down
    as_of: 2019-08-31
    series:
      - {measure: initial-visits-in-time-m, area: Gloucestershire, start: May-19,
         values: "84 80 77 73", target: 85}
    expect:
      - {rule: three-period-decline, subject: initial-visits-in-time-m,
         area: Gloucestershire, status: breach}
```
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from alerting.authoring.testing.series import check_start, parse_values
from alerting.derived import DEFAULT_AUTHORITY
from alerting.model.catalogue import Frequency
from alerting.model.events import EVENT_DATES, EventKind, EventRecord
from alerting.model.findings import Status
from alerting.model.periods import Period, PeriodError, parse_period
from alerting.model.problems import Problem, YamlDocument, problems_from_validation
from alerting.model.records import is_comparator
from alerting.model.values import ValueParseError, parse_date
from alerting.rules import RagScheme


def _start(raw: Any) -> Period:
    if isinstance(raw, Period):
        return raw
    try:
        return check_start(parse_period(str(raw)))
    except PeriodError as exc:
        if "is not a financial year" in str(exc):
            raise ValueError(str(exc)) from None
        raise ValueError(f"must be a month (Sep-21), a quarter (Q2 2021/22) or a year "
                         f"(2021/22), got {raw!r}") from None


def _date(raw: Any) -> date:
    try:
        parsed = parse_date(raw, "date")
    except ValueParseError:
        raise ValueError(f"must be a date like 2021-09-30, got {raw!r}") from None
    if parsed is None:
        raise ValueError("must be a date like 2021-09-30")
    return parsed


def _optional_date(raw: Any) -> date | None:
    return None if raw is None or (isinstance(raw, str) and not raw.strip()) else _date(raw)


_STATUS_WORDS = {"_".join(s.words.split()): s.value for s in Status}


def _status(raw: Any) -> Any:
    """Accept the words as well as the code: 'worse than tolerance' or worse_than_tolerance,
    'significantly worse than target' or red."""
    if isinstance(raw, str):
        key = "_".join(raw.strip().lower().replace("-", " ").split())
        key = _STATUS_WORDS.get(key, key)
        if key not in {s.value for s in Status}:
            words = ", ".join(s.value for s in Status)
            raise ValueError(f"must be one of {words}, got {raw!r}")
        return key
    return raw


def _a_list(advice: str = "") -> Callable[[Any], Any]:
    """Only a YAML list will do: pydantic would call a string or a blank 'not a valid tuple'."""
    def check(raw: Any) -> Any:
        if not isinstance(raw, list | tuple):
            raise ValueError(f"must be a list{advice}")
        return raw
    return check


StartPeriod = Annotated[Period, BeforeValidator(_start)]
CompactValues = Annotated[tuple[float | None, ...], BeforeValidator(parse_values)]
TestDate = Annotated[date, BeforeValidator(_date)]
ExpectedStatus = Annotated[Status, BeforeValidator(_status)]
AList = BeforeValidator(_a_list())


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)


class SeriesInput(_Input):
    """One measure's values for one area: a start period and a value per period."""

    measure: str = Field(min_length=1)
    area: str = Field(min_length=1)
    start: StartPeriod
    frequency: Frequency | None = None  # if given, must be the measure's (checked by the runner)
    values: CompactValues
    target: CompactValues | None = None  # one number for every period, or one per period
    # Comparator columns (england, good_outstanding, comparator_*...): the same, per name.
    comparators: Mapping[str, CompactValues] = Field(default_factory=dict)

    @field_validator("target")
    @classmethod
    def _one_target_per_value(cls, target: tuple[float | None, ...] | None,
                              info: ValidationInfo) -> tuple[float | None, ...] | None:
        values = info.data.get("values")
        if target is not None and values is not None and len(target) not in {1, len(values)}:
            raise ValueError(f"must be one number, or one per value ({len(values)}), "
                             f"got {len(target)}")
        return target

    @field_validator("comparators")
    @classmethod
    def _comparator_columns(cls, comparators: Mapping[str, tuple[float | None, ...]],
                            info: ValidationInfo) -> Mapping[str, tuple[float | None, ...]]:
        values = info.data.get("values")
        for name, figures in comparators.items():
            if not is_comparator(name):
                raise ValueError(f"{name!r} is not a comparator column (england, "
                                 "stat_neighbours, comparator_group, peer_group, "
                                 "good_outstanding, region, national or comparator_...)")
            if values is not None and len(figures) not in {1, len(values)}:
                raise ValueError(f"{name} must be one number, or one per value "
                                 f"({len(values)}), got {len(figures)}")
        return comparators

    def targets(self) -> tuple[float | None, ...]:
        return self._per_period(self.target)

    def comparators_per_period(self) -> tuple[dict[str, float], ...]:
        """Each period's comparator figures (a blank `_` leaves that comparator out)."""
        found: list[dict[str, float]] = [{} for _ in self.values]
        for name, figures in self.comparators.items():
            for period, figure in enumerate(self._per_period(figures)):
                if figure is not None:
                    found[period][name] = figure
        return tuple(found)

    def _per_period(self, given: tuple[float | None, ...] | None) -> tuple[float | None, ...]:
        if given is None:
            return (None,) * len(self.values)
        if len(given) == 1:
            return given * len(self.values)
        return given


class RiskInput(_Input):
    """A strategic risk's residual scores, one per period (`_`: no score that period)."""

    risk: str = Field(min_length=1)
    start: StartPeriod
    frequency: Frequency = Frequency.QUARTERLY
    scores: CompactValues
    title: str | None = None
    owner: str | None = None

    @field_validator("scores")
    @classmethod
    def _scores_in_range(cls, scores: tuple[float | None, ...]) -> tuple[float | None, ...]:
        for position, score in enumerate(scores, start=1):
            if score is not None and not 1 <= score <= 25:
                raise ValueError(f"item {position} must be between 1 and 25 "
                                 f"(likelihood x impact), got {score:g}")
        return scores


class CaseInput(_Input):
    """One plan for one child, with the case-records columns of the data contract."""

    child_id: str = Field(min_length=1)
    plan_type: str = Field(default="CP", min_length=1)
    start_date: TestDate
    end_date: Annotated[date | None, BeforeValidator(_optional_date)] = None
    team: str = Field(min_length=1)
    locality: str | None = None
    worker: str | None = None
    category: str | None = None
    previous_plans: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ends_after_start(self) -> CaseInput:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
        return self


def _dates(raw: Any) -> Any:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError("must map date names to dates, like {referral_date: 2024-03-01}")
    return {str(name): _date(value) for name, value in raw.items()}


class EventInput(_Input):
    """One child-level event, with the events columns of the data contract; `dates` holds
    the kind's named dates (referral_date, initial_visit, strategy_discussion, ...)."""

    child_id: str = Field(min_length=1)
    kind: EventKind
    start_date: TestDate
    end_date: Annotated[date | None, BeforeValidator(_optional_date)] = None
    team: str | None = None
    locality: str | None = None
    worker: str | None = None
    dates: Annotated[Mapping[str, date], BeforeValidator(_dates)] = Field(default_factory=dict)
    # Coded facts by name, e.g. {icpc_unnecessary: "Yes"} (what `case_deadline` excludes by).
    details: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("dates")
    @classmethod
    def _named_dates_of_the_kind(cls, dates: Mapping[str, date],
                                 info: ValidationInfo) -> Mapping[str, date]:
        kind = info.data.get("kind")
        if kind is not None:
            unknown = sorted(set(dates) - set(EVENT_DATES[kind]))
            if unknown:
                known = ", ".join(EVENT_DATES[kind]) or "none"
                raise ValueError(f"{', '.join(unknown)} is not a date {kind.value} events "
                                 f"keep (they keep: {known})")
        return dates

    def record(self) -> EventRecord:
        return EventRecord(self.child_id, self.kind, self.start_date, self.end_date,
                           self.team, self.locality, self.worker, dict(self.dates),
                           dict(self.details))


class ExpectedFinding(_Input):
    """An exception the test expects: rule, subject (measure, risk or child id), area, status."""

    rule: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    area: str | None = None
    status: ExpectedStatus


class RuleTest(_Input):
    """One test: data, an as-of date, and exactly the exceptions expected (`[]`: none)."""

    name: str = Field(min_length=1)
    as_of: TestDate
    # Only these rule ids (default: every enabled rule).
    rules: Annotated[tuple[str, ...] | None, BeforeValidator(_a_list(
        " of rule ids, like [three-period-decline] (leave rules: out for every enabled "
        "rule)"))] = None
    rag_scheme: RagScheme | None = None
    series: Annotated[tuple[SeriesInput, ...], AList] = ()
    risks: Annotated[tuple[RiskInput, ...], AList] = ()
    cases: Annotated[tuple[CaseInput, ...], AList] = ()
    events: Annotated[tuple[EventInput, ...], AList] = ()
    expect: Annotated[tuple[ExpectedFinding, ...],
                      BeforeValidator(_a_list(" (write `expect: []` for nothing)"))]


class RuleTestFile(_Input):
    """A whole test file. Inline `rules:` and `measures:` entries are checked by the rule
    loader itself (alerting.config.ruleset, alerting.model.catalogue), so they are kept raw here."""

    rule_files: Annotated[tuple[str, ...], BeforeValidator(_a_list(
        ", like [../measures.yaml, ../performance.yaml]"))] = ()
    rules: Annotated[tuple[Any, ...], AList] = ()
    measures: Annotated[tuple[Any, ...], AList] = ()
    rag_scheme: RagScheme | None = None
    # Data given at the top is part of every test in the file.
    series: Annotated[tuple[SeriesInput, ...], AList] = ()
    risks: Annotated[tuple[RiskInput, ...], AList] = ()
    cases: Annotated[tuple[CaseInput, ...], AList] = ()
    events: Annotated[tuple[EventInput, ...], AList] = ()
    # The authority-wide area of derived measures computed from `events`.
    authority: str = Field(default=DEFAULT_AUTHORITY, min_length=1)
    tests: tuple[RuleTest, ...]


# The top-level keys, and each test's keys: the rule author's guide must mention them all.
FILE_KEYS = tuple(RuleTestFile.model_fields)
TEST_KEYS = tuple(RuleTest.model_fields)


def _subject(entry: Any, index: int) -> str:
    if isinstance(entry, Mapping) and entry.get("name"):
        return f"test '{entry['name']}'"
    return f"test #{index + 1}"


def parse_test_file(document: YamlDocument) -> tuple[RuleTestFile | None, list[Problem]]:
    """Validate a parsed test file; every problem names its line and field."""
    data = document.data
    if not isinstance(data, Mapping) or "tests" not in data:
        return None, [Problem(document.file, document.line_of(()) or 1,
                              "a rule test file needs a top-level 'tests:' list")]
    entries = data["tests"]
    if not isinstance(entries, list) or not entries:
        return None, [Problem(document.file, document.line_of(("tests",)),
                              "tests must be a list of tests, each with name, as_of and expect")]
    problems: list[Problem] = []
    tests: list[RuleTest] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        base = ("tests", index)
        subject = _subject(entry, index)
        if not isinstance(entry, Mapping):
            problems.append(Problem(document.file, document.line_of(base),
                                    f"{subject}: must be a mapping with name, as_of and expect"))
            continue
        try:
            test = RuleTest.model_validate(dict(entry))
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, document, base, subject, RuleTest,
                                                     nested_hints=True))
            continue
        if test.name in seen:
            problems.append(Problem(document.file, document.line_of((*base, "name")),
                                    f"{subject}: another test in this file has the same name"))
        seen.add(test.name)
        tests.append(test)
    header = {str(k): v for k, v in data.items() if k != "tests"}
    try:
        spec = RuleTestFile.model_validate({**header, "tests": tests})
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, document, (), "test file", RuleTestFile,
                                                 nested_hints=True))
        return None, problems
    return (None, problems) if problems else (spec, problems)
