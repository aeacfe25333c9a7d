"""Bulk staging: a batch of columns into a staging table as fast as the driver allows.

PostgreSQL (psycopg 3) takes the rows by COPY; other drivers by executemany on plain tuples,
each column converted once per distinct value. The staging table lives only as long as the
saving transaction, and saves into the same table are serialised (`lock_for_save`).
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

Columns = Mapping[str, Sequence[Any]]  # a batch of rows as one list per stored column


@contextmanager
def staging_table(conn: sa.Connection, table: sa.Table,
                  columns: Sequence[str]) -> Iterator[sa.Table]:
    """A temporary table with `columns` of `table`, gone with the transaction.

    PostgreSQL creates it ON COMMIT DROP: a commit drops it and a rollback undoes its
    creation, so nothing runs on a failed transaction and the real error surfaces. SQLite
    (whose driver creates it outside the transaction, so a rollback can leave it behind on
    the pooled connection) drops any leftover first and drops it again after a success.
    """
    postgres = conn.dialect.name == "postgresql"
    options: dict[str, Any] = {"postgresql_on_commit": "DROP"} if postgres else {}
    staging = sa.Table(
        f"staging_{table.name}", sa.MetaData(),
        *(sa.Column(c, table.c[c].type) for c in columns),
        prefixes=["TEMPORARY"], **options,
    )
    if not postgres:
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS temp."{staging.name}"')
    staging.create(conn)
    yield staging
    if not postgres:  # only after a success: a failed transaction is left to roll back
        staging.drop(conn)


def lock_for_save(conn: sa.Connection, table: sa.Table) -> None:
    """Serialise saves into `table` until this transaction ends. Call it before reading
    what the table holds: a save counts the staged rows already there and inserts the
    rest, which is only right if no other save commits rows in between.

    PostgreSQL: a transaction-scoped advisory lock keyed by the table name (released at
    commit or rollback); under READ COMMITTED each later statement then sees every row the
    previous holder committed. SQLite has one writer at a time, but a transaction that has
    read and then writes after another writer committed fails at once ("database is
    locked", SQLITE_BUSY_SNAPSHOT, which busy_timeout does not wait out). So a write that
    changes nothing takes the write lock first, waiting for any other writer, before the
    transaction reads the database (staging writes only the temporary one).
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                     {"key": save_lock_key(table.name)})
    elif conn.dialect.name == "sqlite":
        conn.execute(sa.delete(table).where(sa.false()))


def save_lock_key(name: str) -> int:
    """The advisory lock key (a signed 64-bit integer) for saves into table `name`."""
    digest = hashlib.blake2b(f"csc_alerting.save.{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def stage(conn: sa.Connection, staging: sa.Table, batch: Columns) -> int:
    """Insert one batch of columns into the staging table; returns its row count. Absent
    columns stay NULL. PostgreSQL (psycopg 3) takes the rows by COPY; other drivers by
    executemany on plain tuples, each column converted once per distinct value."""
    names = list(batch)
    if not names:
        return 0
    count = len(batch[names[0]])
    if not count:
        return 0
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy(conn, staging, names, zip(*(batch[n] for n in names), strict=True))
        return count
    columns = [_bound(batch[n], _processor(staging.c[n].type, conn.dialect)) for n in names]
    compiled = staging.insert().values({n: sa.bindparam(n) for n in names}).compile(
        dialect=conn.dialect)
    params: list[Any]
    if compiled.positional:
        by_name = dict(zip(names, columns, strict=True))
        order = compiled.positiontup or names
        params = list(zip(*(by_name[n] for n in order), strict=True))
    else:
        params = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    conn.exec_driver_sql(str(compiled), params)
    return count


def _processor(column_type: sa.types.TypeEngine[Any],
               dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    """How the dialect converts a Python value of this type for the driver (SQLite: dates
    as text)."""
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def _bound(values: Sequence[Any], process: Callable[[Any], Any] | None) -> Sequence[Any]:
    """A column as the driver takes it: converted once per distinct value (a date column of
    a million rows has a few hundred distinct dates)."""
    if process is None:
        return values
    converted = {v: process(v) for v in set(values)}
    return [converted[v] for v in values]


def _copy(conn: sa.Connection, staging: sa.Table, names: Sequence[str],
          rows: Iterable[tuple[Any, ...]]) -> None:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    columns = ", ".join(f'"{n}"' for n in names)
    try:
        with cursor.copy(f'COPY "{staging.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of rows pass through (loading
    a large CSV, reading the observations back). Each row makes a list or tuple; with the
    collector on, every collection walks all those still held, which cost as much as the
    reading itself. Reference counting frees everything as usual; only cycles wait until
    the collector is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
