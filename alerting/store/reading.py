"""Reading observations back a chunk at a time, kept as codes and numbers (not row objects)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from alerting.store.series import SERIES_SPAN


class ObservationChunks:
    """Observation rows read a chunk at a time, kept as codes and numbers: each row is its
    id (which holds its series and period end, `series.observation_id`), its period kind,
    value and target; the series' measures and areas are read once, not per row."""

    def __init__(self) -> None:
        self.kind = ChunkEncoder()
        self.numbers: list[tuple[IntArray, FloatArray, FloatArray]] = []

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        ids, kinds, values, targets = zip(*rows, strict=True)
        self.kind.add(kinds)
        self.numbers.append((np.asarray(ids, dtype=np.int64),
                             np.asarray(values, dtype=np.float64),  # None -> NaN
                             np.asarray(targets, dtype=np.float64)))

    def frame(self, series: Mapping[int, tuple[str, str]],
              extras: ExtrasLookup) -> ObservationFrame:
        """The frame, given the (measure, area) of every series id."""
        ids, values, targets = (_joined([chunk[i] for chunk in self.numbers], dtype)
                                for i, dtype in enumerate((np.int64, np.float64, np.float64)))
        series_ids, ends = np.divmod(ids, SERIES_SPAN)
        # per distinct series read (never per possible series id: ids can have gaps)
        distinct, which = np.unique(series_ids, return_inverse=True)
        present = [series[s] for s in distinct.tolist()]
        measure_ids = sorted({m for m, _ in present})
        areas = sorted({a for _, a in present})
        measure_rank = {m: i for i, m in enumerate(measure_ids)}
        area_rank = {a: i for i, a in enumerate(areas)}
        measure_of = np.asarray([measure_rank[m] for m, _ in present], dtype=np.int64)
        area_of = np.asarray([area_rank[a] for _, a in present], dtype=np.int64)
        which = which.reshape(-1)
        kind_values, kind_codes = self.kind.finish()
        codes = {kind.value: kind_code(kind) for kind in PeriodKind}
        kinds = np.asarray([codes[str(k)] for k in kind_values], dtype=np.int64)[kind_codes]
        return ObservationFrame.from_codes(measure_ids, areas, measure_of[which],
                                           area_of[which], ends, kinds, values, targets,
                                           ids, extras=extras)


def _joined(parts: list[Any], dtype: type[Any]) -> Any:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
