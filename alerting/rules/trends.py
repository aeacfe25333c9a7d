"""The recent trend of a measure in an area, for notices (a sparkline and a small chart).

One vectorised lookup serves every alert of a run: the frame is sorted by (measure, area,
period), so each series is a contiguous block found by binary search.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from datetime import date
from typing import Any

import numpy as np

from alerting.model.frames import ObservationFrame

TrendPoint = dict[str, Any]


def recent_trends(frame: ObservationFrame, wanted: Iterable[tuple[str, str, date]],
                  points: int = 8) -> dict[tuple[str, str], list[TrendPoint]]:
    """For each (measure, area, as_of): its last `points` periods up to as_of, oldest first."""
    found: dict[tuple[str, str], list[TrendPoint]] = {}
    if len(frame) == 0:
        return found
    width = len(frame.areas)
    key = frame.measure * width + frame.area
    for measure_id, area, as_of in wanted:
        m = bisect.bisect_left(frame.measure_ids, measure_id)
        a = bisect.bisect_left(frame.areas, area)
        if m >= len(frame.measure_ids) or frame.measure_ids[m] != measure_id or \
                a >= len(frame.areas) or frame.areas[a] != area:
            continue
        code = m * width + a
        lo = int(np.searchsorted(key, code, side="left"))
        hi = int(np.searchsorted(key, code, side="right"))
        end = lo + int(np.searchsorted(frame.period_end[lo:hi], as_of.toordinal(), side="right"))
        rows = range(max(lo, end - points), end)
        found[(measure_id, area)] = [_point(frame, row) for row in rows]
    return found


def _point(frame: ObservationFrame, row: int) -> TrendPoint:
    value, target = float(frame.value[row]), float(frame.target[row])
    return {
        "period": frame.period(row).end.isoformat(),
        "label": frame.period(row).label,
        "value": None if math.isnan(value) else value,
        "target": None if math.isnan(target) else target,
    }
