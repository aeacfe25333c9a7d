"""Wide scorecard workbooks (measures as rows, months as columns) through a layout file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from alerting.cli.main import main
from alerting.config.settings import SourceSettings
from alerting.loading import SourceError, TableKind, load_path
from alerting.service.data_sources import load_source
from alerting.store import SaveCounts, Store
from alerting.store.schema import observations
from tests.conftest import EXAMPLES

MONTHS = ["Jan-24", "Feb-24", "Mar-24"]
FIGURES = [  # measure, target, values per month (None: not reported), England
    ("initial-visits", 85, [84.0, 80.5, 73.0], 80),
    ("cp-second-plans", 25, [20.0, None, "Not published"], 23),
    ("caseload", None, [17, 18, 19], None),
]
TIDY = """measure_id,period,area,value,target,england,commentary
initial-visits,Jan-24,Gloucestershire,84,85,,
initial-visits,Feb-24,Gloucestershire,80.5,85,,
initial-visits,Mar-24,Gloucestershire,73,85,80,Declined for the third month
cp-second-plans,Jan-24,Gloucestershire,20,25,,
cp-second-plans,Mar-24,Gloucestershire,Not published,25,23,Figures delayed
caseload,Jan-24,Gloucestershire,17,,,
caseload,Feb-24,Gloucestershire,18,,,
caseload,Mar-24,Gloucestershire,19,,,Stable
"""
LAYOUT = """\
sheet: Scorecard
header_row: 3
measure_column: Measure
period_columns: C:E
target_column: Target
area: Gloucestershire
comparator_columns: {england: F}
commentary_column: Commentary
"""
COMMENTS = {"initial-visits": "Declined for the third month",
            "cp-second-plans": "Figures delayed", "caseload": "Stable"}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in tmp_path so sources are named as users type them (`wide.xlsx[Scorecard]`)."""
    monkeypatch.chdir(tmp_path)


def wide_workbook(path: Path, rows: list[list[Any]] | None = None,
                  months: list[Any] | None = None) -> Path:
    """A scorecard as teams keep it: a merged title, 'Measure' and 'Target' merged over two
    heading rows, 'Performance' merged over the month columns; percentages as % cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Scorecard"
    sheet["A1"] = "Children's services scorecard, March 2024"
    sheet.merge_cells("A1:G1")
    sheet["A2"], sheet["B2"], sheet["C2"] = "Measure", "Target", "Performance"
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:B3")
    sheet.merge_cells("C2:E2")
    sheet["F2"], sheet["G2"] = "England", "Commentary"
    for offset, month in enumerate(months or MONTHS):
        sheet.cell(row=3, column=3 + offset, value=month)
    for line, (measure, target, values, england) in enumerate(FIGURES, start=4):
        sheet.cell(row=line, column=1, value=measure)
        sheet.cell(row=line, column=2, value=target)
        for offset, value in enumerate(values):
            cell = sheet.cell(row=line, column=3 + offset)
            if measure == "initial-visits" and isinstance(value, float):
                cell.value, cell.number_format = value / 100, "0.0%"
            else:
                cell.value = value
        sheet.cell(row=line, column=6, value=england)
        sheet.cell(row=line, column=7, value=COMMENTS[measure])
    sheet.cell(row=8, column=1, value="Notes: figures are provisional")
    for line, values in enumerate(rows or [], start=9):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=line, column=column, value=value)
    book.save(path)
    return path


def stored(store: Store) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        query = sa.select(observations.c.measure_id, observations.c.area,
                          observations.c.period_end, observations.c.value,
                          observations.c.raw_value, observations.c.target,
                          observations.c.comparators, observations.c.commentary
                          ).order_by(observations.c.measure_id, observations.c.period_end)
        return [tuple(r) for r in conn.execute(query)]


def test_wide_sheet_with_merged_headings_equals_the_tidy_csv(store: Store, tmp_path: Path
                                                             ) -> None:
    """Through its layout, a wide sheet with merged heading cells loads the same figures as
    the tidy CSV of them: loading the CSV afterwards finds every row unchanged."""
    (tmp_path / "wide.layout.yaml").write_text(LAYOUT, encoding="utf-8")
    (tmp_path / "tidy.csv").write_text(TIDY, encoding="utf-8")
    wide_workbook(tmp_path / "wide.xlsx")
    [report] = load_path(store, tmp_path / "wide.xlsx", layout=tmp_path / "wide.layout.yaml")
    assert (report.source, report.kind, report.counts, report.rejected) == (
        "wide.xlsx[Scorecard]", TableKind.OBSERVATIONS, SaveCounts(inserted=8), ())
    from_wide = stored(store)
    [again] = load_path(store, tmp_path / "tidy.csv")
    assert again.counts == SaveCounts(unchanged=8)
    assert stored(store) == from_wide
    assert [r[3] for r in from_wide if r[0] == "initial-visits"] == [84.0, 80.5, 73.0]


def test_bad_cells_are_reported_and_the_rest_of_the_row_loads(store: Store,
                                                             tmp_path: Path) -> None:
    """A cell that is not a figure is rejected with sheet, row, column and period; a
    period heading that is not a period drops its column with a reason."""
    (tmp_path / "wide.layout.yaml").write_text(LAYOUT.replace("C:E", "C:F").replace(
        "comparator_columns: {england: F}\n", ""), encoding="utf-8")
    wide_workbook(tmp_path / "wide.xlsx", rows=[["turnover", 13, 12.5, "twelve", 13.1]],
                  months=[*MONTHS, "Total"])
    [report] = load_path(store, tmp_path / "wide.xlsx", layout=tmp_path / "wide.layout.yaml")
    assert [(r.source, r.line, r.reason) for r in report.rejected] == [
        ("wide.xlsx[Scorecard]", 3, "column F: heading 'Total' is not a period like Sep-21 "
         "or 2021-09; the column was not loaded"),
        ("wide.xlsx[Scorecard]", 9, "column D (Feb-24): value must be a number or a "
         "missing-value marker, got 'twelve'; the row's other cells still load"),
    ]
    assert report.counts.inserted == 10


def test_layout_naming_a_missing_sheet_is_one_clear_error(store: Store, tmp_path: Path
                                                          ) -> None:
    """A layout's sheet that the workbook lacks: an error listing the sheets it has."""
    (tmp_path / "wide.layout.yaml").write_text(LAYOUT.replace("Scorecard", "Dashboard"),
                                               encoding="utf-8")
    wide_workbook(tmp_path / "wide.xlsx")
    with pytest.raises(SourceError, match=r"wide\.xlsx: has no sheet 'Dashboard' named by "
                                          r"the layout \(its sheets: 'Scorecard'\)"):
        load_path(store, tmp_path / "wide.xlsx", layout=tmp_path / "wide.layout.yaml")


