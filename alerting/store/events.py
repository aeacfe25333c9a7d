"""Reading child-level events back (saving goes through the store's shared upsert)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType

import sqlalchemy as sa

from alerting.model.events import EventFrame, EventKind, EventRecord
from alerting.store.schema import child_events


class EventStore:
    """Mixed into `Store`: events as columns for the rules, and counts per kind."""

    engine: sa.Engine

    def event_frame(self, kinds: Iterable[EventKind | str] | None = None) -> EventFrame:
        """Child-level events of these kinds (all kinds when None) as columns, ordered by
        child, kind and start date."""
        query = sa.select(child_events.c.child_id, child_events.c.kind,
                          child_events.c.start_date, child_events.c.end_date,
                          child_events.c.team, child_events.c.locality, child_events.c.worker,
                          child_events.c.dates, child_events.c.details)
        if kinds is not None:
            query = query.where(child_events.c.kind.in_([EventKind(k).value for k in kinds]))
        parsed_dates: dict[str, Mapping[str, date]] = {}  # shared, so read-only
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        records = []
        for r in rows:
            text = r.dates or "{}"
            if text not in parsed_dates:
                parsed_dates[text] = MappingProxyType(
                    {k: date.fromisoformat(v) for k, v in json.loads(text).items()})
            records.append(EventRecord(
                child_id=r.child_id, kind=EventKind(r.kind), start_date=r.start_date,
                end_date=r.end_date, team=r.team, locality=r.locality, worker=r.worker,
                dates=parsed_dates[text], details=json.loads(r.details or "{}")))
        return EventFrame.from_records(records)

    def event_counts(self) -> dict[str, int]:
        """Stored events per kind."""
        query = sa.select(child_events.c.kind, sa.func.count()).group_by(child_events.c.kind)
        with self.engine.connect() as conn:
            return {kind: int(n) for kind, n in conn.execute(query)}
