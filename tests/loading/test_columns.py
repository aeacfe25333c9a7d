"""The column path for CSV observations agrees with the row path, row for row, on both stores."""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from alerting.loading import LoadReport, load_path, load_table, sources
from alerting.loading import columns as column_path
from alerting.loading.sources import RawTable, read_csv
from alerting.store import SaveCounts, Store
from alerting.store.schema import (
    observation_revisions,
    observation_values,
    observations,
    rejected_rows,
)


@pytest.fixture(autouse=True)
def _small_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4 rows read and 3 saved, so every case below crosses batch boundaries;
    run in tmp_path so sources are named as users type them."""
    monkeypatch.setattr(sources, "BATCH_ROWS", 4)
    monkeypatch.setattr(column_path, "SAVE_ROWS", 3)
    monkeypatch.chdir(tmp_path)


HEAD = "measure_id,period,area,value,target,england,comparator_group,commentary,notes"
# Good rows with bad ones scattered through them; the comment is the line each starts on.
MIXED = [
    HEAD,                                                               # 1
    "cp-visits,Aug-21,Stroud,80,75,70,,,",                              # 2
    "cp-visits,Sep-21,Stroud,eighty,75,,,,",                            # 3 bad value
    'cp-visits,Sep-21,Cheltenham,81.5%,75,"22.1% (March 23)",,"two\nlines",x',  # 4-5
    "",                                                                 # 6 blank
    ",,,,,,,,",                                                         # 7 blank cells
    "cp-visits,Quarter 5,Stroud,80,75,,,,",                             # 8 bad period
    "cp-visits,Sep-21,Stroud,82,seventy,,,,",                           # 9 bad target
    " cp-visits ,2021-08,Stroud,99,75,,,,",                             # 10 repeats line 2
    "cp-visits,Sep-21,Stroud,82,75,,,,",                                # 11
    "cp-visits,Oct-21,Stroud,n/a,75,,,,",                               # 12 marker
    "cp-visits,Oct-21,Cotswolds,<p>Not published</p>,75,,,,",           # 13 html marker
    "cp-visits,Nov-21,Stroud,83,75,,,,stray,cells",                     # 14 too many cells
    "cp-visits,Nov-21,Gloucester,84",                                   # 15 short but whole
    "cp-visits,2021-11-30,Gloucester,85,75,,,,",                        # 16 repeats line 15
    ",Dec-21,Stroud,80,75,,,,",                                         # 17 blank measure
    "cp-visits,Dec-21,  ,80,75,,,,",                                    # 18 blank area
    "cp-visits,Dec-21,Stroud,80,75,about average,,,",                   # 19 bad comparator
    "cp-visits,Dec-21,Stroud,86,75,,,,",                                # 20
    "cp-visits,Jan-22,Stroud,87",                                       # 21 short
    "cp-visits,Jan-22,Stroud,88,75,,,,",                                # 22 repeats line 21
    "cp-visits,Q4 2021/22,Stroud,89,75,60,5%,<b>fine</b>,",             # 23 quarter
    "cp-visits,Feb-22,Stroud,1e3,75,,,,",                               # 24 exponent
    "cp-visits,Feb-22,Forest of Dean,nan,75,,,,",                       # 25 nan is not a number
]
EXPECTED_REJECTED_LINES = [3, 8, 9, 10, 14, 16, 17, 18, 19, 22, 25]
EXPECTED_LOADED = 10


def stored(store: Store) -> list[dict[str, Any]]:
    """Every stored observation, without the columns that differ between loads."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(observations).order_by(
            observations.c.measure_id, observations.c.area, observations.c.period_end))
        return [{k: v for k, v in r._mapping.items() if k not in ("id", "loaded_at")}
                for r in rows]


def quarantined(store: Store) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(rejected_rows).order_by(rejected_rows.c.id))
        return [(r.source, r.line, r.kind, r.reason, r.raw) for r in rows]


def as_row_path(path: Path) -> RawTable:
    """The same CSV, read row by row as the XLSX and SQL sources are."""
    table = read_csv(path)
    return RawTable(table.source, table.headers, table.rows)


def summary(report: LoadReport) -> tuple[Any, ...]:
    return (report.counts, [(r.line, r.reason, dict(r.raw or {})) for r in report.rejected])


def test_bad_rows_scattered_through_good_ones_are_each_reported(store: Store,
                                                                  tmp_path: Path) -> None:
    """The column path rejects exactly the bad rows, by the line each starts on, and loads
    the rest."""
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(MIXED) + "\n")
    [report] = load_path(store, path)
    assert [r.line for r in report.rejected] == EXPECTED_REJECTED_LINES
    assert report.counts == SaveCounts(inserted=EXPECTED_LOADED)
    assert store.counts()["observations"] == EXPECTED_LOADED
    reasons = {r.line: r.reason for r in report.rejected}
    assert reasons[3] == "value must be a number or a missing-value marker, got 'eighty'"
    assert reasons[10] == ("repeats the row on line 2 (same measure, area and period); "
                           "the first one was kept")
    assert reasons[14] == "row has 10 cells but the heading row has 9"
    assert reasons[22] == ("repeats the row on line 21 (same measure, area and period); "
                           "the first one was kept")