def test_a_broken_layout_file_names_its_line(store: Store, tmp_path: Path) -> None:
    """A layout with an unknown key or no area names the file and line."""
    (tmp_path / "wide.layout.yaml").write_text(LAYOUT.replace("area: Gloucestershire",
                                                              "areas: Gloucestershire"),
                                               encoding="utf-8")
    wide_workbook(tmp_path / "wide.xlsx")
    with pytest.raises(SourceError, match=r"wide\.layout\.yaml:6: layout: "):
        load_path(store, tmp_path / "wide.xlsx", layout=tmp_path / "wide.layout.yaml")


def test_month_headings_typed_as_dates(store: Store, tmp_path: Path) -> None:
    """Month headings Excel turned into dates (1 Jan 2024) are those months."""
    (tmp_path / "wide.layout.yaml").write_text(LAYOUT, encoding="utf-8")
    wide_workbook(tmp_path / "wide.xlsx",
                  months=[datetime(2024, 1, 1), datetime(2024, 2, 1), datetime(2024, 3, 1)])
    (tmp_path / "tidy.csv").write_text(TIDY, encoding="utf-8")
    load_path(store, tmp_path / "wide.xlsx", layout=tmp_path / "wide.layout.yaml")
    [again] = load_path(store, tmp_path / "tidy.csv")
    assert again.counts == SaveCounts(unchanged=8)


def test_load_command_and_configured_source_take_a_layout(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """`alerting load --layout FILE` and a source's `layout:` key both read the sheet."""
    (tmp_path / "wide.layout.yaml").write_text(LAYOUT, encoding="utf-8")
    wide_workbook(tmp_path / "wide.xlsx")
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert main(["--database", url, "load", "--layout", "wide.layout.yaml", "wide.xlsx"]) == 0
    assert "wide.xlsx[Scorecard]: observations: 8 loaded (8 new" in capsys.readouterr().out
    with Store.open(url) as store:
        source = SourceSettings(name="scorecard", path="wide.xlsx", layout="wide.layout.yaml")
        outcome = load_source(store, source, datetime.now().astimezone())
        assert (outcome.error, outcome.rows_loaded, outcome.changed) == (None, 8, False)


def test_shipped_march_2024_dashboard_matches_its_tidy_csv(store: Store) -> None:
    """The bundled wide dashboard (examples/wide_dashboard_march_2024) loads through its
    layout the figures of the tidy dashboard CSV; only the two rows whose value the seed
    leaves blank are not in it (a blank cell is no observation)."""
    folder = EXAMPLES / "wide_dashboard_march_2024"
    [report] = load_path(store, folder / "dashboard.xlsx",
                         layout=folder / "dashboard.layout.yaml")
    assert (report.rejected, report.counts) == ((), SaveCounts(inserted=34))
    [tidy] = load_path(store, EXAMPLES / "dashboard_march_2024" / "observations.csv")
    assert tidy.counts == SaveCounts(inserted=2, unchanged=34)
