"""Bulk staging: batches of columns into a staging table as fast as the driver allows.

Each batch becomes an Arrow table (pyarrow), converted in C. PostgreSQL (psycopg 3) takes
it by COPY, as CSV that pyarrow writes. SQLite takes a large save by ADBC's bulk ingest
(Arrow bound in C) into a scratch database file of its own, attached for the merge; a
small save (or a driver without ADBC) by executemany into a temporary table. Staging lives
only as long as the saving transaction, and saves into the same table are serialised
(`lock_for_save`).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.schema import CreateTable

# A batch of rows as one sequence (a list, or a pyarrow Array) per stored column.
Columns = Mapping[str, Any]
SCRATCH_ROWS = 20_000  # SQLite: a save whose first batch has this many rows uses ADBC
_SCRATCH = "bulk_staging"  # the attached scratch database's schema name


@dataclass(frozen=True)
class Staged:
    """What staging did: the staging table, the rows in it, and the rows that went straight
    into the table instead (`fresh_key`)."""

    table: sa.Table
    rows: int
    inserted: int = 0


@contextmanager
def staged(conn: sa.Connection, table: sa.Table, columns: Sequence[str],
           batches: Iterable[Columns], *, fresh_key: str | None = None) -> Iterator[Staged]:
    """Stage every batch into a staging table with `columns` of `table`, then run the body
    in the saving transaction (committed when it ends well, rolled back if it raises).

    With `fresh_key` (an integer key column) on PostgreSQL, the save takes its lock first,
    and a row whose key is above every key stored is copied straight into the table: none
    can match it, and COPY into the table costs less than COPY into staging and INSERT …
    SELECT from it. Such rows are counted as inserted. On SQLite it chooses the scratch
    table's form: with the table's primary key when the first batch is above every stored
    key (a first load, copied whole), without it otherwise (a re-load, which merges)."""
    batches = iter(batches)
    first = next(batches, None)
    rest = chain([] if first is None else [first], batches)
    if (first is not None and conn.dialect.name == "sqlite" and _rows(first) >= SCRATCH_ROWS
            and _adbc_sqlite() is not None):
        # The table's own primary key in the scratch file lets a first load be copied whole
        # (`insert_all_staged`), but costs ADBC a quarter more; a save whose first rows are
        # already stored (a re-load) will merge, so it stages without it.
        keyed = fresh_key is None or _above_stored(conn, table, fresh_key, first)
        with _scratch_staging(conn, table, columns, rest, keyed=keyed) as found:
            yield found
        return
    direct = fresh_key if conn.dialect.name == "postgresql" else None
    with conn.begin(), staging_table(conn, table, columns) as staging:
        if direct is not None:  # under the lock, so no other save adds a key meanwhile
            lock_for_save(conn, table)
            top = _max_key(conn, table, direct)
        rows = inserted = 0
        for batch in rest:
            kept = batch
            if direct is not None:
                fresh, kept = _split(batch, np.asarray(batch[direct]) > top)
                inserted += stage(conn, table, fresh)
            rows += stage(conn, staging, kept)
        yield Staged(staging, rows, inserted)


def _above_stored(conn: sa.Connection, table: sa.Table, key: str, batch: Columns) -> bool:
    """Whether the batch's lowest `key` is above every stored one (read without a lock: it
    only chooses how to stage, never what is saved)."""
    top = _max_key(conn, table, key)
    conn.commit()  # no transaction left open before ATTACH
    return int(np.min(np.asarray(batch[key]))) > top


def _max_key(conn: sa.Connection, table: sa.Table, key: str) -> int:
    """The highest `key` stored (-1 in an empty table)."""
    top = conn.execute(sa.select(sa.func.max(table.c[key]))).scalar()
    return -1 if top is None else int(top)


def with_constants(batch: Columns, **values: int) -> Columns:
    """The batch with an integer column of the same value on every row for each of
    `values` (a save's load id, say, staged with its rows)."""
    count = _rows(batch)
    return {**batch, **{name: pa.array(np.full(count, value, dtype=np.int64))
                        for name, value in values.items()}}


def _split(batch: Columns, chosen: np.ndarray) -> tuple[Columns, Columns]:
    """The batch's rows where `chosen` is true, and the others."""
    if chosen.all() or not chosen.any():
        empty = {name: values[:0] for name, values in batch.items()}
        return (batch, empty) if chosen.all() else (empty, batch)
    picked, others = (pa.array(np.flatnonzero(mask)) for mask in (chosen, ~chosen))

    def rows(values: Any, at: pa.Array) -> Any:
        if isinstance(values, pa.Array | pa.ChunkedArray):
            return values.take(at)
        return [values[i] for i in at.to_pylist()]

    return ({n: rows(v, picked) for n, v in batch.items()},
            {n: rows(v, others) for n, v in batch.items()})


def _rows(batch: Columns) -> int:
    return len(next(iter(batch.values()))) if batch else 0


def _adbc_sqlite() -> Any:
    try:
        import adbc_driver_sqlite.dbapi
    except ImportError:  # pragma: no cover - a dependency; executemany serves without it
        return None
    return adbc_driver_sqlite.dbapi


@contextmanager
def _scratch_staging(conn: sa.Connection, table: sa.Table, columns: Sequence[str],
                     batches: Iterable[Columns], *, keyed: bool = True) -> Iterator[Staged]:
    """SQLite: ADBC writes the batches into a scratch database file (no journal, no sync:
    it is thrown away) and closes it; the store's connection then attaches it and merges
    from it in its own transaction, and detaches it afterwards. The scratch file is never
    open in both SQLite libraries at once (ADBC bundles its own), and ATTACH and DETACH run
    outside the transaction, as SQLite requires."""
    folder = Path(tempfile.mkdtemp(prefix="csc-alerting-staging-"))
    try:
        path = folder / "staging.sqlite3"
        staging = _staging_table(table, columns, schema=_SCRATCH)
        scratch = _staging_table(table, columns, same_constraints=True, primary_key=keyed)
        count = _ingest(path, scratch, batches,
                        conn.dialect)
        conn.exec_driver_sql(f"ATTACH DATABASE ? AS {_SCRATCH}", (str(path),))
        conn.commit()  # ends the transaction SQLAlchemy began (SQLite began none)
        try:
            with conn.begin():
                yield Staged(staging, count)
        finally:
            conn.exec_driver_sql(f"DETACH DATABASE {_SCRATCH}")
            conn.commit()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _ingest(path: Path, staging: sa.Table, batches: Iterable[Columns],
            dialect: sa.Dialect) -> int:
    """ADBC appends the batches to the staging table, created first as the store's own
    connection would create it (the same declared types, NOT NULL and INTEGER PRIMARY KEY),
    so a copy of every column into an empty-keyed table is SQLite's transfer of whole
    records (`insert_all_staged`), not a row-by-row conversion."""
    dbapi = _adbc_sqlite()
    count = 0
    with dbapi.connect(str(path), autocommit=True) as adbc, adbc.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute(str(CreateTable(staging).compile(dialect=dialect)))
        for batch in batches:  # a column the batch lacks is left out: NULL, and not bound
            data = arrow_table(staging, batch, dates_as_text=True, absent_as_null=False)
            if data.num_rows:
                cursor.adbc_ingest(staging.name, data, mode="append")
                count += data.num_rows
    return count


def insert_all_staged(conn: sa.Connection, table: sa.Table, staging: sa.Table) -> bool:
    """Insert every staged row as it is, where the staging table has every column of the
    table, in order: SQLite, from the scratch database, as `INSERT INTO t SELECT * FROM s`
    (the form whose records SQLite copies whole); otherwise by naming the columns. Only for
    rows none of which is stored yet. Returns whether the staging table could serve."""
    if [c.name for c in staging.c] != [c.name for c in table.c]:
        return False
    if conn.dialect.name == "sqlite" and staging.schema == _SCRATCH:
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" SELECT * FROM '
                             f'{_SCRATCH}."{staging.name}"')
    else:
        conn.execute(table.insert().from_select([c.name for c in staging.c],
                                                sa.select(*staging.c)))
    return True


