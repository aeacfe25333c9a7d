"""Loading Excel workbooks: one sheet per table, rows numbered as in the spreadsheet."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from alerting.loading import SourceError, TableKind, load_path
from alerting.store import SaveCounts, Store
from alerting.store.schema import case_records, observations, rejected_rows, risk_scores

Sheet = Sequence[Sequence[Any] | None]  # None is an empty spreadsheet row

OBSERVATIONS: Sheet = [
    ["measure_id", "period", "area", "value", "target"],
    ["cp-visits", "Aug-21", "Stroud", 80, 75],
    ["cp-visits", "Sep-21", "Stroud", 69.5, 75],
]
RISKS: Sheet = [
    ["risk_id", "period", "score", "likelihood", "impact", "owner"],
    ["SR7.5", "Jun-21", 8, 2, 4, "Spencer, Chris"],
    ["SR7.5", "Sep-21", 12, 3, 4, "Spencer, Chris"],
]
CASES: Sheet = [
    ["child_id", "plan_type", "start_date", "end_date", "team", "previous_plans"],
    ["C100001", "CP", datetime(2019, 8, 1), None, "Stroud Safeguarding", 0],
    ["C100002", "CP", datetime(2018, 5, 21), datetime(2019, 7, 6), "Stroud Safeguarding", 2],
]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in tmp_path so sources are named as users would type them (`book.xlsx[Risks]`)."""
    monkeypatch.chdir(tmp_path)


def workbook(path: Path, sheets: dict[str, Sheet]) -> Path:
    """Write a workbook; each sheet's rows start at spreadsheet row 1."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for number, values in enumerate(rows, start=1):
            for column, value in enumerate(values or (), start=1):
                sheet.cell(row=number, column=column, value=value)
    book.save(path)
    return path


def rows_of(store: Store, table: sa.Table) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]


def test_one_sheet_per_table_all_load(store: Store, tmp_path: Path) -> None:
    """Observations, risks and cases sheets in one workbook each load as their own table."""
    path = workbook(tmp_path / "book.xlsx",
                    {"Observations": OBSERVATIONS, "Risks": RISKS, "Cases": CASES})
    reports = load_path(store, path)
    assert [(r.source, r.kind, r.counts, r.rejected) for r in reports] == [
        ("book.xlsx[Observations]", TableKind.OBSERVATIONS, SaveCounts(inserted=2), ()),
        ("book.xlsx[Risks]", TableKind.RISKS, SaveCounts(inserted=2), ()),
        ("book.xlsx[Cases]", TableKind.CASES, SaveCounts(inserted=2), ()),
    ]
    assert store.counts() == {"observations": 2, "risk_scores": 2, "case_records": 2,
                              "rejected_rows": 0}
    assert {r["source"] for r in rows_of(store, risk_scores)} == {"book.xlsx[Risks]"}


BAD_SHEETS = [
    pytest.param([
        ["measure_id", "period", "area", "value", "target"],        # 1
        ["cp-visits", "Aug-21", "Stroud", 80, 75],                  # 2
        ["cp-visits", "Sep-21", "Stroud", "eighty", 75],            # 3
        ["cp-visits", "Oct-21", "Stroud", 82, 75],                  # 4
    ], 3, "value must be a number or a missing-value marker, got 'eighty'", id="plain"),
    pytest.param([
        None,                                                       # 1 (empty)
        ["measure_id", "period", "area", "value", "target"],        # 2
        ["cp-visits", "Aug-21", "Stroud", 80, 75],                  # 3
        None,                                                       # 4 (empty)
        ["cp-visits", "Sep-21", None, 81, 75],                      # 5
        ["cp-visits", "Oct-21", "Stroud", 82, 75],                  # 6
    ], 5, "area is blank", id="empty-rows-above-and-between"),
    pytest.param([
        ["measure_id", "period", "area", "value", "target"],        # 1
        ["cp-visits", "Aug-21", "Stroud", 80, 75],                  # 2
        ["cp-visits", "Sep-21", "Stroud", 81, 75],                  # 3
        ["cp-visits", "Aug-21", "Stroud", 99, 75],                  # 4
    ], 4, "repeats the row on line 2 (same measure, area and period); the first one was kept",
        id="duplicate"),
]


@pytest.mark.parametrize(("rows", "line", "reason"), BAD_SHEETS)
def test_bad_row_reports_sheet_and_spreadsheet_row(store: Store, tmp_path: Path,
                                                   rows: Sheet, line: int, reason: str) -> None:
    """A bad row is reported as `file.xlsx[Sheet]` with its spreadsheet row number."""
    path = workbook(tmp_path / "file.xlsx", {"Scorecard": rows})
    [report] = load_path(store, path)
    assert report.counts == SaveCounts(inserted=2)
    [rejected] = report.rejected
    assert (rejected.source, rejected.line, rejected.kind, rejected.reason) == (
        "file.xlsx[Scorecard]", line, "observations", reason)
    assert str(rejected) == f"file.xlsx[Scorecard]:{line}: {reason}"
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(rejected_rows.c.source, rejected_rows.c.line)).all()
    assert [tuple(r) for r in stored] == [("file.xlsx[Scorecard]", line)]


def test_excel_date_and_number_cells(store: Store, tmp_path: Path) -> None:
    """Date cells load as dates and numeric cells as numbers, on every table."""
    path = workbook(tmp_path / "book.xlsx",
                    {"Observations": OBSERVATIONS, "Risks": RISKS, "Cases": CASES})
    load_path(store, path)
    assert [(r["period_end"], r["value"], r["target"]) for r in rows_of(store, observations)] == [
        (date(2021, 8, 31), 80.0, 75.0), (date(2021, 9, 30), 69.5, 75.0)]
    assert [(r["score"], r["likelihood"], r["impact"], r["level"], r["owner"])
            for r in rows_of(store, risk_scores)] == [
        (8.0, 2, 4, "Moderate", "Spencer, Chris"), (12.0, 3, 4, "Moderate", "Spencer, Chris")]
    assert [(r["child_id"], r["start_date"], r["end_date"], r["previous_plans"])
            for r in rows_of(store, case_records)] == [
        ("C100001", date(2019, 8, 1), None, 0), ("C100002", date(2018, 5, 21), date(2019, 7, 6), 2)]


def test_text_dates_and_annex_a_headings_in_a_sheet(store: Store, tmp_path: Path) -> None:
    """An Annex A List 7 sheet with UK text dates loads as CP plans."""
    path = workbook(tmp_path / "list7.xlsx", {"List 7": [
        ["Child Unique ID", "Child Protection Plan Start Date", "Child Protection Plan End Date",
         "Latest Category of Abuse", "Number of Previous Child Protection Plans",
         "Allocated Team", "Allocated Worker"],
        ["C743779", "03/04/2019", None, "Neglect", 1, "Cheltenham Safeguarding", "Worker 41"],
    ]})
    [report] = load_path(store, path)
    assert report.rejected == ()
    [row] = rows_of(store, case_records)
    assert (row["child_id"], row["plan_type"], row["start_date"], row["category"],
            row["previous_plans"], row["team"], row["worker"]) == (
        "C743779", "CP", date(2019, 4, 3), "Neglect", 1, "Cheltenham Safeguarding", "Worker 41")


def test_excel_date_cell_as_period(store: Store, tmp_path: Path) -> None:
    """A period typed into Excel as a date (a date cell) loads as that day's period."""
    path = workbook(tmp_path / "book.xlsx", {"Observations": [
        ["measure_id", "period", "area", "value", "target"],
        ["cp-visits", datetime(2021, 9, 30), "Stroud", 80, 75],
    ]})
    [report] = load_path(store, path)
    assert report.rejected == ()
    [row] = rows_of(store, observations)
    assert row["period_end"] == date(2021, 9, 30)


