"""A batch of observations as columns: how the loader hands rows to the store."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from alerting.model.records import ObservationRecord


def comparators_text(comparators: Mapping[str, float]) -> str | None:
    """Comparators as stored: a JSON object sorted by name, or NULL when there are none."""
    return json.dumps(dict(sorted(comparators.items()))) if comparators else None


@dataclass(frozen=True)
class ObservationColumns:
    """A batch of observations as parallel columns, one list per stored column; a column
    left as None is NULL for every row (a file without numerators, say)."""

    measure_id: Sequence[str]
    area: Sequence[str]
    period_end: Sequence[date]
    period_kind: Sequence[str]
    value: Sequence[float | None]
    raw_value: Sequence[str | None]
    target: Sequence[float | None] | None = None
    numerator: Sequence[float | None] | None = None
    denominator: Sequence[float | None] | None = None
    comparators: Sequence[str | None] | None = None  # as comparators_text gives them
    commentary: Sequence[str | None] | None = None

    def __len__(self) -> int:
        return len(self.measure_id)

    def as_columns(self) -> dict[str, Sequence[Any]]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None}

    @classmethod
    def from_records(cls, records: Sequence[ObservationRecord]) -> ObservationColumns:
        return cls(
            measure_id=[r.measure_id for r in records],
            area=[r.area for r in records],
            period_end=[r.period.end for r in records],
            period_kind=[r.period.kind.value for r in records],
            value=[r.value for r in records],
            raw_value=[r.raw_value for r in records],
            target=[r.target for r in records],
            numerator=[r.numerator for r in records],
            denominator=[r.denominator for r in records],
            comparators=[comparators_text(r.comparators) for r in records],
            commentary=[r.commentary for r in records],
        )
