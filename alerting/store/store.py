"""Store operations in the users' words: save observations, risks and cases; read frames.

Saving is set-based and idempotent: rows arrive as batches of columns and go to a staging
table (`bulk.py`: PostgreSQL by COPY; SQLite by ADBC's bulk ingest for a large save,
executemany for a small one), then one statement each
records revisions, updates changed rows and inserts new ones, all in one transaction.
Re-loading the same file changes nothing; a revised value replaces the old one and the old
one is kept as a revision.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa

from alerting.model.catalogue import Catalogue
from alerting.model.clock import Clock, utc_now
from alerting.model.events import EventRecord
from alerting.model.frames import (
    CaseFrame,
    ObservationFrame,
    RiskFrame,
    kind_code,
)
from alerting.model.memory import collector_paused
from alerting.model.records import CaseRecord, ObservationExtras, ObservationRecord, RiskRecord
from alerting.store import migrate
from alerting.store.batches import ObservationColumns
from alerting.store.bulk import Columns, lock_for_save, staged, with_constants
from alerting.store.events import EventStore
from alerting.store.figures import FiguresStore
from alerting.store.handling import HandlingStore
from alerting.store.merge import KeepRevisions, Merge, SaveCounts, Stamps, merge_staging
from alerting.store.notices import NoticeStore
from alerting.store.reading import ObservationChunks
from alerting.store.schema import (
    case_records,
    child_events,
    measures,
    observation_loads,
    observation_revisions,
    observation_series,
    observation_values,
    rejected_rows,
    risk_scores,
)
from alerting.store.series import SERIES_SPAN, SeriesKeys
from alerting.store.service import ServiceStore

_BOOKKEEPING = frozenset({"id", "source", "loaded_at", "load_id", "revision"})
_READ_ROWS = 50_000


@dataclass(frozen=True)
class RejectedRow:
    """A row that could not be loaded: where it was and why, with its cells for the quarantine."""

    source: str
    line: int | None
    kind: str
    reason: str
    raw: Mapping[str, Any] | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.reason}"


def _sqlite_file(url: sa.URL) -> Path | None:
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database))
    return None


class Store(NoticeStore, ServiceStore, HandlingStore, FiguresStore, EventStore):
    """A connection to the alerting database, migrated to the current schema on open."""

    def __init__(self, engine: sa.Engine, clock: Clock = utc_now):
        self.engine = engine
        self.clock = clock

    @classmethod
    def open(cls, url: str, *, migrate_schema: bool = True, clock: Clock = utc_now) -> Store:
        parsed = sa.make_url(url)
        file = _sqlite_file(parsed)
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed)
        if parsed.get_backend_name() == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine, clock)
        if migrate_schema:
            migrate.upgrade(engine)
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # --- saving -------------------------------------------------------------------------

    def save_observations(self, records: Sequence[ObservationRecord], source: str) -> SaveCounts:
        """Upsert observations by (measure, area, period end), keeping revised values."""
        return self.save_observation_columns([ObservationColumns.from_records(records)], source)

    def save_observation_columns(self, batches: Iterable[ObservationColumns],
                                 source: str) -> SaveCounts:
        """Like save_observations, for observations given as batches of columns (a large
        file's loader never builds a record per row). Each batch's (measure, area) pairs
        become series ids first, so only the narrow rows are staged and merged."""
        now = self.clock()
        with self.engine.begin() as conn:  # staged with every row; removed if unused
            key = conn.execute(observation_loads.insert().values(
                source=source, loaded_at=now)).inserted_primary_key
            assert key is not None  # an INSERT of one row has one
            load_id = int(key[0])
        series = SeriesKeys(self.engine)
        stamps = {"load_id": sa.literal(load_id, sa.Integer)}

        def keep_revisions(conn: sa.Connection, same_key: sa.ColumnElement[bool],
                           revised: sa.ColumnElement[bool]) -> None:
            stored, named, loads = observation_values, observation_series, observation_loads
            conn.execute(observation_revisions.insert().from_select(
                ["measure_id", "area", "period_end", "revision", "value", "target", "source",
                 "loaded_at", "replaced_at"],
                sa.select(named.c.measure_id, named.c.area, stored.c.period_end,
                          stored.c.revision, stored.c.value, stored.c.target, loads.c.source,
                          loads.c.loaded_at, sa.literal(now, sa.DateTime(timezone=True)))
                .select_from(stored.join(named, named.c.series_id == stored.c.series_id)
                             .join(loads, loads.c.load_id == stored.c.load_id))
                .where(same_key, revised),
            ))

        counts = None
        try:
            keyed = (with_constants(series.keyed(b.as_columns()), load_id=load_id, revision=1)
                     for b in batches)
            counts = self._upsert(observation_values, ("id",), keyed, stamps,
                                  revised_by=("value", "target"), keep_revisions=keep_revisions,
                                  given_by_key=("series_id", "period_end"),
                                  staged_stamps=("load_id", "revision"), fresh_key="id")
            return counts
        finally:
            if counts is None or counts.total == counts.unchanged:  # no row names the load
                with self.engine.begin() as conn:
                    conn.execute(observation_loads.delete().where(
                        observation_loads.c.load_id == load_id))

    def save_risks(self, records: Sequence[RiskRecord], source: str) -> SaveCounts:
        columns: Columns = {
            "risk_id": [r.risk_id for r in records],
            "period_end": [r.period.end for r in records],
            "period_kind": [r.period.kind.value for r in records],
            "score": [r.score for r in records],
            "likelihood": [r.likelihood for r in records],
            "impact": [r.impact for r in records],
            "level": [r.level for r in records],
            "inherent_score": [r.inherent_score for r in records],
            "owner": [r.owner for r in records],
            "title": [r.title for r in records],
        }
        return self._upsert(risk_scores, ("risk_id", "period_end"), [columns],
                            self._stamped(source))

    def save_cases(self, records: Sequence[CaseRecord], source: str) -> SaveCounts:
        columns: Columns = {
            "child_id": [r.child_id for r in records],
            "plan_type": [r.plan_type for r in records],
            "start_date": [r.start_date for r in records],
            "end_date": [r.end_date for r in records],
            "team": [r.team for r in records],
            "locality": [r.locality for r in records],
            "worker": [r.worker for r in records],
            "category": [r.category for r in records],
            "previous_plans": [r.previous_plans for r in records],
        }
        return self._upsert(case_records, ("child_id", "plan_type", "start_date"), [columns],
                            self._stamped(source))

    def save_events(self, records: Sequence[EventRecord], source: str) -> SaveCounts:
        """Upsert child-level events by (child, kind, episode): a later extract updates an
        event's end date, team, worker and dates in place; the same extract changes nothing."""
        columns: Columns = {
            "child_id": [r.child_id for r in records],
            "kind": [r.kind.value for r in records],
            "episode": [r.episode for r in records],
            "start_date": [r.start_date for r in records],
            "end_date": [r.end_date for r in records],
            "team": [r.team for r in records],
            "locality": [r.locality for r in records],
            "worker": [r.worker for r in records],
            "dates": [_json({k: v.isoformat() for k, v in r.dates.items()}) for r in records],
            "details": [_json(r.details) for r in records],
        }
        return self._upsert(child_events, ("child_id", "kind", "episode"), [columns],
                            self._stamped(source))

    def _stamped(self, source: str) -> Stamps:
        """Rows stamped in place with their source and load time."""
        return {"source": sa.literal(source, sa.Text),
                "loaded_at": sa.literal(self.clock(), sa.DateTime(timezone=True))}

    def _upsert(self, table: sa.Table, key: Sequence[str], batches: Iterable[Columns],
                stamps: Stamps, *, revised_by: Sequence[str] = (),
                keep_revisions: KeepRevisions | None = None,
                given_by_key: Sequence[str] = (), staged_stamps: Sequence[str] = (),
                fresh_key: str | None = None) -> SaveCounts:
        """Stage every batch, then merge the staging table into `table` in one transaction.
        Concurrent saves into the same table merge one at a time (they stage at once, except
        saves of observations on PostgreSQL, which take the lock before staging).
        Columns `given_by_key` are the same whenever the key is, so are not compared;
        `staged_stamps` come staged with each row, and are not compared either."""
        data_columns = [c.name for c in table.c
                        if c.name not in _BOOKKEEPING or c.name in (*key, *staged_stamps)]
        compared = [c for c in data_columns
                    if c not in (*key, *given_by_key, *staged_stamps)]
        merge = Merge(table, key, compared, stamps, revised_by, keep_revisions)
        with (self.engine.connect() as conn,
              staged(conn, table, data_columns, batches, fresh_key=fresh_key) as found):
            if not found.rows and not found.inserted:
                return SaveCounts()
            lock_for_save(conn, table)  # before the counts: see every row saved so far
            counts = (merge_staging(conn, merge, found.table, found.rows) if found.rows
                      else SaveCounts())
            return replace(counts, inserted=counts.inserted + found.inserted)

    def quarantine(self, rejected: Iterable[RejectedRow]) -> int:
        now = self.clock()
        rows = [
            {"source": r.source, "line": r.line, "kind": r.kind, "reason": r.reason,
             "raw": json.dumps(dict(r.raw), default=str) if r.raw is not None else None,
             "rejected_at": now}
            for r in rejected
        ]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(rejected_rows.insert(), rows)
        return len(rows)

    def sync_measures(self, catalogue: Catalogue) -> None:
        """Record the catalogue's measures, so the database can be read on its own."""
        now = self.clock()
        rows = [
            {"measure_id": m.id, "title": m.display_title, "polarity": m.polarity.value,
             "unit": m.unit.value, "frequency": m.frequency.value, "basis": m.basis,
             "service_area": m.service_area, "tags": list(m.tags), "updated_at": now}
            for m in catalogue.measures.values()
        ]
        with self.engine.begin() as conn:
            conn.execute(measures.delete())
            if rows:
                conn.execute(measures.insert(), rows)

    # --- reading ------------------------------------------------------------------------

    def observation_frame(self, until: date | None = None) -> ObservationFrame:
        """Every observation (to `until`), as columns for set-based evaluation.

        Read as plain driver tuples a chunk at a time (no per-row type conversion), each
        chunk turned into arrays at once, so no Python object per row outlives its chunk.
        A row is read as its id, kind, value and target: the id holds its series and period
        end, and the series' measures and areas are read once.
        """
        sql = "SELECT id, period_kind, value, target FROM observation_values"
        query = sa.text(sql + (" WHERE period_end <= :until" if until is not None else ""))
        if until is not None:
            query = query.bindparams(sa.bindparam("until", until, type_=sa.Date()))
        columns = ObservationChunks()
        named = observation_series.c
        with self.engine.connect() as conn, collector_paused():
            result = conn.execution_options(stream_results=True).execute(query)
            for rows in result.partitions(_READ_ROWS):
                columns.add(rows)
            # After the values: a save may add series meanwhile (the two statements share no
            # snapshot), and series are never removed, so every series read is named.
            series = {series_id: (measure, area) for series_id, measure, area in conn.execute(
                sa.select(named.series_id, named.measure_id, named.area))}
        return columns.frame(series, self.observation_extras)

    def measure_cells(self, measure_id: str) -> set[tuple[str, date]]:
        """The (area, period end) of every stored figure of one measure."""
        stored, named = observation_values, observation_series
        # a series' ids are a range of the key
        first_id = sa.cast(named.c.series_id, sa.BigInteger) * SERIES_SPAN
        query = (sa.select(named.c.area, stored.c.period_end)
                 .join_from(named, stored, sa.and_(stored.c.id >= first_id,
                                                   stored.c.id < first_id + SERIES_SPAN))
                 .where(named.c.measure_id == measure_id))
        with self.engine.connect() as conn:
            return {(area, end) for area, end in conn.execute(query)}

    def observation_extras(self, row_ids: Sequence[int]) -> dict[int, ObservationExtras]:
        """Comparators, commentary and the rest for the rows a notice needs: only rows with
        something stored (a row with none has no entry). PostgreSQL takes the ids as one
        array; SQLite in IN lists of 500."""
        stored = observation_values.c
        something = sa.or_(*(c.is_not(None) for c in (
            stored.comparators, stored.numerator, stored.denominator, stored.commentary,
            stored.raw_value)))
        query = sa.select(stored.id, stored.comparators, stored.numerator, stored.denominator,
                          stored.commentary, stored.raw_value).where(something)
        ids = list(row_ids)
        found: dict[int, ObservationExtras] = {}
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                chunks = [query.where(stored.id == sa.any_(sa.literal(
                    ids, sa.ARRAY(sa.BigInteger))))] if ids else []
            else:
                chunks = [query.where(stored.id.in_(ids[start:start + 500]))
                          for start in range(0, len(ids), 500)]
            for chunk in chunks:
                for row in conn.execute(chunk):
                    found[row.id] = ObservationExtras(
                        comparators=json.loads(row.comparators) if row.comparators else {},
                        numerator=row.numerator, denominator=row.denominator,
                        commentary=row.commentary, raw_value=row.raw_value,
                    )
        return found

    def risk_frame(self) -> RiskFrame:
        from alerting.model.frames import period_from

        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(risk_scores)).all()
        records = [
            RiskRecord(risk_id=r.risk_id,
                       period=period_from(r.period_end.toordinal(), kind_code(r.period_kind)),
                       score=r.score, likelihood=r.likelihood, impact=r.impact, level=r.level,
                       inherent_score=r.inherent_score, owner=r.owner, title=r.title)
            for r in rows
        ]
        return RiskFrame.from_records(records)

    def case_frame(self) -> CaseFrame:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(case_records)).all()
        return CaseFrame.from_records(
            CaseRecord(child_id=r.child_id, plan_type=r.plan_type, start_date=r.start_date,
                       end_date=r.end_date, team=r.team, locality=r.locality, worker=r.worker,
                       category=r.category, previous_plans=r.previous_plans)
            for r in rows
        )

    def revisions(self, measure_id: str, area: str, period_end: date) -> list[dict[str, Any]]:
        query = (sa.select(observation_revisions)
                 .where(observation_revisions.c.measure_id == measure_id,
                        observation_revisions.c.area == area,
                        observation_revisions.c.period_end == period_end)
                 .order_by(observation_revisions.c.revision))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def counts(self) -> dict[str, int]:
        """Rows per table, for `alerting load` summaries and status."""
        tables = {"observations": observation_values, "risk_scores": risk_scores,
                  "case_records": case_records, "rejected_rows": rejected_rows}
        with self.engine.connect() as conn:
            return {name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                    for name, t in tables.items()}


def _json(values: Mapping[str, Any]) -> str | None:
    """A small JSON object written the same way every time, so a re-load compares equal."""
    return json.dumps(dict(values), sort_keys=True, separators=(",", ":")) if values else None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
