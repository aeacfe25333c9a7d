"""Loading rows from a SQL query against a council's warehouse."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from alerting.loading import SourceError, TableKind, load_sql
from alerting.store import SaveCounts, Store
from alerting.store.schema import observations, rejected_rows, risk_scores

QUERY = "SELECT measure_id, period, area, value, target FROM scorecard ORDER BY id"


def warehouse(path: Path, rows: list[tuple[Any, ...]]) -> str:
    """A SQLite file with a `scorecard` table of observations; returns its URL."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE scorecard (id INTEGER PRIMARY KEY, measure_id TEXT, "
                     "period TEXT, area TEXT, value, target REAL)")
        conn.executemany("INSERT INTO scorecard (measure_id, period, area, value, target) "
                         "VALUES (?, ?, ?, ?, ?)", rows)
    conn.close()
    return f"sqlite:///{path}"


@pytest.fixture
def warehouse_url(tmp_path: Path) -> Iterator[str]:
    yield warehouse(tmp_path / "warehouse.sqlite3", [
        ("cp-visits", "Aug-21", "Stroud", 80.0, 75.0),      # row 1
        ("cp-visits", "Sep-21", "Stroud", "69.5%", 75.0),   # row 2
        ("cp-visits", "Oct-21", "Stroud", "eighty", 75.0),  # row 3
        ("cp-visits", "Nov-21", "Stroud", None, 75.0),      # row 4
    ])


def stored(store: Store) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        query = sa.select(observations.c.period_end, observations.c.value,
                          observations.c.source).order_by(observations.c.period_end)
        return [tuple(r) for r in conn.execute(query)]


def test_query_rows_load_and_a_bad_row_is_rejected_by_number(store: Store, warehouse_url: str,
                                                             tmp_path: Path) -> None:
    """Rows load from the query; a bad row is rejected with its 1-based row number."""
    report = load_sql(store, warehouse_url, QUERY)
    source = f"sql:sqlite:///{tmp_path / 'warehouse.sqlite3'}"
    assert report.source == source
    assert report.kind is TableKind.OBSERVATIONS
    assert report.counts == SaveCounts(inserted=3)
    assert [(r.source, r.line, r.kind, r.reason) for r in report.rejected] == [
        (source, 3, "observations",
         "value must be a number or a missing-value marker, got 'eighty'")]
    assert stored(store) == [(date(2021, 8, 31), 80.0, source), (date(2021, 9, 30), 69.5, source),
                             (date(2021, 11, 30), None, source)]
    with store.engine.connect() as conn:
        quarantined = conn.execute(sa.select(rejected_rows.c.source, rejected_rows.c.line)).all()
    assert [tuple(r) for r in quarantined] == [(source, 3)]


def test_rows_are_numbered_from_one(store: Store, tmp_path: Path) -> None:
    """The first row of the result is row 1 (there is no heading row in a query)."""
    url = warehouse(tmp_path / "w.sqlite3", [("", "Sep-21", "Stroud", 1.0, 2.0),
                                             ("m", "Sep-21", "Stroud", 1.0, 2.0)])
    report = load_sql(store, url, QUERY)
    assert [(r.line, r.reason) for r in report.rejected] == [(1, "measure_id is blank")]
    assert report.counts == SaveCounts(inserted=1)


def test_query_can_rename_columns_and_kind_can_be_given(store: Store, tmp_path: Path) -> None:
    """Column aliases in the query meet the contract; an explicit kind is honoured."""
    path = tmp_path / "risks.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE register (ref TEXT, quarter TEXT, residual TEXT)")
        conn.executemany("INSERT INTO register VALUES (?, ?, ?)",
                         [("SR7.5", "Q1 2021/22", "Moderate 8"),
                          ("SR7.5", "Q2 2021/22", "Moderate 12")])
    conn.close()
    report = load_sql(store, f"sqlite:///{path}",
                      "SELECT ref AS risk_id, quarter AS period, residual AS score "
                      "FROM register ORDER BY quarter", TableKind.RISKS)
    assert report.counts == SaveCounts(inserted=2)
    with store.engine.connect() as conn:
        got = conn.execute(sa.select(risk_scores.c.period_end, risk_scores.c.score)
                           .order_by(risk_scores.c.period_end)).all()
    assert [tuple(r) for r in got] == [(date(2021, 6, 30), 8.0), (date(2021, 9, 30), 12.0)]


def test_failing_query_raises_source_error(store: Store, warehouse_url: str) -> None:
    """A query the database refuses is a SourceError, and nothing is loaded."""
    with pytest.raises(SourceError, match=r"query failed: .*no such table: referrals"):
        load_sql(store, warehouse_url, "SELECT * FROM referrals")
    assert store.counts() == {"observations": 0, "risk_scores": 0, "case_records": 0,
                              "rejected_rows": 0}


def test_unreachable_database_error_hides_the_password(store: Store) -> None:
    """A connection failure is a SourceError whose message does not reveal the password."""
    url = "postgresql+psycopg://user:secret@127.0.0.1:1/nodb"
    with pytest.raises(SourceError) as caught:
        load_sql(store, url, "SELECT 1")
    message = str(caught.value)
    assert "secret" not in message
    assert message.startswith("SQL source postgresql+psycopg://user:***@127.0.0.1:1/nodb: "
                              "query failed:")


def test_unknown_database_driver_raises_source_error(store: Store) -> None:
    """A URL naming a database SQLAlchemy has no driver for is a SourceError."""
    with pytest.raises(SourceError, match="nosuchdb"):
        load_sql(store, "nosuchdb://warehouse/db", "SELECT 1")


def test_malformed_url_raises_source_error(store: Store) -> None:
    """A URL that cannot be parsed at all is a SourceError, like any unreadable source."""
    with pytest.raises(SourceError):
        load_sql(store, "warehouse at county hall", "SELECT 1")
