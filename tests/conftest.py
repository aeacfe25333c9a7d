"""Shared fixtures: stores on SQLite and (when CSC_ALERTING_TEST_POSTGRES_URL is set) PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from alerting.store import Store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RULES = ROOT / "rules"
POSTGRES_ENV = "CSC_ALERTING_TEST_POSTGRES_URL"


@contextmanager
def temporary_database(server_url: str, prefix: str = "csc_alerting_test") -> Iterator[str]:
    """Create an empty PostgreSQL database on the server of `server_url`, yield its URL,
    and drop it afterwards (ending any connections still open to it)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (e.g. "
                    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres); .ci/run sets it")
    probe = sa.create_engine(base)
    try:
        probe.connect().close()
    except sa.exc.OperationalError as exc:
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unreachable: {exc}")
    finally:
        probe.dispose()
    with temporary_database(base) as url:
        yield url


def _wipe(store: Store) -> None:
    from alerting.store.schema import metadata

    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'alerting.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = Store.open(url)
    _wipe(opened)
    try:
        yield opened
    finally:
        _wipe(opened)
        opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'alerting.sqlite3'}")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """CLI tests configure logging (WARNING and up); later tests capture debug events."""
    yield
    import structlog

    structlog.reset_defaults()