def _staging_table(table: sa.Table, columns: Sequence[str], *, schema: str | None = None,
                   same_constraints: bool = False, primary_key: bool = True,
                   **options: Any) -> sa.Table:
    """A staging table for `columns` of `table`, with their types; `same_constraints` gives
    them the table's NOT NULL and (with `primary_key`) its primary key too."""
    primary = (same_constraints and primary_key
               and all(c.name in columns for c in table.primary_key))

    def column(name: str) -> sa.Column[Any]:
        stored = table.c[name]
        if not same_constraints:
            return sa.Column(name, stored.type)
        return sa.Column(name, stored.type, nullable=stored.nullable,
                         primary_key=primary and stored.primary_key, autoincrement=False)

    return sa.Table(f"staging_{table.name}", sa.MetaData(), *(column(c) for c in columns),
                    schema=schema, **options)


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
    staging = _staging_table(table, columns, prefixes=["TEMPORARY"], **options)
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
    """Insert one batch of columns into the (temporary) staging table; returns its row
    count. Absent columns stay NULL. PostgreSQL (psycopg 3) takes the rows by COPY, as CSV
    that pyarrow writes from the batch; other drivers by executemany on plain tuples, each
    column converted once per distinct value."""
    names = list(batch)
    count = _rows(batch)
    if not count:
        return 0
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy(conn, staging, arrow_table(staging, batch, absent_as_null=False))
        return count
    columns = [_bound(_python(batch[n]), _processor(staging.c[n].type, conn.dialect))
               for n in names]
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


