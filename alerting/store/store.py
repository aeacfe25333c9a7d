"""Store operations in the users' words: save observations, risks and cases; read frames.

Saving is set-based and idempotent: rows go to a staging table, then one statement each
records revisions, updates changed rows and inserts new ones. Re-loading the same file
changes nothing; a revised value replaces the old one and the old one is kept as a revision.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from alerting.catalogue import Catalogue
from alerting.frames import CaseFrame, ObservationFrame, RiskFrame, encode, kind_code
from alerting.periods import PeriodKind
from alerting.records import CaseRecord, ObservationExtras, ObservationRecord, RiskRecord
from alerting.store import migrate
from alerting.store.notices import NoticeStore
from alerting.store.schema import (
    case_records,
    measures,
    observation_revisions,
    observations,
    rejected_rows,
    risk_scores,
)
from alerting.store.service import ServiceStore

Clock = Callable[[], datetime]
_CHUNK = 20_000


def utc_now() -> datetime:
    return datetime.now(UTC)


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


def _comparators_text(comparators: Mapping[str, float]) -> str | None:
    return json.dumps(dict(sorted(comparators.items()))) if comparators else None


def _sqlite_file(url: sa.URL) -> Path | None:
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database))
    return None


class Store(NoticeStore, ServiceStore):
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

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # --- saving -------------------------------------------------------------------------

    def save_observations(self, records: Sequence[ObservationRecord], source: str) -> SaveCounts:
        """Upsert observations by (measure, area, period end), keeping revised values."""
        now = self.clock()
        rows = [
            {
                "measure_id": r.measure_id, "area": r.area, "period_end": r.period.end,
                "period_kind": r.period.kind.value, "value": r.value, "raw_value": r.raw_value,
                "target": r.target, "numerator": r.numerator, "denominator": r.denominator,
                "comparators": _comparators_text(r.comparators), "commentary": r.commentary,
                "source": source, "loaded_at": now, "revision": 1,
            }
            for r in records
        ]
        return self._upsert(observations, ("measure_id", "area", "period_end"), rows,
                            revised_by=("value", "target"), now=now)

    def save_risks(self, records: Sequence[RiskRecord], source: str) -> SaveCounts:
        now = self.clock()
        rows = [
            {
                "risk_id": r.risk_id, "period_end": r.period.end,
                "period_kind": r.period.kind.value, "score": r.score,
                "likelihood": r.likelihood, "impact": r.impact, "level": r.level,
                "inherent_score": r.inherent_score, "owner": r.owner, "title": r.title,
                "source": source, "loaded_at": now,
            }
            for r in records
        ]
        return self._upsert(risk_scores, ("risk_id", "period_end"), rows, now=now)

    def save_cases(self, records: Sequence[CaseRecord], source: str) -> SaveCounts:
        now = self.clock()
        rows = [
            {
                "child_id": r.child_id, "plan_type": r.plan_type, "start_date": r.start_date,
                "end_date": r.end_date, "team": r.team, "locality": r.locality,
                "worker": r.worker, "category": r.category, "previous_plans": r.previous_plans,
                "source": source, "loaded_at": now,
            }
            for r in records
        ]
        return self._upsert(case_records, ("child_id", "plan_type", "start_date"), rows, now=now)

    def _upsert(self, table: sa.Table, key: Sequence[str], rows: list[dict[str, Any]], *,
                now: datetime, revised_by: Sequence[str] = ()) -> SaveCounts:
        if not rows:
            return SaveCounts()
        data_columns = [c for c in rows[0] if c not in ("source", "loaded_at", "revision")]
        compared = [c for c in data_columns if c not in key]
        staging = sa.Table(
            f"staging_{table.name}", sa.MetaData(),
            *(sa.Column(c, table.c[c].type) for c in rows[0]),
            prefixes=["TEMPORARY"],
        )
        counts = SaveCounts()
        with self.engine.begin() as conn:
            staging.create(conn)
            try:
                _bulk_insert(conn, staging, rows)
                counts = self._merge_staging(conn, table, staging, key, compared, revised_by, now)
            finally:
                staging.drop(conn)
        return counts

    def _merge_staging(self, conn: sa.Connection, table: sa.Table, staging: sa.Table,
                       key: Sequence[str], compared: Sequence[str], revised_by: Sequence[str],
                       now: datetime) -> SaveCounts:
        same_key = sa.and_(*(table.c[k] == staging.c[k] for k in key))
        changed = sa.or_(*(table.c[c].is_distinct_from(staging.c[c]) for c in compared))
        revised = sa.or_(*(table.c[c].is_distinct_from(staging.c[c]) for c in revised_by)) \
            if revised_by else sa.false()
        matched = conn.execute(sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((changed, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((revised, 1), else_=0)), 0),
        ).select_from(table.join(staging, same_key))).one()
        total = conn.execute(sa.select(sa.func.count()).select_from(staging)).scalar_one()
        n_matched, n_changed, n_revised = (int(x) for x in matched)
        if n_revised:
            history = observation_revisions
            conn.execute(history.insert().from_select(
                ["measure_id", "area", "period_end", "revision", "value", "target", "source",
                 "loaded_at", "replaced_at"],
                sa.select(table.c.measure_id, table.c.area, table.c.period_end,
                          table.c.revision, table.c.value, table.c.target, table.c.source,
                          table.c.loaded_at, sa.literal(now, sa.DateTime(timezone=True)))
                .select_from(table.join(staging, same_key)).where(revised),
            ))
        if n_changed:
            values: dict[str, Any] = {c: staging.c[c] for c in compared}
            values["source"] = staging.c.source
            values["loaded_at"] = staging.c.loaded_at
            if "revision" in table.c:
                values["revision"] = table.c.revision + sa.case((revised, 1), else_=0)
            conn.execute(sa.update(table).where(same_key, changed).values(values))
        columns = [c.name for c in staging.c]
        conn.execute(table.insert().from_select(
            columns,
            sa.select(*staging.c).where(~sa.exists().where(same_key)),
        ))
        return SaveCounts(inserted=total - n_matched, revised=n_revised,
                          updated=n_changed - n_revised, unchanged=n_matched - n_changed)

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

        Read as plain driver tuples (no per-row type conversion): period ends are converted
        once per distinct value, and the columns go straight into numpy.
        """
        sql = ("SELECT measure_id, area, period_end, period_kind, value, target, id "
               "FROM observations")
        query = sa.text(sql + (" WHERE period_end <= :until" if until is not None else ""))
        if until is not None:
            query = query.bindparams(sa.bindparam("until", until, type_=sa.Date()))
        with self.engine.connect() as conn:
            rows = conn.execute(query).fetchall()
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return ObservationFrame.from_arrays([], [], empty, empty, [], [], [],
                                                extras=self.observation_extras)
        measure_ids, areas, ends, kinds, values, targets, ids = zip(*rows, strict=True)
        end_values, end_index = encode(ends)
        ordinals = np.asarray([_ordinal(v) for v in end_values], dtype=np.int64)[end_index]
        kind_values, kind_index = encode(kinds)
        codes = {kind.value: kind_code(kind) for kind in PeriodKind}
        kind_codes = np.asarray([codes[str(k)] for k in kind_values], dtype=np.int64)[kind_index]
        return ObservationFrame.from_arrays(measure_ids, areas, ordinals, kind_codes, values,
                                            targets, ids, extras=self.observation_extras)

    def observation_extras(self, row_ids: Sequence[int]) -> dict[int, ObservationExtras]:
        """Comparators, commentary and the rest for the rows a notice needs."""
        found: dict[int, ObservationExtras] = {}
        ids = list(row_ids)
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                query = sa.select(observations.c.id, observations.c.comparators,
                                  observations.c.numerator, observations.c.denominator,
                                  observations.c.commentary, observations.c.raw_value
                                  ).where(observations.c.id.in_(chunk))
                for row in conn.execute(query):
                    found[row.id] = ObservationExtras(
                        comparators=json.loads(row.comparators) if row.comparators else {},
                        numerator=row.numerator, denominator=row.denominator,
                        commentary=row.commentary, raw_value=row.raw_value,
                    )
        return found

    def risk_frame(self) -> RiskFrame:
        from alerting.frames import period_from

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
        tables = {"observations": observations, "risk_scores": risk_scores,
                  "case_records": case_records, "rejected_rows": rejected_rows}
        with self.engine.connect() as conn:
            return {name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                    for name, t in tables.items()}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _ordinal(value: Any) -> int:
    """A period end as the driver gives it (a date, or SQLite's 'YYYY-MM-DD' text)."""
    if isinstance(value, datetime):
        return value.date().toordinal()
    if isinstance(value, date):
        return value.toordinal()
    return date.fromisoformat(str(value)[:10]).toordinal()


def _bulk_insert(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows with the driver's executemany, converting only the columns whose
    type needs it (dates on SQLite): SQLAlchemy's per-row parameter handling was a quarter
    of the time of a large load."""
    compiled = table.insert().compile(dialect=conn.dialect)
    columns = list(rows[0])
    convert = {c: table.c[c].type.bind_processor(conn.dialect) for c in columns}
    needed = [(c, f) for c, f in convert.items() if f is not None]
    for start in range(0, len(rows), _CHUNK):
        chunk = [dict(r) for r in rows[start:start + _CHUNK]]
        for column, process in needed:
            for row in chunk:
                row[column] = process(row[column])
        params: list[Any]
        if compiled.positional:
            order = compiled.positiontup or columns
            params = [tuple(row[c] for c in order) for row in chunk]
        else:
            params = chunk
        conn.exec_driver_sql(str(compiled), params)
