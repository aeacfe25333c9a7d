"""cases.csv: child protection plans, open and closed, for invented children."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np

from benchmarks.generate.areas import LOCALITIES, Areas
from benchmarks.generate.scales import AS_OF, IntArray, Scale

_CATEGORIES = ("Neglect", "Emotional abuse", "Physical abuse", "Sexual abuse", "Multiple")


def _dates(ordinals: IntArray) -> list[str]:
    epoch = date(1970, 1, 1).toordinal()
    return (ordinals - epoch).astype("datetime64[D]").astype(str).tolist()  # type: ignore[no-any-return]


def write_cases(rng: np.random.Generator, path: Path, scale: Scale, areas: Areas,
                authorities: Sequence[str]) -> int:
    """Open plans started up to four years ago (about 14% over two years: truncated
    exponential, mean 400 days); closed plans ended in the last three years."""
    as_of = AS_OF.toordinal()
    n_open, n_closed = scale.open_plans, scale.closed_plans
    n = n_open + n_closed
    cap, mean = 4 * 365.25, 400.0
    u = rng.random(n_open)
    open_age = -mean * np.log(1 - u * (1 - np.exp(-cap / mean)))
    if n_open:
        open_age[0] = max(open_age[0], 2 * 365.25 + 30)  # one plan over two years, always
    ended_ago = rng.integers(1, 3 * 365, n_closed)
    length = np.minimum(30 + rng.exponential(300.0, n_closed), 1000)
    start = np.concatenate([as_of - np.floor(open_age),
                            as_of - ended_ago - np.floor(length)]).astype(np.int64)
    end = np.concatenate([np.zeros(n_open), as_of - ended_ago]).astype(np.int64)
    weights = areas.authority_size / areas.authority_size.sum()
    authority = rng.choice(len(authorities), n, p=weights)
    team = rng.integers(1, 4, n)
    worker = (team - 1) * 20 + rng.integers(1, 21, n)
    category = rng.integers(0, len(_CATEGORIES), n)
    previous = rng.choice([0, 1, 2], n, p=[0.75, 0.2, 0.05])
    locality = (rng.integers(0, scale.localities, n) if scale.localities
                else np.full(n, -1, dtype=np.int64))
    order = np.lexsort((np.arange(n), start))  # child ids follow plan start, oldest first
    starts, ends = _dates(start[order]), _dates(end[order])
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["child_id", "plan_type", "start_date", "end_date", "team", "locality",
                         "worker", "category", "previous_plans"])
        for row, i in enumerate(order.tolist()):
            name = authorities[authority[i]]
            writer.writerow((
                f"C{row + 1:06d}", "CP", starts[row], ends[row] if end[i] else "",
                f"{name} Safeguarding {team[i]}",
                f"{name} {LOCALITIES[locality[i]]}" if locality[i] >= 0 else "",
                f"Worker {worker[i]}", _CATEGORIES[category[i]], previous[i]))
    return n