def test_unrecognised_sheet_is_rejected_and_the_others_load(store: Store,
                                                           tmp_path: Path) -> None:
    """A sheet with unknown headings is reported as rejected; later sheets still load."""
    path = workbook(tmp_path / "book.xlsx", {
        "Notes": [["Note", "Author"], ["Check the audit figures", "Chris"]],
        "Observations": OBSERVATIONS,
        "Empty": [],
        "Risks": RISKS,
    })
    reports = load_path(store, path)
    assert [r.source for r in reports] == ["book.xlsx[Notes]", "book.xlsx[Observations]",
                                           "book.xlsx[Risks]"]
    notes = reports[0]
    assert notes.kind is None
    assert notes.counts == SaveCounts()
    [rejected] = notes.rejected
    assert (rejected.source, rejected.line, rejected.kind) == ("book.xlsx[Notes]", 1, "unknown")
    assert rejected.reason.startswith("headings not recognised")
    assert [r.counts for r in reports[1:]] == [SaveCounts(inserted=2), SaveCounts(inserted=2)]
    assert store.counts() == {"observations": 2, "risk_scores": 2, "case_records": 0,
                              "rejected_rows": 1}


def test_missing_value_markers_in_cells(store: Store, tmp_path: Path) -> None:
    """Marker text and empty cells in a sheet store value None, keeping the marker."""
    path = workbook(tmp_path / "book.xlsx", {"Observations": [
        ["measure_id", "period", "area", "value", "target"],
        ["m", "Sep-21", "Cheltenham", "Not published", 75],
        ["m", "Sep-21", "Stroud", None, 75],
        ["m", "Sep-21", "Tewkesbury", "<p>IN DEVELOPMENT</p>", None],
    ]})
    [report] = load_path(store, path)
    assert report.rejected == ()
    got = [(r["area"], r["value"], r["raw_value"]) for r in rows_of(store, observations)]
    assert got == [("Cheltenham", None, "Not published"), ("Stroud", None, None),
                   ("Tewkesbury", None, "IN DEVELOPMENT")]


@pytest.mark.parametrize("data", [
    pytest.param(random.Random(20211).randbytes(4096), id="random-bytes"),
    pytest.param(b"measure_id,period,area,value\nm,Sep-21,A,1\n", id="csv-named-xlsx"),
    pytest.param(b"", id="empty-file"),
])
def test_corrupt_workbook_raises_source_error(store: Store, tmp_path: Path,
                                              data: bytes) -> None:
    """A .xlsx that is not a workbook is a SourceError naming the file."""
    path = tmp_path / "broken.xlsx"
    path.write_bytes(data)
    with pytest.raises(SourceError, match=r"broken\.xlsx: is not a readable \.xlsx workbook"):
        load_path(store, path)
    assert store.counts()["rejected_rows"] == 0
