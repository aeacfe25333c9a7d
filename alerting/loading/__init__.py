"""The loading stage: read tables from sources, parse rows by the data contract, save them.

Every rejected row is reported with its source, line and reason, and kept in the store's
quarantine; the rest of the table still loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from alerting.loading.annex_a import AnnexSheetReport, load_annex_a, looks_like_annex_a
from alerting.loading.columns import parse_observation_csv
from alerting.loading.contract import (
    RowError,
    TableKind,
    canonical_header,
    detect_kind,
    is_protection_list,
    missing_columns,
    natural_key,
    parse_case,
    parse_observation,
    parse_risk,
    repeat_reason,
)
from alerting.loading.events import parse_event_rows
from alerting.loading.layout import read_layout, read_wide
from alerting.loading.sources import (
    CsvTable,
    RawTable,
    SourceError,
    open_workbook,
    read_csv,
    read_sql,
    read_xlsx,
)
from alerting.model.memory import collector_paused
from alerting.model.problems import display_path
from alerting.store import SaveCounts, Store
from alerting.store.store import RejectedRow

log = structlog.get_logger(__name__)

__all__ = ["LoadReport", "SourceError", "TableKind", "load_path", "load_sql", "load_table",
           "load_wide"]


@dataclass(frozen=True)
class LoadReport:
    """What loading one table did."""

    source: str
    kind: TableKind | None
    counts: SaveCounts = field(default_factory=SaveCounts)
    rejected: tuple[RejectedRow, ...] = ()
    skipped: bool = False  # a file in a folder that is not a data-contract table
    cases: SaveCounts | None = None  # an Annex A List 7 sheet also saves CP-plan cases
    note: str | None = None  # why a sheet was skipped; what an Annex A sheet was

    @property
    def loaded(self) -> int:
        return self.counts.total


def _parser(kind: TableKind, headers: tuple[str, ...]) -> Callable[[dict[str, Any]], Any]:
    if kind is TableKind.OBSERVATIONS:
        return parse_observation
    if kind is TableKind.RISKS:
        return parse_risk
    default_plan = "CP" if is_protection_list(headers) else None
    return lambda row: parse_case(row, default_plan)


def load_table(store: Store, table: RawTable | CsvTable, kind: TableKind | None = None, *,
               skip_unknown: bool = False) -> LoadReport:
    # In a folder, files with no data-contract id column are someone else's (notes, exports);
    # a table with the id column but a missing column is reported, not skipped.
    kind = kind or detect_kind(table.headers, by_id_column=True)
    if kind is None and skip_unknown:
        return LoadReport(table.source, None, skipped=True)
    if kind is None:
        reason = ("headings not recognised: expected observations (measure_id, period, area, "
                  "value), risks (risk_id, period, score), cases (child_id, plan_type, "
                  "start_date, end_date, team) or events (child_id, kind, start_date)")
        rejected = (RejectedRow(table.source, 1, "unknown", reason),)
        store.quarantine(rejected)
        return LoadReport(table.source, None, rejected=rejected)
    missing = missing_columns(kind, table.headers)
    if missing:
        reason = f"{kind.value} table is missing column(s): {', '.join(missing)}"
        rejected = (RejectedRow(table.source, 1, kind.value, reason),)
        store.quarantine(rejected)
        return LoadReport(table.source, kind, rejected=rejected)
    # The rejected rows are quarantined even when the save fails (its error is then raised):
    # they were rejected whatever became of the rest.
    rejected_rows: list[RejectedRow] = []
    try:
        if kind is TableKind.OBSERVATIONS and isinstance(table, CsvTable):
            with collector_paused():
                parsed = parse_observation_csv(table)
                rejected_rows = parsed.rejected  # filled in as the save reads the batches
                counts = store.save_observation_columns(parsed.batches(), table.source)
        elif kind is TableKind.EVENTS:
            events, rejected_rows = parse_event_rows(table)
            counts = store.save_events(events, table.source)
        else:
            records, rejected_rows = _parse_rows(table, kind)
            counts = _save(store, kind, records, table.source)
    except Exception:
        _quarantine(store, rejected_rows, save_failed=True)
        raise
    _quarantine(store, rejected_rows)
    log.info("table_loaded", source=table.source, kind=kind.value, inserted=counts.inserted,
             revised=counts.revised, unchanged=counts.unchanged, rejected=len(rejected_rows))
    return LoadReport(table.source, kind, counts, tuple(rejected_rows))


def _quarantine(store: Store, rejected_rows: list[RejectedRow], *,
                save_failed: bool = False) -> None:
    """Keep and log the rejected rows. After a failed save its error is the one to raise,
    so a failure to quarantine is then only logged."""
    try:
        store.quarantine(rejected_rows)
    except Exception:
        if not save_failed:
            raise
        log.exception("quarantine_failed", rejected=len(rejected_rows))
    for bad in rejected_rows:
        log.warning("row_rejected", source=bad.source, line=bad.line, reason=bad.reason)


def _parse_rows(table: RawTable | CsvTable, kind: TableKind) -> tuple[list[Any],
                                                                     list[RejectedRow]]:
    """The row path: a record per row, and the rows rejected (a repeat of an earlier row's
    natural key too), in line order."""
    names = {h: canonical_header(h) for h in table.headers}
    parse = _parser(kind, table.headers)
    records: list[Any] = []
    rejected_rows: list[RejectedRow] = []
    first_line: dict[tuple[Any, ...], int] = {}
    for raw in table.rows:
        if raw.problem:
            rejected_rows.append(RejectedRow(table.source, raw.line, kind.value,
                                             f"row {raw.problem}", raw.cells))
            continue
        row = {names[k] if k in names else canonical_header(k): v for k, v in raw.cells.items()}
        try:
            record = parse(row)
        except RowError as exc:
            rejected_rows.append(RejectedRow(table.source, raw.line, kind.value, str(exc),
                                             raw.cells))
            continue
        key = natural_key(record)
        if key in first_line:
            rejected_rows.append(RejectedRow(table.source, raw.line, kind.value,
                                             repeat_reason(kind, first_line[key]), raw.cells))
            continue
        first_line[key] = raw.line
        records.append(record)
    return records, rejected_rows


def _save(store: Store, kind: TableKind, records: list[Any], source: str) -> SaveCounts:
    if kind is TableKind.OBSERVATIONS:
        return store.save_observations(records, source)
    if kind is TableKind.RISKS:
        return store.save_risks(records, source)
    return store.save_cases(records, source)


DATA_SUFFIXES = {".csv", ".xlsx", ".xlsm"}


def load_path(store: Store, path: Path, kind: TableKind | None = None, *,
              skip_unknown: bool = False, layout: Path | None = None) -> list[LoadReport]:
    """Load a .csv file, every sheet of an .xlsx workbook (an Ofsted Annex A workbook as
    child-level events), a wide workbook through a `layout` file, or every such file in a
    folder (where files that are not data-contract tables are skipped). Raises SourceError
    if a file is unreadable."""
    if not path.exists():
        raise SourceError(f"{path}: does not exist")
    if path.is_dir():
        reports: list[LoadReport] = []
        for file in sorted(p for p in path.rglob("*") if p.suffix.lower() in DATA_SUFFIXES):
            reports.extend(load_path(store, file, kind, skip_unknown=True, layout=layout))
        return reports
    if layout is not None:
        if path.suffix.lower() not in {".xlsx", ".xlsm"}:
            if skip_unknown:
                return []
            raise SourceError(f"{path}: a layout file reads .xlsx workbooks only")
        return [load_wide(store, path, layout)]
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        workbook = open_workbook(path)  # once: opening a large workbook costs seconds
        try:
            annex_a = kind in (None, TableKind.EVENTS) and looks_like_annex_a(workbook)
        except Exception as exc:  # a corrupt sheet inside a readable zip
            raise SourceError(f"{display_path(path)}: is not a readable .xlsx workbook "
                              f"({exc})") from None
        if annex_a:
            return [_annex_report(r) for r in load_annex_a(store, path, workbook)]
        return [load_table(store, table, kind, skip_unknown=skip_unknown)
                for table in read_xlsx(path, workbook)]
    return [load_table(store, read_csv(path), kind, skip_unknown=skip_unknown)]


def _annex_report(report: AnnexSheetReport) -> LoadReport:
    annex = report.annex
    what = f"Annex A List {annex.number} ({annex.title})" if annex else None
    note = report.note if report.note else what
    return LoadReport(report.source, TableKind.EVENTS if report.note is None else None,
                      report.counts, report.rejected, skipped=report.note is not None,
                      cases=report.cases, note=note)


def load_wide(store: Store, path: Path, layout_file: Path) -> LoadReport:
    """A wide scorecard sheet (measures as rows, periods as columns) through its layout."""
    wide = read_wide(path, read_layout(layout_file))
    try:
        counts = store.save_observations(wide.records, wide.source)
    except Exception:
        _quarantine(store, wide.rejected, save_failed=True)
        raise
    _quarantine(store, wide.rejected)
    log.info("table_loaded", source=wide.source, kind=TableKind.OBSERVATIONS.value,
             inserted=counts.inserted, revised=counts.revised, unchanged=counts.unchanged,
             rejected=len(wide.rejected), layout=str(layout_file))
    return LoadReport(wide.source, TableKind.OBSERVATIONS, counts, tuple(wide.rejected))


def load_sql(store: Store, url: str, query: str, kind: TableKind | None = None) -> LoadReport:
    return load_table(store, read_sql(url, query), kind)
