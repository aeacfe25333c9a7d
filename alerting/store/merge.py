"""Merging a staging table into a stored table: set-based, one statement per kind of change.

Count the staged rows whose key is stored (and of those, how many differ, and how many
differ in a revised column), keep the revised rows' old values, update the changed rows and
insert the new ones, all in the saving transaction. Re-saving the same rows changes nothing.
Each table says how a written row is stamped with where it came from: observations by the
id of one `observation_loads` row per save, the other tables by source and time in the row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from alerting.store.bulk import insert_all_staged

# The stamps a written row gets: `source` and `loaded_at`, or `load_id`.
Stamps = Mapping[str, sa.ColumnElement[Any]]
# Keeps the old values of the revised rows before they are updated.
KeepRevisions = Callable[[sa.Connection, sa.ColumnElement[bool], sa.ColumnElement[bool]], None]


@dataclass(frozen=True)
class SaveCounts:
    """What saving a batch did: new rows, revised values, other updates, unchanged rows."""

    inserted: int = 0
    revised: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.revised + self.updated + self.unchanged


@dataclass(frozen=True)
class Merge:
    """How staged rows go into `table`: matched by `key`, compared on `compared`, and a
    difference in `revised_by` kept as a revision (by `keep_revisions`)."""

    table: sa.Table
    key: Sequence[str]
    compared: Sequence[str]
    stamps: Stamps
    revised_by: Sequence[str] = ()
    keep_revisions: KeepRevisions | None = None


def merge_staging(conn: sa.Connection, merge: Merge, staging: sa.Table,
                  total: int) -> SaveCounts:
    """Merge the `total` staged rows into the table (the caller holds the save lock)."""
    table = merge.table
    same_key = sa.and_(*(table.c[k] == staging.c[k] for k in merge.key))
    changed = sa.or_(*(table.c[c].is_distinct_from(staging.c[c]) for c in merge.compared))
    revised = (sa.or_(*(table.c[c].is_distinct_from(staging.c[c]) for c in merge.revised_by))
               if merge.revised_by else sa.false())
    matched = conn.execute(sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case((changed, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((revised, 1), else_=0)), 0),
    ).select_from(table.join(staging, same_key))).one()
    n_matched, n_changed, n_revised = (int(x) for x in matched)
    stamps = merge.stamps
    if n_revised and merge.keep_revisions is not None:
        merge.keep_revisions(conn, same_key, revised)
    if n_changed:
        values: dict[str, Any] = {c: staging.c[c] for c in merge.compared}
        values.update(stamps)
        if "revision" in table.c:
            values["revision"] = table.c.revision + sa.case((revised, 1), else_=0)
        conn.execute(sa.update(table).where(same_key, changed).values(values))
    # With no staged row stored (saves are serialised by lock_for_save, so none has been
    # added since the count), a staging table of every column is inserted as it is.
    if total > n_matched and not (n_matched == 0 and insert_all_staged(conn, table, staging)):
        extra = {n: v for n, v in stamps.items() if n not in staging.c}
        if "revision" in table.c and "revision" not in staging.c:
            extra["revision"] = sa.literal(1, sa.Integer)
        new_rows = sa.select(*staging.c, *extra.values())
        if n_matched:
            new_rows = new_rows.where(~sa.exists().where(same_key))
        conn.execute(table.insert().from_select([*(c.name for c in staging.c), *extra],
                                                new_rows))
    return SaveCounts(inserted=total - n_matched, revised=n_revised,
                      updated=n_changed - n_revised, unchanged=n_matched - n_changed)
