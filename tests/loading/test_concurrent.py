"""Loads at once and loads that fail, on both store backends: concurrent saves into the same
table are serialised, and a failed save still quarantines the file's rejected rows."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from alerting.loading import LoadReport, load_path
from alerting.store import SaveCounts, Store, bulk
from alerting.store import store as store_module
from alerting.store.bulk import lock_for_save
from alerting.store.schema import observations, rejected_rows, risk_scores

ROWS = 2_000
HEADINGS = "measure_id,period,area,value,target\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in tmp_path so sources are named as users would type them (`a.csv`)."""
    monkeypatch.chdir(tmp_path)


def observations_csv(path: Path, bad_line: str = "M0,Jan-21,A0,1,2,surplus\n") -> Path:
    """ROWS observations (the same in every file written) and one row to reject."""
    body = "".join(f"M{i % 7},{['Jan', 'Feb', 'Mar'][i % 3]}-{10 + i // 21 % 12},A{i},"
                   f"{i},50\n" for i in range(ROWS))
    path.write_text(HEADINGS + body + bad_line)
    return path


def same_store(store: Store) -> Store:
    """Another Store (its own engine and connections) on the database of `store`."""
    return Store.open(store.engine.url.render_as_string(hide_password=False),
                      migrate_schema=False)


def quarantined(store: Store) -> list[tuple[str, int | None]]:
    with store.engine.connect() as conn:
        query = sa.select(rejected_rows.c.source, rejected_rows.c.line).order_by(
            rejected_rows.c.source, rejected_rows.c.line)
        return [(r.source, r.line) for r in conn.execute(query)]


def count(store: Store, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_overlapping_loads_at_once_both_succeed(store: Store, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Two loads of the same rows, each with its own Store, both at the save lock at once
    (SQLite: both staged, before either merges; PostgreSQL, which takes the lock before
    staging to copy new rows straight in: both about to stage): one inserts every row, the
    other finds them all unchanged; neither fails."""
    files = [observations_csv(tmp_path / "a.csv"), observations_csv(tmp_path / "b.csv")]
    both_there = threading.Barrier(2, timeout=30)
    seen = threading.local()

    def lock_when_both_there(conn: sa.Connection, table: sa.Table) -> None:
        if not getattr(seen, "waited", False):  # a save's first call of the lock
            seen.waited = True
            both_there.wait()  # without the lock both would now count no matching rows
        lock_for_save(conn, table)

    monkeypatch.setattr(store_module, "lock_for_save", lock_when_both_there)
    monkeypatch.setattr(bulk, "lock_for_save", lock_when_both_there)
    reports: dict[str, LoadReport] = {}
    errors: list[BaseException] = []

    def load(file: Path) -> None:
        own = same_store(store)
        try:
            [reports[file.name]] = load_path(own, Path(file.name))
        except BaseException as exc:  # reported below, with the other thread's outcome
            errors.append(exc)
            both_there.abort()
        finally:
            own.close()

    threads = [threading.Thread(target=load, args=(file,)) for file in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted((r.counts for r in reports.values()), key=lambda c: c.inserted) == [
        SaveCounts(unchanged=ROWS), SaveCounts(inserted=ROWS)]
    assert count(store, observations) == ROWS
    assert quarantined(store) == [("a.csv", ROWS + 2), ("b.csv", ROWS + 2)]


def failing_lock(conn: sa.Connection, table: sa.Table) -> None:
    """Stands in for the lock: a statement that fails (and on PostgreSQL aborts the
    transaction) after the rows are staged."""
    conn.execute(sa.text("SELECT * FROM no_such_table"))


RISKS = "risk_id,period,score\nR1,Jan-21,12\nR2,Jan-21,not a score\nR3,Jan-21,9\n"


@pytest.mark.parametrize("kind", ["observations", "risks"])
def test_failed_save_quarantines_rejected_rows_and_raises_its_own_error(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """The save's own error is raised (not one from cleaning up the aborted transaction),
    nothing is saved, the rejected rows are quarantined all the same, and the next load
    on the same store works."""
    if kind == "observations":
        file, table, bad_line = observations_csv(tmp_path / "bad.csv"), observations, ROWS + 2
    else:
        file, table, bad_line = tmp_path / "bad.csv", risk_scores, 3
        file.write_text(RISKS)
    monkeypatch.setattr(store_module, "lock_for_save", failing_lock)
    with pytest.raises(sa.exc.DBAPIError, match="no_such_table") as raised:
        load_path(store, Path(file.name))
    assert "InFailedSqlTransaction" not in repr(raised.value)
    assert count(store, table) == 0
    assert quarantined(store) == [("bad.csv", bad_line)]

    monkeypatch.setattr(store_module, "lock_for_save", lock_for_save)
    [report] = load_path(store, Path(file.name))
    assert report.counts.inserted == count(store, table) > 0
    assert quarantined(store) == [("bad.csv", bad_line)] * 2


def test_failed_quarantine_after_a_failed_save_keeps_the_save_error(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the quarantine fails too, the save's error is still the one raised."""
    monkeypatch.setattr(store_module, "lock_for_save", failing_lock)

    def broken_quarantine(*_args: Any) -> int:
        raise RuntimeError("quarantine down")

    monkeypatch.setattr(store, "quarantine", broken_quarantine)
    with pytest.raises(sa.exc.DBAPIError, match="no_such_table"):
        load_path(store, Path(observations_csv(tmp_path / "bad.csv").name))
