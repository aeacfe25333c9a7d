"""The pyarrow reader for plain observation CSVs agrees with the csv module and the row
path, row for row: same lines, reasons, cells, stored rows and quarantine; any file it
cannot read exactly as the csv module does is left to the csv module."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from alerting.loading import LoadReport, arrow_csv, load_path, load_table
from alerting.loading import columns as column_path
from alerting.loading.sources import RawTable, read_csv
from alerting.store import SaveCounts, Store, bulk
from alerting.store.schema import observation_values, observations, rejected_rows

HEAD = "measure_id,period,area,value,target,england,notes"
# Plain lines (no quote character): bad cells of every kind, markers, repeats, blank cells.
PLAIN = [
    HEAD,                                                   # 1
    "cp-visits,Aug-21,Stroud,80,75,70,",                    # 2
    "cp-visits,Sep-21,Stroud,eighty,75,,",                  # 3 bad value
    "cp-visits,Quarter 5,Stroud,80,75,,",                   # 4 bad period
    "cp-visits,Sep-21,Stroud,82,seventy,,",                 # 5 bad target
    " cp-visits ,2021-08,Stroud,99,75,,",                   # 6 repeats line 2
    ",,,,,,",                                               # 7 blank cells
    "cp-visits,Oct-21,Stroud,n/a,75,,",                     # 8 marker
    "cp-visits,Oct-21,Cotswolds,<p>Not published</p>,75,,",  # 9 html marker
    ",Dec-21,Stroud,80,75,,",                               # 10 blank measure
    "cp-visits,Dec-21,  ,80,75,,",                          # 11 blank area
    "cp-visits,Dec-21,Stroud,80,75,about average,",         # 12 bad comparator
    "cp-visits,Dec-21,Stroud,86,75,22.1% (March 23),x",     # 13 comparator with a note
    "cp-visits,Feb-22,Stroud,1e3,75,,",                     # 14 exponent
    "cp-visits,Feb-22,Forest of Dean,nan,75,,",             # 15 nan is not a number
    "cp-visits,Mar-22,Stroud,£1,234.5,75,,",                # 16 too many cells: falls back
]
PLAIN_REJECTED = [3, 4, 5, 6, 10, 11, 12, 15]


def stored(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(observations).order_by(
            observations.c.measure_id, observations.c.area, observations.c.period_end))
        return [{k: v for k, v in r._mapping.items() if k not in ("id", "loaded_at")}
                for r in rows]


def quarantined(store: Store) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(rejected_rows).order_by(rejected_rows.c.id))
        return [(r.source, r.line, r.kind, r.reason, r.raw) for r in rows]


def summary(report: LoadReport) -> tuple[Any, ...]:
    return (report.counts, [(r.line, r.reason, dict(r.raw or {})) for r in report.rejected])


def wipe(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(observation_values.delete())
        conn.execute(rejected_rows.delete())


def three_ways(store: Store, path: Path,
               monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Load the file by the pyarrow reader (where it takes it), by the csv module and by
    the row path; each outcome with what it stored and quarantined."""
    outcomes = []
    for way in ("plain", "csv module", "rows"):
        with monkeypatch.context() as patch:
            if way == "csv module":
                patch.setattr(column_path, "read_plain_csv", lambda *_args: None)
            if way == "rows":
                table = read_csv(path)
                report = load_table(store, RawTable(table.source, table.headers, table.rows))
            else:
                [report] = load_path(store, path)
        outcomes.append((summary(report), stored(store), quarantined(store)))
        wipe(store)
    return outcomes


