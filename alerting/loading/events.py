"""Child-level events from rows: the tidy events contract and the fields each kind keeps.

A tidy events table has `child_id, kind, start_date` and optionally `end_date, team,
locality, worker`, and the named dates and details of its kind (below); an Annex A sheet
is mapped onto the same field names (`annex_a.py`). Any other column is not stored: that
is how names, dates of birth and addresses stay out of the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from alerting.loading.contract import (
    RowError,
    TableKind,
    canonical_header,
    date_cell,
    repeat_reason,
    text_cell,
)
from alerting.loading.sources import CsvTable, RawTable
from alerting.model.events import EVENT_DATES, UNDATED_KINDS, EventKind, EventRecord
from alerting.model.values import ValueParseError
from alerting.store.store import RejectedRow

# Short coded facts each kind keeps (category of abuse, primary need, legal status, ...).
EVENT_DETAILS: Mapping[EventKind, tuple[str, ...]] = {
    EventKind.CONTACT: ("contact_source",),
    EventKind.EARLY_HELP: ("organisation",),
    EventKind.REFERRAL: ("referral_source", "referral_nfa", "referrals_last_12_months"),
    EventKind.ASSESSMENT: ("disability", "child_seen", "needs_social_care_support"),
    EventKind.S47: ("disability", "icpc_unnecessary", "icpc_resulted_in_plan",
                    "s47_last_12_months", "icpcs_last_12_months"),
    EventKind.ICPC: ("icpc_resulted_in_plan",),
    EventKind.CIN: ("disability", "primary_need", "closure_reason", "case_status"),
    EventKind.CP_PLAN: ("disability", "initial_category", "latest_category", "seen_alone",
                        "emergency_protection", "previous_plans"),
    EventKind.CIC: ("uasc", "disability", "category_of_need", "second_period",
                    "legal_status", "permanence_plan", "placements_last_12_months",
                    "ceased_reason", "placement_type", "placement_provider",
                    "placement_location", "la_of_placement", "missing_episodes",
                    "absent_episodes", "return_interview_offered",
                    "return_interview_accepted"),
    EventKind.CARE_LEAVER: ("uasc", "disability", "personal_advisor", "eligibility",
                            "in_touch", "accommodation_type", "accommodation_suitable",
                            "activity"),
    EventKind.ADOPTION: ("disability", "reason_no_longer_placed"),
}

COMMON_FIELDS = ("child_id", "start_date", "end_date", "team", "locality", "worker")


def kept_fields(kind: EventKind) -> tuple[str, ...]:
    return (*COMMON_FIELDS, *EVENT_DATES[kind], *EVENT_DETAILS[kind])


def kind_cell(raw: Any) -> EventKind:
    text = text_cell(raw)
    if text is None:
        raise RowError("kind is blank")
    folded = text.lower().replace(" ", "_").replace("-", "_")
    try:
        return EventKind(folded)
    except ValueError:
        known = ", ".join(k.value for k in EventKind)
        raise RowError(f"kind must be one of {known}, got {text!r}") from None


def _detail(raw: Any) -> str | None:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        return raw.isoformat()
    return text_cell(raw)


def _date(raw: Any, label: str) -> date | None:
    try:
        return date_cell(raw, label)
    except ValueParseError as exc:
        raise RowError(str(exc)) from None


def build_event(kind: EventKind, cells: Mapping[str, Any],
                labels: Mapping[str, str] | None = None) -> tuple[EventRecord, list[str]]:
    """An event from cells by field name, and the problems of cells left out.

    A bad child id, start or end date rejects the row (RowError); a bad extra date is a
    problem with that cell only: the event is kept without it. `labels` gives the heading
    to name a field by in messages (the Annex A heading), else the field name.
    """
    def label(name: str) -> str:
        return (labels or {}).get(name, name)

    child_id = text_cell(cells.get("child_id"))
    if child_id is None:
        raise RowError(f"{label('child_id')} is blank")
    start = _date(cells.get("start_date"), label("start_date"))
    if start is None and kind not in UNDATED_KINDS:
        raise RowError(f"{label('start_date')} is blank")
    end = _date(cells.get("end_date"), label("end_date"))
    if start is not None and end is not None and end < start:
        raise RowError(f"{label('end_date')} {end.isoformat()} is before "
                       f"{label('start_date')} {start.isoformat()}")
    problems: list[str] = []
    dates: dict[str, date] = {}
    for name in EVENT_DATES[kind]:
        try:
            value = _date(cells.get(name), label(name))
        except RowError as exc:
            problems.append(f"{exc}; the row was loaded without it")
            continue
        if value is not None:
            dates[name] = value
    details = {name: text for name in EVENT_DETAILS[kind]
               if (text := _detail(cells.get(name))) is not None}
    record = EventRecord(
        child_id=child_id, kind=kind, start_date=start, end_date=end,
        team=text_cell(cells.get("team")), locality=text_cell(cells.get("locality")),
        worker=text_cell(cells.get("worker")), dates=dates, details=details)
    return record, problems


def parse_event(row: Mapping[str, Any]) -> tuple[EventRecord, list[str]]:
    """A tidy events row (contract column names)."""
    return build_event(kind_cell(row.get("kind")), row)


def parse_event_rows(table: RawTable | CsvTable) -> tuple[list[EventRecord],
                                                          list[RejectedRow]]:
    """The events of a tidy events table, and the rows and cells left out (with only the
    kept columns' cells, so a name in an extra column never reaches the quarantine)."""
    names = {h: canonical_header(h) for h in table.headers}
    kept = {*COMMON_FIELDS, "kind", *(n for k in EventKind for n in kept_fields(k))}
    records: list[EventRecord] = []
    rejected: list[RejectedRow] = []
    first_line: dict[tuple[str, str, str], int] = {}
    kind_name = TableKind.EVENTS.value
    for raw in table.rows:
        row = {names.get(k) or canonical_header(k): v for k, v in raw.cells.items()}
        cells = {k: v for k, v in row.items() if k in kept}
        if raw.problem:
            rejected.append(RejectedRow(table.source, raw.line, kind_name,
                                        f"row {raw.problem}", cells))
            continue
        try:
            record, problems = parse_event(cells)
        except RowError as exc:
            rejected.append(RejectedRow(table.source, raw.line, kind_name, str(exc), cells))
            continue
        rejected.extend(RejectedRow(table.source, raw.line, kind_name, p, cells)
                        for p in problems)
        if record.key in first_line:
            rejected.append(RejectedRow(table.source, raw.line, kind_name,
                                        repeat_reason(TableKind.EVENTS,
                                                      first_line[record.key]), cells))
            continue
        first_line[record.key] = raw.line
        records.append(record)
    return records, rejected
