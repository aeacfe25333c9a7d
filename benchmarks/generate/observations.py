"""observations.csv: the series written one measure at a time, formatted as columns."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.generate.areas import Areas
from benchmarks.generate.catalogue import MeasureSpec
from benchmarks.generate.scales import FloatArray
from benchmarks.generate.series import Series


def _format(values: FloatArray, whole: bool) -> list[str]:
    if whole:
        return list(map(str, values.astype(np.int64).tolist()))
    return [f"{v:.1f}" for v in values.tolist()]


def write_observations(path: Path, specs: Sequence[MeasureSpec], areas: Areas,
                       periods: Sequence[str], series: Series) -> int:
    """One measure at a time: its rows are (area, period) in order, formatted as columns."""
    a_count, t_count = len(areas.names), len(periods)
    for name in [*areas.names, *(s.id for s in specs)]:
        if "," in name or '"' in name:
            raise ValueError(f"{name!r} would need CSV quoting")
    area_column = [a for a in areas.names for _ in range(t_count)]
    period_column = list(periods) * a_count
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("measure_id,period,area,value,target\n")
        for m, spec in enumerate(specs):
            whole = spec.topic.unit in {"count", "days"}
            values = _format(series.value[m].reshape(-1), whole)
            for i in np.flatnonzero(series.missing[m].reshape(-1)).tolist():
                values[i] = ""
            target = series.target[m]
            targets = [""] * t_count if np.isnan(target).all() else _format(target, whole)
            lines = map(",".join, zip([spec.id] * len(values), period_column, area_column,
                                      values, targets * a_count, strict=True))
            out.write("\n".join(lines))
            out.write("\n")
            rows += len(values)
    return rows
