"""Alembic migrations build exactly the schema in alerting.store.schema, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from alerting.store import SaveCounts, Store, migrate
from alerting.store.schema import metadata, observation_values
from alerting.store.series import observation_id
from tests.conftest import temporary_database

TABLES = {"measures", "observation_series", "observation_loads", "observation_values",
          "observation_revisions", "risk_scores", "case_records",
          "rejected_rows", "alerts", "notification_log", "notices", "delivery_attempts",
          "runs", "workers", "rule_files", "sources", "child_events", "handling",
          "audit_events"}


def differences(engine: sa.Engine, target: sa.MetaData = metadata) -> list[Any]:
    """What autogenerate would change to reach `target`, ignoring server defaults only."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, target)
    kept: list[Any] = []
    for diff in diffs:
        if isinstance(diff, list):  # modify_* operations on one column come grouped
            changes = [d for d in diff if d[0] != "modify_default"]
            if changes:
                kept.append(changes)
        else:
            kept.append(diff)
    return kept


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[sa.Engine]:
    """A brand-new, empty PostgreSQL database on the test server, dropped afterwards."""
    with temporary_database(postgres_url, prefix="csc_alerting_mig") as url:
        engine = sa.create_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_engine(request: pytest.FixtureRequest) -> sa.Engine:
    """An engine on an empty database of each backend."""
    engine: sa.Engine = request.getfixturevalue(
        {"sqlite": "sqlite_engine", "postgresql": "postgres_engine"}[request.param])
    return engine


def test_head_revision_exists() -> None:
    """The migration scripts have a single head to upgrade to."""
    assert migrate.head_revision() is not None


def test_fresh_database_has_no_revision(fresh_engine: sa.Engine) -> None:
    """Before any upgrade a database has no revision and none of the store's tables."""
    assert migrate.current_revision(fresh_engine) is None
    assert table_names(fresh_engine) & TABLES == set()


def test_upgrade_builds_exactly_the_declared_schema(fresh_engine: sa.Engine) -> None:
    """After upgrade, autogenerate finds no difference from schema.metadata."""
    migrate.upgrade(fresh_engine)
    assert table_names(fresh_engine) == TABLES | {"alembic_version"}
    assert set(sa.inspect(fresh_engine).get_view_names()) == {"observations"}
    assert differences(fresh_engine) == []
    assert migrate.current_revision(fresh_engine) == migrate.head_revision()


def test_comparison_would_catch_a_drift(fresh_engine: sa.Engine) -> None:
    """The comparison used above reports a column the migrations do not create."""
    migrate.upgrade(fresh_engine)
    drifted = sa.MetaData()
    for table in metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["observation_values"].append_column(
        sa.Column("quality_flag", sa.String(20)))
    diffs = differences(fresh_engine, drifted)
    assert [(d[0], d[2], d[3].name) for d in diffs] == [
        ("add_column", "observation_values", "quality_flag")]


def test_upgrade_twice_is_a_no_op(fresh_engine: sa.Engine) -> None:
    """A second upgrade keeps the revision, the schema and the data already stored."""
    migrate.upgrade(fresh_engine)
    store = Store(fresh_engine)
    with fresh_engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO rejected_rows (source, line, kind, reason, rejected_at) "
            "VALUES ('a.csv', 2, 'observations', 'area is blank', CURRENT_TIMESTAMP)"))
    migrate.upgrade(fresh_engine)
    assert migrate.current_revision(fresh_engine) == migrate.head_revision()
    assert differences(fresh_engine) == []
    assert store.counts()["rejected_rows"] == 1
    with fresh_engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    assert [v[0] for v in versions] == [migrate.head_revision()]


def test_store_open_migrates_and_reopen_keeps_data(tmp_path: Path) -> None:
    """Store.open migrates a new SQLite file; opening it again keeps what was saved."""
    url = f"sqlite:///{tmp_path / 'alerting.sqlite3'}"
    first = Store.open(url)
    try:
        assert migrate.current_revision(first.engine) == migrate.head_revision()
        with first.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO rejected_rows (source, line, kind, reason, rejected_at) "
                "VALUES ('a.csv', 2, 'observations', 'area is blank', CURRENT_TIMESTAMP)"))
    finally:
        first.close()
    second = Store.open(url)
    try:
        assert second.counts()["rejected_rows"] == 1
        assert differences(second.engine) == []
    finally:
        second.close()