def plain(path: Path) -> bool:
    table = read_csv(path)
    assert table.path is not None and table.encoding is not None
    return arrow_csv.read_plain_csv(table.path, table.encoding, len(table.headers)) is not None


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_bad_cells_in_a_plain_file_are_reported_by_line_as_the_csv_module_reports_them(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad numbers, periods, comparators, blank keys and repeats: the pyarrow reader takes
    the file and rejects the same rows, on the same lines, for the same reasons."""
    path = Path("plain.csv")
    path.write_text("\n".join(PLAIN[:-1]) + "\n")
    assert plain(path)
    outcomes = three_ways(store, path, monkeypatch)
    assert outcomes[0] == outcomes[1] == outcomes[2]
    (counts, rejected), _, _ = outcomes[0]
    assert [line for line, _, _ in rejected] == PLAIN_REJECTED
    assert counts == SaveCounts(inserted=5)
    reasons = {line: reason for line, reason, _ in rejected}
    assert reasons[3] == "value must be a number or a missing-value marker, got 'eighty'"
    assert reasons[6] == ("repeats the row on line 2 (same measure, area and period); "
                          "the first one was kept")


@pytest.mark.parametrize(("name", "text", "taken"), [
    ("too many cells", "\n".join(PLAIN) + "\n", False),
    ("too few cells", "\n".join([*PLAIN[:-1], "cp-visits,Mar-22,Stroud,84"]) + "\n", False),
    ("a blank line", "\n".join([*PLAIN[:5], "", *PLAIN[5:-1]]) + "\n", True),
    ("quoted multi-line cell",
     "\n".join([*PLAIN[:3], 'cp-visits,Jan-22,Stroud,81,75,,"two\nlines"', *PLAIN[3:-1]]),
     False),
    ("a lone carriage return", "\r".join(PLAIN[:-1]) + "\r", False),
    ("CRLF line ends", "\r\n".join(PLAIN[:-1]) + "\r\n", True),
    ("no newline at the end", "\n".join(PLAIN[:-1]), True),
    ("a UTF-8 BOM", "\ufeff" + "\n".join(PLAIN[:-1]) + "\n", True),
])
def test_every_kind_of_file_loads_the_same_whichever_reader_takes_it(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str,
        taken: bool) -> None:
    """Files with rows that are not lines, or not as wide as the heading row, are left to
    the csv module; CRLF, a BOM or a missing last newline are not; either way every row
    is stored or rejected exactly as the csv module and the row path do."""
    path = Path("file.csv")
    path.write_bytes(text.encode("utf-8"))
    assert plain(path) is taken, name
    outcomes = three_ways(store, path, monkeypatch)
    assert outcomes[0] == outcomes[1] == outcomes[2], name
    assert outcomes[0][0][1], name  # some rows are rejected in every case


def test_a_cp1252_file_is_left_to_the_csv_module(store: Store, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A Windows-1252 file (a £ in a cell) is decoded by the csv module's reader."""
    path = Path("windows.csv")
    path.write_bytes(("\r\n".join([*PLAIN[:-1], "cp-visits,Apr-22,Stroud,£5,75,,"]) + "\r\n")
                     .encode("cp1252"))
    assert not plain(path)
    outcomes = three_ways(store, path, monkeypatch)
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert any(r["period_end"] == date(2022, 4, 30) and r["value"] == 5.0
               for r in outcomes[0][1])


def test_a_large_save_staged_by_adbc_keeps_revisions_and_reloads_unchanged(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every save staged the bulk way (on SQLite: ADBC into an attached scratch file):
    first load, re-load (nothing changes) and a revised value (kept as a revision)."""
    monkeypatch.setattr(bulk, "SCRATCH_ROWS", 1)
    first = Path("first.csv")
    first.write_text("\n".join(PLAIN[:-1]) + "\n")
    [loaded] = load_path(store, first)
    assert loaded.counts == SaveCounts(inserted=5)
    before = stored(store)
    [again] = load_path(store, first)
    assert again.counts == SaveCounts(unchanged=5)
    assert stored(store) == before
    second = Path("second.csv")
    second.write_text("\n".join(PLAIN[:-1]).replace("Dec-21,Stroud,86,", "Dec-21,Stroud,87,")
                      + "\n")
    [revised] = load_path(store, second)
    assert revised.counts == SaveCounts(revised=1, unchanged=4)
    [revision] = store.revisions("cp-visits", "Stroud", date(2021, 12, 31))
    assert (revision["value"], revision["source"]) == (86.0, "first.csv")
    with store.engine.connect() as conn:  # the scratch database is detached again
        attached = [r[1] for r in conn.exec_driver_sql("PRAGMA database_list")] \
            if store.dialect == "sqlite" else []
    assert "bulk_staging" not in attached
