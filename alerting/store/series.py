"""Series keys: the integer that stands for a (measure, area) pair in stored observations.

A batch of observations arrives with its measure ids and areas as text; the store keeps
each pair once, in `observation_series`, and a row of `observation_values` names it by
`series_id`; its id is made from its series and period end (`observation_id`), so the
id alone is the key a save matches on. Pairs are matched a batch at a time (each distinct
pair looked up once) and those not yet stored are added in a short transaction of their
own: a series never goes away, so one added by a save that then fails is harmless (no
value names it), and two saves adding the same pair at once both find the one row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from alerting.store.schema import observation_series

Pair = tuple[str, str]
_CHUNK = 500  # measure ids per IN list when reading new series back
_COUNTED_CODES = 1 << 22  # (measure, area) codes up to this are told apart by counting
# An observation's id: series id * SERIES_SPAN + its period end's day ordinal (as
# date.toordinal gives it; 31 December 9999 is 3,652,059), unique because the pair is.
SERIES_SPAN = 2 ** 22
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # Arrow's date32 counts days from here


def observation_id(series_id: int, period_end: date) -> int:
    """The stored id of the observation of `series_id` for the period ending `period_end`."""
    return series_id * SERIES_SPAN + period_end.toordinal()


class SeriesKeys:
    """The series ids of (measure, area) pairs, adding the pairs the store lacks. One per
    save: it remembers what it has read, so each pair is asked for once. It takes a pooled
    connection of its own beside the save's, so a save holds two at once (SQLAlchemy's
    default pool of 5 + 10 overflow serves seven saves at once in one process)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.known: dict[Pair, int] | None = None

    def keyed(self, batch: dict[str, Any]) -> dict[str, Any]:
        """The batch with `id` and `series_id` columns in place of `measure_id` and `area`."""
        columns = dict(batch)
        measure_codes, measures = _encoded(columns.pop("measure_id"))
        area_codes, areas = _encoded(columns.pop("area"))
        pair = measure_codes * max(len(areas), 1) + area_codes
        distinct, inverse = _distinct(pair, len(measures) * max(len(areas), 1))
        pairs = [(measures[code // len(areas)], areas[code % len(areas)])
                 for code in distinct.tolist()]
        series = np.asarray(self.ids(pairs), dtype=np.int64)[inverse]
        ids = series * SERIES_SPAN + _ordinals(columns["period_end"])
        return {"id": pa.array(ids), "series_id": pa.array(series), **columns}

    def ids(self, pairs: Sequence[Pair]) -> list[int]:
        """The series id of each pair, in order, adding those not yet stored."""
        if self.known is None:
            self.known = self._read(None)
        missing = sorted({p for p in pairs if p not in self.known})
        if missing:
            self._add(missing)
            self.known.update(self._read({m for m, _ in missing}))
        return [self.known[p] for p in pairs]

    def _add(self, pairs: Sequence[Pair]) -> None:
        """Add the pairs in one statement: PostgreSQL takes them as two arrays (a statement
        per pair would cost a round trip each), SQLite by executemany in the driver."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text(
                    "INSERT INTO observation_series (measure_id, area) "
                    "SELECT * FROM unnest(CAST(:measures AS text[]), CAST(:areas AS text[])) "
                    "ON CONFLICT DO NOTHING"),
                    {"measures": [m for m, _ in pairs], "areas": [a for _, a in pairs]})
            else:
                conn.exec_driver_sql("INSERT OR IGNORE INTO observation_series (measure_id, "
                                     "area) VALUES (?, ?)", list(pairs))

    def _read(self, measures: set[str] | None) -> dict[Pair, int]:
        table = observation_series
        query = sa.select(table.c.series_id, table.c.measure_id, table.c.area)
        found: dict[Pair, int] = {}
        with self.engine.connect() as conn:
            if measures is None:
                rows: list[Any] = list(conn.execute(query))
            else:
                ordered, rows = sorted(measures), []
                for start in range(0, len(ordered), _CHUNK):
                    chunk = ordered[start:start + _CHUNK]
                    rows.extend(conn.execute(query.where(table.c.measure_id.in_(chunk))))
        for series_id, measure, area in rows:
            found[(measure, area)] = series_id
        return found


def _distinct(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes (each below `size`), sorted, and each code's index among them:
    by counting where the codes are few enough to count, else by sorting (np.unique)."""
    if size > _COUNTED_CODES:
        distinct, inverse = np.unique(codes, return_inverse=True)
        return distinct, inverse.reshape(-1)
    seen = np.bincount(codes, minlength=size) > 0
    distinct = np.flatnonzero(seen)
    rank = np.cumsum(seen) - 1
    return distinct, rank[codes]


def _ordinals(ends: Any) -> np.ndarray:
    """Day ordinals (date.toordinal) of a column of dates."""
    if isinstance(ends, pa.ChunkedArray):
        ends = ends.combine_chunks()
    if isinstance(ends, pa.Array):
        days = ends.cast(pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False)
        return np.asarray(days, dtype=np.int64) + _EPOCH_ORDINAL
    return np.fromiter((end.toordinal() for end in ends), dtype=np.int64, count=len(ends))


def _encoded(values: Any) -> tuple[np.ndarray, list[str]]:
    """A column of texts as (a code per row, the distinct texts the codes index)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        encoded = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values)
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, encoded.dictionary.to_pylist()
    index: dict[str, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64,
                        count=len(values))
    return codes, list(index)
