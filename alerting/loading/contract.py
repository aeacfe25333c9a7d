"""The data contract (DOMAIN.md): column names, header mappings and row parsing.

Accepted tables and their columns (extra columns are allowed):
- observations: measure_id, period, area, value, target; optional comparator columns
  (england, stat_neighbours, comparator_group, peer_group, good_outstanding, region, or any
  column named comparator_*), numerator, denominator, commentary.
- risks: risk_id, period, score; optional likelihood, impact, level, inherent_score, owner, title.
- cases: child_id, plan_type, start_date, end_date, team; optional locality, worker, category,
  previous_plans. Ofsted Annex A List 7 and DfE CIN census headings map onto these
  (plan_type is then CP).
- events: child_id, kind, start_date; optional end_date, team, locality, worker and the
  named dates and details of the kind (`events.py`). Whole Annex A workbooks map onto
  events too (`annex_a.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from alerting.model.periods import Period, PeriodError, PeriodKind, month_period, parse_period
from alerting.model.records import (
    CaseRecord,
    ObservationRecord,
    RiskRecord,
    is_comparator,
    risk_level,
)
from alerting.model.values import ValueParseError, parse_date, parse_int, parse_number, strip_html


class TableKind(StrEnum):
    OBSERVATIONS = "observations"
    RISKS = "risks"
    CASES = "cases"
    EVENTS = "events"


class RowError(ValueError):
    """Why one row cannot be loaded, in words a performance officer can act on."""


REQUIRED = {
    TableKind.OBSERVATIONS: ("measure_id", "period", "area", "value"),
    TableKind.RISKS: ("risk_id", "period", "score"),
    TableKind.CASES: ("child_id", "start_date", "team"),
    TableKind.EVENTS: ("child_id", "kind", "start_date"),
}


# Ofsted Annex A List 7 headings (and the DfE CIN census item names) -> the case contract.
ANNEX_A_LIST7 = {
    "child unique id": "child_id",
    "child protection plan start date": "start_date",
    "child protection plan end date": "end_date",
    "initial category of abuse": "initial_category",
    "latest category of abuse": "category",
    "number of previous child protection plans": "previous_plans",
    "allocated team": "team",
    "allocated worker": "worker",
    "date of the last statutory visit": "last_statutory_visit",
}
CIN_CENSUS = {
    "lachildid": "child_id",
    "cppstartdate": "start_date",
    "cppenddate": "end_date",
    "numberofpreviouscpp": "previous_plans",
}


def canonical_header(header: str | None) -> str:
    """Map a heading to its contract name: Annex A / CIN census names, else snake_case."""
    text = " ".join(str(header or "").replace("\ufeff", "").split())
    folded = text.lower()
    if folded in ANNEX_A_LIST7:
        return ANNEX_A_LIST7[folded]
    if folded in CIN_CENSUS:
        return CIN_CENSUS[folded]
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


def is_protection_list(headers: Sequence[str]) -> bool:
    """Annex A List 7 / CIN census files carry no plan type: every row is a CP plan."""
    folded = {" ".join(str(h or "").split()).lower() for h in headers}
    return bool(folded & set(ANNEX_A_LIST7) or folded & set(CIN_CENSUS))


_ID_COLUMN = {TableKind.OBSERVATIONS: "measure_id", TableKind.RISKS: "risk_id",
              TableKind.CASES: "child_id", TableKind.EVENTS: "child_id"}
# An events table also has the case columns a case file needs (child_id, start_date,
# team): its `kind` column tells them apart, so it is tried first.
_DETECT_ORDER = (TableKind.EVENTS, TableKind.OBSERVATIONS, TableKind.RISKS, TableKind.CASES)


def detect_kind(headers: Sequence[str], *, by_id_column: bool = False) -> TableKind | None:
    """The table a heading row belongs to: the one whose required columns are all there.
    With `by_id_column`, fall back to the id column, so a file missing one column can be
    told which one rather than that its headings are unrecognised."""
    names = {canonical_header(h) for h in headers}
    for kind in _DETECT_ORDER:
        if set(REQUIRED[kind]) <= names:
            return kind
    if not by_id_column:
        return None
    for kind in TableKind:  # child_id without a kind column: a case file
        if _ID_COLUMN[kind] in names:
            return kind
    return None


def missing_columns(kind: TableKind, headers: Sequence[str]) -> list[str]:
    names = {canonical_header(h) for h in headers}
    needed = [*REQUIRED[kind], *(["plan_type"] if kind is TableKind.CASES
                                 and not is_protection_list(headers) else [])]
    return [c for c in needed if c not in names]


# --- one cell at a time: the row parsers below and the column path (columns.py) share these,
# so a cell is accepted or rejected, with the same words, whichever path reads it.


def text_cell(raw: Any) -> str | None:
    """A text cell with its whitespace runs collapsed; None when blank."""
    if raw is None:
        return None
    text = " ".join(str(raw).split())
    return text or None


def required_cell(raw: Any, column: str) -> str:
    text = text_cell(raw)
    if text is None:
        raise RowError(f"{column} is blank")
    return text


def number_cell(raw: Any, column: str) -> float | None:
    try:
        return parse_number(raw, column)
    except ValueParseError as exc:
        raise RowError(str(exc)) from None


def value_cell(raw: Any) -> tuple[float | None, str | None]:
    """An observation's value, and the marker it was given as when it has none
    ('Not published')."""
    value = number_cell(raw, "value")
    raw_value = None
    if value is None and raw is not None:
        raw_value = strip_html(str(raw)) or None
    return value, raw_value


def period_cell(raw: Any) -> Period:
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        # A spreadsheet turns a typed 'Sep-21' into 1 September 2021: the first of a month
        # stands for that month; any other date is a period ending that day.
        if raw.day == 1:
            return month_period(raw.year, raw.month)
        return Period(end=raw, start=raw, kind=PeriodKind.DAY)
    try:
        return parse_period(required_cell(raw, "period"))
    except PeriodError as exc:
        raise RowError(f"period: {exc}") from None


_LEADING_NUMBER = re.compile(r"^\s*[£]?\s*([-+]?\d[\d,]*(?:\.\d+)?)\s*%?")


def comparator_cell(raw: Any, column: str) -> float | None:
    """Comparator cells often carry notes ('22.1% (March 23)'): take the leading figure."""
    try:
        return parse_number(raw, column)
    except ValueParseError:
        match = _LEADING_NUMBER.match(strip_html(str(raw)))
        if match:
            return float(match.group(1).replace(",", ""))
        raise RowError(
            f"{column} must be a number or a missing-value marker, got {raw!r}") from None


def parse_observation(row: Mapping[str, Any]) -> ObservationRecord:
    value, raw_value = value_cell(row.get("value"))
    comparators = {}
    for column, raw in row.items():
        if is_comparator(column):
            number = comparator_cell(raw, column)
            if number is not None:
                comparators[column] = number
    return ObservationRecord(
        measure_id=required_cell(row.get("measure_id"), "measure_id"),
        period=period_cell(row.get("period")),
        area=required_cell(row.get("area"), "area"),
        value=value,
        target=number_cell(row.get("target"), "target"),
        comparators=comparators,
        numerator=number_cell(row.get("numerator"), "numerator"),
        denominator=number_cell(row.get("denominator"), "denominator"),
        commentary=text_cell(row.get("commentary")),
        raw_value=raw_value,
    )


_LEVEL_SCORE = re.compile(r"^\s*(low|moderate|medium|high)?\s*(\d+(?:\.\d+)?)\s*$", re.I)


def _risk_score(raw: Any, column: str) -> float | None:
    """`12` or `Moderate 12` (as registers print it)."""
    if raw is None or str(raw).strip() == "":
        return None
    match = _LEVEL_SCORE.match(str(raw))
    if not match:
        raise RowError(f"{column} must be a score like 12 or 'Moderate 12', got {raw!r}")
    return float(match.group(2))


def parse_risk(row: Mapping[str, Any]) -> RiskRecord:
    score = _risk_score(row.get("score"), "score")
    if score is None:
        raise RowError("score is blank")
    if not 1 <= score <= 25:
        raise RowError(f"score must be between 1 and 25 (likelihood x impact), got {score:g}")
    try:
        likelihood = parse_int(row.get("likelihood"), "likelihood")
        impact = parse_int(row.get("impact"), "impact")
    except ValueParseError as exc:
        raise RowError(str(exc)) from None
    for name, factor in (("likelihood", likelihood), ("impact", impact)):
        if factor is not None and not 1 <= factor <= 5:
            raise RowError(f"{name} must be between 1 and 5, got {factor}")
    if likelihood is not None and impact is not None and likelihood * impact != score:
        raise RowError(f"score {score:g} is not likelihood {likelihood} x impact {impact}")
    level = text_cell(row.get("level")) or risk_level(score)
    return RiskRecord(
        risk_id=required_cell(row.get("risk_id"), "risk_id"), period=period_cell(row.get("period")),
        score=score, likelihood=likelihood, impact=impact, level=level,
        inherent_score=_risk_score(row.get("inherent_score"), "inherent_score"),
        owner=text_cell(row.get("owner")), title=text_cell(row.get("title")),
    )


@lru_cache(maxsize=65_536)
def _text_date(text: str, column: str) -> date | None:
    return parse_date(text, column)


def date_cell(raw: Any, column: str) -> date | None:
    """A date cell; text is parsed once per distinct value (a case file repeats its dates,
    and trying each accepted format in turn is slow)."""
    if isinstance(raw, str):
        return _text_date(raw, column)
    return parse_date(raw, column)


def parse_case(row: Mapping[str, Any], default_plan_type: str | None = None) -> CaseRecord:
    try:
        start = date_cell(row.get("start_date"), "start_date")
        end = date_cell(row.get("end_date"), "end_date")
        previous = parse_int(row.get("previous_plans"), "previous_plans")
    except ValueParseError as exc:
        raise RowError(str(exc)) from None
    if start is None:
        raise RowError("start_date is blank")
    if end is not None and end < start:
        raise RowError(f"end_date {end.isoformat()} is before start_date {start.isoformat()}")
    plan_type = text_cell(row.get("plan_type")) or default_plan_type
    if plan_type is None:
        raise RowError("plan_type is blank")
    return CaseRecord(
        child_id=required_cell(row.get("child_id"), "child_id"), plan_type=plan_type,
        start_date=start, end_date=end, team=required_cell(row.get("team"), "team"),
        locality=text_cell(row.get("locality")), worker=text_cell(row.get("worker")),
        category=text_cell(row.get("category")), previous_plans=previous,
    )


_KEY_WORDS = {TableKind.OBSERVATIONS: "measure, area and period",
              TableKind.RISKS: "risk and period",
              TableKind.CASES: "child, plan type and start date",
              TableKind.EVENTS: "child, kind and start date"}


def repeat_reason(kind: TableKind, first_line: int) -> str:
    """Why a row whose natural key an earlier row of the same table has is rejected."""
    return (f"repeats the row on line {first_line} (same {_KEY_WORDS[kind]}); "
            "the first one was kept")


def natural_key(record: ObservationRecord | RiskRecord | CaseRecord) -> tuple[Any, ...]:
    """The key a record is stored under, for spotting a row repeated within one file."""
    if isinstance(record, ObservationRecord):
        return (record.measure_id, record.area, record.period.end)
    if isinstance(record, RiskRecord):
        return (record.risk_id, record.period.end)
    return (record.child_id, record.plan_type, record.start_date)