def test_column_path_and_row_path_agree(store: Store, tmp_path: Path) -> None:
    """Same counts, same rejected rows (line, reason, cells), same stored rows and the same
    quarantine, whether the CSV goes the column path or the row path."""
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(MIXED) + "\n")
    by_columns = load_path(store, path)[0]
    columns_stored, columns_quarantined = stored(store), quarantined(store)
    with store.engine.begin() as conn:
        conn.execute(observation_values.delete())
        conn.execute(rejected_rows.delete())
    by_rows = load_table(store, as_row_path(path))
    assert summary(by_columns) == summary(by_rows)
    assert columns_stored == stored(store)
    assert columns_quarantined == quarantined(store)


def test_second_load_of_the_same_file_is_all_unchanged(store: Store, tmp_path: Path) -> None:
    """Loading the same file again changes nothing and records no revision."""
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(MIXED) + "\n")
    load_path(store, path)
    before = stored(store)
    [again] = load_path(store, path)
    assert again.counts == SaveCounts(unchanged=EXPECTED_LOADED)
    assert stored(store) == before
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(
            observation_revisions)).scalar_one() == 0


def test_revised_value_is_recorded_as_a_revision(store: Store, tmp_path: Path) -> None:
    """A value changed in a later file replaces the stored one and keeps the old one as a
    revision; a changed comparator is an update, not a revision; the rest are unchanged."""
    first = tmp_path / "first.csv"
    first.write_text("\n".join(MIXED) + "\n")
    load_path(store, first)
    revised = [line.replace("Sep-21,Stroud,82,75,,,,", "Sep-21,Stroud,84,75,,,,")
                   .replace("Q4 2021/22,Stroud,89,75,60,", "Q4 2021/22,Stroud,89,75,61,")
               for line in MIXED]
    second = tmp_path / "second.csv"
    second.write_text("\n".join(revised) + "\n")
    [report] = load_path(store, second)
    assert report.counts == SaveCounts(revised=1, updated=1, unchanged=EXPECTED_LOADED - 2)
    [revision] = store.revisions("cp-visits", "Stroud", date(2021, 9, 30))
    assert (revision["value"], revision["revision"], revision["source"]) == (
        82.0, 1, "first.csv")
    row = next(r for r in stored(store)
               if (r["area"], r["period_end"]) == ("Stroud", date(2021, 9, 30)))
    assert (row["value"], row["revision"], row["source"]) == (84.0, 2, "second.csv")


def test_a_row_that_is_not_valid_csv_ends_the_file(store: Store, tmp_path: Path) -> None:
    """A cell over the CSV field limit is reported on its line; the rows before it load."""
    path = tmp_path / "huge.csv"
    path.write_text("measure_id,period,area,value\n"
                    "cp-visits,Aug-21,Stroud,80\n"
                    "cp-visits,Sep-21,Stroud,81\n"
                    f'cp-visits,Oct-21,Stroud,"{"9" * 200_000}"\n'
                    "cp-visits,Nov-21,Stroud,83\n")
    [report] = load_path(store, path)
    assert report.counts == SaveCounts(inserted=2)
    [rejected] = report.rejected
    assert rejected.line == 4
    assert rejected.reason.startswith("row is not valid CSV: field larger than field limit")


def test_loading_leaves_the_garbage_collector_as_it_was(store: Store, tmp_path: Path) -> None:
    """The collector is paused only while a table loads."""
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(MIXED) + "\n")
    load_path(store, path)
    assert gc.isenabled()


def test_repeated_headings_pick_the_cell_the_row_path_picks(store: Store, tmp_path: Path) -> None:
    """With a heading repeated (in any spelling), both paths read the same cell."""
    path = tmp_path / "repeated.csv"
    path.write_text("measure_id,period,area,Value,value,VALUE,value\n"
                    "cp-visits,Sep-21,Stroud,1,2,3,4\n"
                    "cp-visits,Oct-21,Stroud,1,2,bad,4\n")
    by_columns = load_path(store, path)[0]
    columns_stored = stored(store)
    with store.engine.begin() as conn:
        conn.execute(observation_values.delete())
    by_rows = load_table(store, as_row_path(path))
    assert summary(by_columns) == summary(by_rows)
    assert columns_stored == stored(store)
    assert [r["value"] for r in columns_stored] == [3.0]