def _python(values: Any) -> Sequence[Any]:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return list(values.to_pylist())
    return list(values) if not isinstance(values, list) else values


_ARROW_TYPES: dict[type[sa.types.TypeEngine[Any]], pa.DataType] = {
    sa.Date: pa.date32(), sa.Float: pa.float64(), sa.Integer: pa.int64(),
    sa.String: pa.string(), sa.Boolean: pa.bool_(),
}


def _arrow_type(column: sa.Column[Any]) -> pa.DataType:
    for kind, arrow in _ARROW_TYPES.items():
        if isinstance(column.type, kind):
            return arrow
    raise TypeError(f"no Arrow type for staging column {column.name} ({column.type})")


def arrow_table(staging: sa.Table, batch: Columns, *, dates_as_text: bool = False,
                absent_as_null: bool = True) -> pa.Table:
    """A batch as an Arrow table with the staging table's column types: a Python list is
    converted in C, an Arrow array cast if need be. A column the batch leaves out is all
    NULL (or left out, without `absent_as_null`). SQLite keeps dates as ISO text."""
    count = _rows(batch)
    arrays: dict[str, pa.Array] = {}
    for column in staging.c:
        wanted = _arrow_type(column)
        if column.name in batch:
            values = batch[column.name]
            array = (values.cast(wanted) if isinstance(values, pa.Array | pa.ChunkedArray)
                     else pa.array(values, type=wanted))
        elif absent_as_null:
            array = pa.nulls(count, wanted)
        else:
            continue
        if dates_as_text and wanted == pa.date32():
            array = array.cast(pa.string())
        arrays[column.name] = array
    return pa.table(arrays)


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


def _copy(conn: sa.Connection, staging: sa.Table, data: pa.Table) -> None:
    """COPY … FROM STDIN in CSV: pyarrow quotes every string, so an empty string stays
    one and an unquoted empty field is NULL."""
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(data, sink, pa_csv.WriteOptions(include_header=False))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    columns = ", ".join(f'"{n}"' for n in data.column_names)
    try:
        with cursor.copy(f'COPY "{staging.name}" ({columns}) FROM STDIN '
                         "WITH (FORMAT csv)") as copy:
            copy.write(sink.getvalue().to_pybytes())
    finally:
        cursor.close()