def test_store_open_without_migrating_leaves_database_empty(tmp_path: Path) -> None:
    """Store.open(migrate_schema=False) does not touch the schema."""
    opened = Store.open(f"sqlite:///{tmp_path / 'bare.sqlite3'}", migrate_schema=False)
    try:
        assert migrate.current_revision(opened.engine) is None
        assert table_names(opened.engine) == set()
    finally:
        opened.close()


WIDE_ROWS = [  # as revision 0006 stored them: texts in every row
    (7, "m1", "Stroud", "2024-01-31", "month", 71.0, "71", 80.0, None, None, None, None,
     "a.csv", "2024-02-05 09:00:00.000000", 1),
    (9, "m1", "Stroud", "2024-02-29", "month", 69.5, "69.5", 80.0, 139.0, 200.0,
     '{"England": 75.0}', "Fewer visits in time", "b.csv", "2024-03-04 09:00:00.000000", 2),
    (12, "m2", "Gloucester", "2024-02-29", "month", None, "", None, None, None, None, None,
     "b.csv", "2024-03-04 09:00:00.000000", 1),
]
WIDE_COLUMNS = ("id, measure_id, area, period_end, period_kind, value, raw_value, target, "
                "numerator, denominator, comparators, commentary, source, loaded_at, revision")


def _wide(engine: sa.Engine) -> list[tuple[Any, ...]]:
    """Each observation as the view (or the old table) gives it, without its id."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT {WIDE_COLUMNS} FROM observations "
                                    "ORDER BY measure_id, area, period_end"))
        return [tuple(str(v) if hasattr(v, "isoformat") else v for v in row[1:])
                for row in rows]


def test_0007_moves_every_observation_into_the_narrow_tables(fresh_engine: sa.Engine) -> None:
    """Upgrading a store of wide observation rows keeps every row, its id, revision, source
    and load time, readable through the `observations` view; new rows get new ids; and the
    downgrade gives the wide table back as it was."""
    migrate.upgrade(fresh_engine, "0006")
    placeholders = ", ".join(f":p{i}" for i in range(15))
    with fresh_engine.begin() as conn:
        for row in WIDE_ROWS:
            conn.execute(sa.text(f"INSERT INTO observations ({WIDE_COLUMNS}) "
                                 f"VALUES ({placeholders})"),
                         {f"p{i}": v for i, v in enumerate(row)})
    before = _wide(fresh_engine)
    migrate.upgrade(fresh_engine)
    assert differences(fresh_engine) == []
    assert _wide(fresh_engine) == before
    store = Store(fresh_engine)
    assert store.counts()["observations"] == 3
    with fresh_engine.connect() as conn:
        series = conn.execute(sa.text("SELECT count(*) FROM observation_series")).scalar()
        loads = conn.execute(sa.text("SELECT count(*) FROM observation_loads")).scalar()
        stored = observation_values.c
        ids = conn.execute(sa.select(stored.id, stored.series_id, stored.period_end)).all()
    assert (series, loads) == (2, 2)
    assert all(i == observation_id(s, d) for i, s, d in ids)
    assert {i for i, _, _ in ids} == {
        observation_id(s, d) for s, d in [(1, date(2024, 1, 31)), (1, date(2024, 2, 29)),
                                          (2, date(2024, 2, 29))]}
    frame = store.observation_frame()
    assert sorted(frame.value[~np.isnan(frame.value)].tolist()) == [69.5, 71.0]
    from alerting.store.batches import ObservationColumns
    counts = store.save_observation_columns([ObservationColumns(
        measure_id=["m1"], area=["Stroud"], period_end=[date(2024, 3, 31)],
        period_kind=["month"], value=[68.0], raw_value=["68"])], "c.csv")
    assert counts == SaveCounts(inserted=1)
    with fresh_engine.connect() as conn:
        new_id = conn.execute(sa.text(
            "SELECT id FROM observations WHERE source = 'c.csv'")).scalar()
    assert new_id == observation_id(1, date(2024, 3, 31))
    after = _wide(fresh_engine)
    with fresh_engine.begin() as conn:
        command.downgrade(migrate._config(conn), "0006")
    assert _wide(fresh_engine) == after
    assert "observation_values" not in table_names(fresh_engine)
