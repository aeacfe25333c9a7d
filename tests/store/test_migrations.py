"""Alembic migrations build exactly the schema in alerting.store.schema, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from alerting.store import Store, migrate
from alerting.store.schema import metadata
from tests.conftest import temporary_database

TABLES = {"measures", "observations", "observation_revisions", "risk_scores", "case_records",
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
    assert differences(fresh_engine) == []
    assert migrate.current_revision(fresh_engine) == migrate.head_revision()


def test_comparison_would_catch_a_drift(fresh_engine: sa.Engine) -> None:
    """The comparison used above reports a column the migrations do not create."""
    migrate.upgrade(fresh_engine)
    drifted = sa.MetaData()
    for table in metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["observations"].append_column(sa.Column("quality_flag", sa.String(20)))
    diffs = differences(fresh_engine, drifted)
    assert [(d[0], d[2], d[3].name) for d in diffs] == [
        ("add_column", "observations", "quality_flag")]


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
