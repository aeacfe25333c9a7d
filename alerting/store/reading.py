"""Reading observations back a chunk at a time, kept as codes and numbers (not row objects)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np

from alerting.model.frames import (
    ChunkEncoder,
    ExtrasLookup,
    FloatArray,
    IntArray,
    ObservationFrame,
    kind_code,
)
from alerting.model.periods import PeriodKind


class ObservationChunks:
    """Observation rows read a chunk at a time, kept as codes and numbers."""

    def __init__(self) -> None:
        self.measure, self.area = ChunkEncoder(), ChunkEncoder()
        self.end, self.kind = ChunkEncoder(), ChunkEncoder()
        self.numbers: list[tuple[FloatArray, FloatArray, IntArray]] = []

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        measure_ids, areas, ends, kinds, values, targets, ids = zip(*rows, strict=True)
        self.measure.add(measure_ids)
        self.area.add(areas)
        self.end.add(ends)
        self.kind.add(kinds)
        self.numbers.append((np.asarray(values, dtype=np.float64),  # None -> NaN
                             np.asarray(targets, dtype=np.float64),
                             np.asarray(ids, dtype=np.int64)))

    def frame(self, extras: ExtrasLookup) -> ObservationFrame:
        measure_ids, measure = self.measure.finish()
        areas, area = self.area.finish()
        end_values, end_codes = self.end.finish()
        ends = np.asarray([ordinal(v) for v in end_values], dtype=np.int64)[end_codes]
        kind_values, kind_codes = self.kind.finish()
        codes = {kind.value: kind_code(kind) for kind in PeriodKind}
        kinds = np.asarray([codes[str(k)] for k in kind_values], dtype=np.int64)[kind_codes]
        values, targets, ids = (_joined([chunk[i] for chunk in self.numbers], dtype)
                                for i, dtype in enumerate((np.float64, np.float64, np.int64)))
        return ObservationFrame.from_codes(measure_ids, areas, measure, area, ends, kinds,
                                           values, targets, ids, extras=extras)


def _joined(parts: list[Any], dtype: type[Any]) -> Any:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def ordinal(value: Any) -> int:
    """A period end as the driver gives it (a date, or SQLite's 'YYYY-MM-DD' text)."""
    if isinstance(value, datetime):
        return value.date().toordinal()
    if isinstance(value, date):
        return value.toordinal()
    return date.fromisoformat(str(value)[:10]).toordinal()
