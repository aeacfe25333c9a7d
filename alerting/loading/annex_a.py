"""Loading an Ofsted Annex A workbook as it comes: one sheet per list, a title row or two
above the headings, Ofsted's headings (`annex_a_lists.py`).

Each list becomes child-level events (List 5 gives S47 enquiries and, where a conference
was held, ICPCs); List 7 also feeds the CP-plan case records the `case_duration` rule reads.
A sheet that is not a known list is reported and skipped; a bad row or cell is reported
with its sheet and spreadsheet row, and the rest loads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from alerting.loading.annex_a_lists import (
    CHILD_ID_HEADINGS,
    LISTS,
    AnnexList,
    fold_heading,
    is_list_title,
    list_by_headings,
    list_by_sheet_title,
)
from alerting.loading.contract import RowError, TableKind, repeat_reason
from alerting.loading.events import build_event
from alerting.loading.sources import SourceError, open_workbook
from alerting.model.events import EventKind, EventRecord
from alerting.model.problems import display_path
from alerting.model.records import CaseRecord
from alerting.store import SaveCounts, Store
from alerting.store.store import RejectedRow

log = structlog.get_logger(__name__)

HEADING_SEARCH_ROWS = 12  # title rows, notes and blank rows above the heading row
KIND = TableKind.EVENTS.value


@dataclass
class SheetEvents:
    """What one list sheet gave: events, CP plans (List 7), and the rows and cells left out."""

    annex: AnnexList
    source: str
    events: list[EventRecord] = field(default_factory=list)
    cases: list[CaseRecord] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def find_heading_row(rows: Iterator[Sequence[Any]]) -> tuple[int, Sequence[Any]] | None:
    """The first row (1-based) in the first rows of a sheet with a child id heading."""
    for line, values in enumerate(rows, start=1):
        if values and CHILD_ID_HEADINGS & {fold_heading(v) for v in values if v is not None}:
            return line, values
        if line >= HEADING_SEARCH_ROWS:
            return None
    return None


def looks_like_annex_a(workbook: Any) -> bool:
    """A workbook with a sheet named `List N`, or a sheet whose heading row near the top
    (under any title rows) has a child id and a list's own headings, is read as Annex A;
    others as data-contract tables."""
    for sheet in workbook.worksheets:
        if is_list_title(sheet.title):
            return True
        found = find_heading_row(sheet.iter_rows(values_only=True))
        if found is None:
            continue
        folded = {fold_heading(v) for v in found[1] if v is not None}
        if list_by_sheet_title(sheet.title) or list_by_headings(folded):
            return True
    return False


class _Columns:
    """Which spreadsheet column feeds each event field, and the headings' problems."""

    def __init__(self, annex: AnnexList, headings: Sequence[Any]):
        self.position: dict[str, int] = {}
        self.label: dict[str, str] = {}
        self.duplicates: list[str] = []
        for index, heading in enumerate(headings):
            name = annex.headings.get(fold_heading(heading))
            if name is None:
                continue  # not kept: names, dates of birth, addresses, anything unlisted
            shown = " ".join(str(heading).split())
            if name in self.position:
                first = self.position[name]
                self.duplicates.append(
                    f"heading '{shown}' in column {_column_letter(index)} repeats "
                    f"'{self.label[name]}' in column {_column_letter(first)}: column "
                    f"{_column_letter(first)} is used, column {_column_letter(index)} ignored")
                continue
            self.position[name] = index
            self.label[name] = shown

    def missing(self, annex: AnnexList) -> list[str]:
        needed = ["child_id"] + ([] if annex.kind is EventKind.CARE_LEAVER else ["start_date"])
        return [annex.published(n) for n in needed if n not in self.position]

    def cells(self, values: Sequence[Any]) -> dict[str, Any]:
        width = len(values)
        return {name: values[i] for name, i in self.position.items()
                if i < width and values[i] not in (None, "")}


