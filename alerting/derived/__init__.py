"""Derived measures: monthly (or quarterly, annual) figures computed from the stored child-level
events and saved as observations, so every measure rule (tolerance, decline, spc, ...) applies
to them as to any loaded figure. The pipeline runs this after the data sources load and
before the rules are evaluated; `alerting derive` runs it on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from alerting.derived.compute import derive_observations, empty_figure, source_name
from alerting.model.calendar import WorkingCalendar
from alerting.model.catalogue import Catalogue
from alerting.store import Store
from alerting.store.merge import SaveCounts

__all__ = ["DEFAULT_AUTHORITY", "DerivedMeasure", "derive_measures", "derive_observations",
           "source_name"]

log = structlog.get_logger(__name__)

# The authority-wide area's name when the service config names no `authority:`.
DEFAULT_AUTHORITY = "Authority"


@dataclass(frozen=True)
class DerivedMeasure:
    """What re-computing one derived measure did to its stored observations."""

    measure_id: str
    counts: SaveCounts

    @property
    def rows(self) -> int:
        return self.counts.total


def derive_measures(store: Store, catalogue: Catalogue, calendar: WorkingCalendar,
                    authority: str | None = None) -> list[DerivedMeasure]:
    """Re-compute every derived measure of the catalogue from the stored events and save the
    figures (source `derived:<measure id>`): unchanged events change nothing, a changed event
    revises the figures it is in (the old value kept as a revision), and a figure the
    events no longer give at all is emptied (no value, or 0 for a count)."""
    measures = catalogue.derived()
    if not measures:
        return []
    events = store.event_frame({m.derived.kind for m in measures if m.derived is not None})
    done = []
    for measure in measures:
        records = derive_observations(measure, events, calendar,
                                      authority or DEFAULT_AUTHORITY)
        # A cell stored before but not filled now (a locality whose only events moved, a
        # month whose only completion was corrected into another) is emptied, not left stale.
        filled = {(r.area, r.period.end) for r in records}
        records.extend(empty_figure(measure, area, end)
                       for area, end in sorted(store.measure_cells(measure.id) - filled))
        counts = store.save_observations(records, source_name(measure)) if records \
            else SaveCounts()
        log.info("measure_derived", measure=measure.id, rows=counts.total,
                 inserted=counts.inserted, revised=counts.revised, updated=counts.updated)
        done.append(DerivedMeasure(measure.id, counts))
    return done