def read_list_sheet(annex: AnnexList, source: str, rows: Iterator[Sequence[Any]],
                    heading_line: int, headings: Sequence[Any]) -> SheetEvents:
    """Parse a list sheet's rows (after its heading row) into events."""
    out = SheetEvents(annex, source)
    columns = _Columns(annex, headings)
    for problem in columns.duplicates:
        out.rejected.append(RejectedRow(source, heading_line, KIND, problem))
    missing = columns.missing(annex)
    if missing:
        found = ", ".join(f"'{h}'" for h in columns.label.values()) or "none of its headings"
        out.rejected.append(RejectedRow(
            source, heading_line, KIND,
            f"List {annex.number} ({annex.title}) has no column '{', '.join(missing)}' "
            f"(found {found}); the sheet was not loaded"))
        return out
    first_line: dict[tuple[str, str, str], int] = {}
    for line, values in enumerate(rows, start=heading_line + 1):
        cells = columns.cells(values) if values else {}
        if not cells:
            continue
        raw = {columns.label[n]: v for n, v in cells.items()}  # kept columns only
        try:
            event, problems = build_event(annex.kind, cells, columns.label)
        except RowError as exc:
            out.rejected.append(RejectedRow(source, line, KIND, str(exc), raw))
            continue
        out.rejected.extend(RejectedRow(source, line, KIND, p, raw) for p in problems)
        if event.key in first_line:
            out.rejected.append(RejectedRow(source, line, KIND,
                                            repeat_reason(TableKind.EVENTS,
                                                          first_line[event.key]), raw))
            continue
        first_line[event.key] = line
        out.events.append(event)
        if annex.kind is EventKind.S47 and "icpc_date" in event.dates:
            out.events.append(_icpc(event))
        if annex.kind is EventKind.CP_PLAN and event.team is not None:
            assert event.start_date is not None
            previous = event.details.get("previous_plans")
            out.cases.append(CaseRecord(
                child_id=event.child_id, plan_type="CP", start_date=event.start_date,
                end_date=event.end_date, team=event.team, locality=event.locality,
                worker=event.worker, category=event.details.get("latest_category"),
                previous_plans=int(previous) if previous and previous.isdigit() else None))
    return out


def _icpc(s47: EventRecord) -> EventRecord:
    """The initial conference an S47 enquiry led to: counted from the strategy discussion."""
    assert s47.start_date is not None
    details = {k: v for k, v in s47.details.items() if k == "icpc_resulted_in_plan"}
    return EventRecord(
        child_id=s47.child_id, kind=EventKind.ICPC, start_date=s47.start_date,
        end_date=s47.dates["icpc_date"], team=s47.team, locality=s47.locality,
        worker=s47.worker, dates={"strategy_discussion": s47.start_date}, details=details)


@dataclass(frozen=True)
class AnnexSheetReport:
    """What loading one sheet did (the loading stage turns it into a LoadReport)."""

    source: str
    annex: AnnexList | None
    counts: SaveCounts = field(default_factory=SaveCounts)
    cases: SaveCounts | None = None
    rejected: tuple[RejectedRow, ...] = ()
    note: str | None = None


def load_annex_a(store: Store, path: Path, workbook: Any = None) -> list[AnnexSheetReport]:
    """Load every list sheet of an Annex A workbook (opened here unless given; closed
    either way); raises SourceError if it is not a readable workbook."""
    name = display_path(path)
    workbook = workbook or open_workbook(path)
    reports: list[AnnexSheetReport] = []
    seen: set[int] = set()
    try:
        for sheet in workbook.worksheets:
            source = f"{name}[{sheet.title}]"
            rows = sheet.iter_rows(values_only=True)
            found = find_heading_row(rows)
            titled = list_by_sheet_title(sheet.title)
            if found is None:
                note = (f"no heading row with '{LISTS[0].published('child_id')}' in its first "
                        f"{HEADING_SEARCH_ROWS} rows")
                reports.append(_skipped(source, titled, note))
                continue
            line, headings = found
            folded = {fold_heading(h) for h in headings if h is not None}
            annex = titled or list_by_headings(folded)
            if annex is None:
                reports.append(_skipped(source, None, "not an Annex A list 1-10 "
                                        "(sheet name and headings not recognised)"))
                continue
            if annex.number in seen:
                log.warning("annex_a_list_repeated", source=source, list=annex.number)
            seen.add(annex.number)
            parsed = read_list_sheet(annex, source, rows, line, headings)
            reports.append(_save(store, parsed))
    except SourceError:
        raise
    except Exception as exc:  # a corrupt part inside a readable zip
        raise SourceError(f"{name}: is not a readable .xlsx workbook ({exc})") from None
    finally:
        workbook.close()
    return reports


def _skipped(source: str, annex: AnnexList | None, note: str) -> AnnexSheetReport:
    log.warning("annex_a_sheet_skipped", source=source, reason=note)
    return AnnexSheetReport(source, annex, note=note)


def _save(store: Store, parsed: SheetEvents) -> AnnexSheetReport:
    try:
        counts = store.save_events(parsed.events, parsed.source) if parsed.events \
            else SaveCounts()
        cases = (store.save_cases(parsed.cases, parsed.source)
                 if parsed.annex.kind is EventKind.CP_PLAN else None)
    finally:
        store.quarantine(parsed.rejected)
    for bad in parsed.rejected:
        log.warning("row_rejected", source=bad.source, line=bad.line, reason=bad.reason)
    log.info("annex_a_list_loaded", source=parsed.source, list=parsed.annex.number,
             inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged,
             rejected=len(parsed.rejected))
    return AnnexSheetReport(parsed.source, parsed.annex, counts, cases,
                            tuple(parsed.rejected))
