"""Columnar, read-only views of the data that rule types evaluate over all series at once.

A frame holds numpy arrays sorted by series then period, so a rule compares every value
with its predecessor in one vectorised step instead of looping per observation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from alerting.model.periods import Period, PeriodKind
from alerting.model.records import CaseRecord, ObservationExtras, ObservationRecord, RiskRecord

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]
ExtrasLookup = Callable[[Sequence[int]], Mapping[int, ObservationExtras]]

KINDS: tuple[PeriodKind, ...] = tuple(PeriodKind)
_KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
OPEN_END = date.max.toordinal()


def kind_code(kind: PeriodKind | str) -> int:
    return _KIND_CODE[PeriodKind(kind)]


def month_of(ordinals: IntArray) -> IntArray:
    """Month index (year * 12 + month - 1) of each date ordinal, vectorised."""
    days = ordinals.astype("int64") - date(1970, 1, 1).toordinal()
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype("int64")
    return months + 1970 * 12


@lru_cache(maxsize=65_536)
def period_from(end_ordinal: int, kind: int) -> Period:
    """Rebuild a Period from its stored end date and kind (cached: a history has few)."""
    end = date.fromordinal(int(end_ordinal))
    period_kind = KINDS[kind]
    if period_kind is PeriodKind.DAY:
        return Period(end=end, start=end, kind=period_kind)
    months = {
        PeriodKind.MONTH: 1,
        PeriodKind.QUARTER: 3,
        PeriodKind.FINANCIAL_YEAR: 12,
        PeriodKind.ACADEMIC_YEAR: 12,
    }[period_kind]
    total = end.year * 12 + end.month - months
    start = date(total // 12, total % 12 + 1, 1)
    return Period(end=end, start=start, kind=period_kind)


def _no_extras(_rows: Sequence[int]) -> Mapping[int, ObservationExtras]:
    return {}


def encode(column: Sequence[Any]) -> tuple[list[Any], IntArray]:
    """Dictionary-encode a column: its distinct values, sorted, and each row's code.
    Hashing is linear; only the few distinct values are sorted (numpy sorts every row)."""
    first_seen: dict[Any, int] = {}
    codes = np.fromiter((first_seen.setdefault(v, len(first_seen)) for v in column),
                        dtype=np.int64, count=len(column))
    names = sorted(first_seen)
    remap = np.empty(len(names), dtype=np.int64)
    for rank, name in enumerate(names):
        remap[first_seen[name]] = rank
    return names, remap[codes]


class ChunkEncoder:
    """Dictionary-encodes a column that arrives in chunks (rows read from the store a batch
    at a time), with the same result as `encode` over the whole column."""

    def __init__(self) -> None:
        self._codes: dict[Any, int] = {}
        self._parts: list[IntArray] = []

    def add(self, chunk: Sequence[Any]) -> None:
        known = self._codes
        codes = np.fromiter(map(known.get, chunk, repeat(-1)), dtype=np.int64, count=len(chunk))
        for i in np.flatnonzero(codes < 0).tolist():
            codes[i] = known.setdefault(chunk[i], len(known))
        self._parts.append(codes)

    def finish(self) -> tuple[list[Any], IntArray]:
        """The distinct values, sorted, and each row's code."""
        names = sorted(self._codes)
        remap = np.empty(len(names), dtype=np.int64)
        for rank, name in enumerate(names):
            remap[self._codes[name]] = rank
        codes = np.concatenate(self._parts) if self._parts else np.zeros(0, dtype=np.int64)
        return names, remap[codes]


@dataclass(frozen=True, eq=False)
class ObservationFrame:
    """Observations sorted by (measure, area, period end); one row per period."""

    measure_ids: tuple[str, ...]
    areas: tuple[str, ...]
    measure: IntArray
    area: IntArray
    period_end: IntArray
    kind: IntArray
    value: FloatArray
    target: FloatArray
    row_id: IntArray
    extras: ExtrasLookup = field(default=_no_extras)

    def __len__(self) -> int:
        return len(self.measure)

    @property
    def month(self) -> IntArray:
        return month_of(self.period_end)

    def series_starts(self) -> npt.NDArray[np.bool_]:
        """True where a row begins a new (measure, area) series."""
        starts = np.ones(len(self), dtype=bool)
        if len(self) > 1:
            starts[1:] = (self.measure[1:] != self.measure[:-1]) | (self.area[1:] != self.area[:-1])
        return starts

    def latest_rows(self, as_of: date, *, with_value: bool = False) -> IntArray:
        """Index of each series' latest row with period end on or before `as_of`
        (with `with_value`, the latest row that has a value)."""
        eligible = self.period_end <= as_of.toordinal()
        if not with_value:
            # Each series' rows are in period order, so those up to as_of come first: its
            # latest is the one followed by a new series or a later period. (Only boolean
            # columns: no full-length index arrays.)
            if len(self) > 1:
                eligible[:-1] &= ~eligible[1:] | self.series_starts()[1:]
            return np.flatnonzero(eligible)
        eligible &= ~np.isnan(self.value)
        keep = np.flatnonzero(eligible)
        if keep.size == 0:
            return keep
        measure, area = self.measure[keep], self.area[keep]
        last = np.ones(keep.size, dtype=bool)
        last[:-1] = (measure[1:] != measure[:-1]) | (area[1:] != area[:-1])
        return keep[last]

    def period(self, row: int) -> Period:
        return period_from(int(self.period_end[row]), int(self.kind[row]))

    @classmethod
    def from_columns(
        cls,
        measure_ids: Sequence[str],
        areas: Sequence[str],
        periods: Sequence[tuple[int, int]],
        values: Sequence[float | None],
        targets: Sequence[float | None],
        row_ids: Sequence[int],
        extras: ExtrasLookup = _no_extras,
    ) -> ObservationFrame:
        """Build from parallel columns (any order); periods are (end ordinal, kind code)."""
        ends = np.fromiter((p[0] for p in periods), dtype=np.int64, count=len(periods))
        kinds = np.fromiter((p[1] for p in periods), dtype=np.int64, count=len(periods))
        return cls.from_arrays(measure_ids, areas, ends, kinds, values, targets, row_ids,
                               extras=extras)

    @classmethod
    def from_arrays(
        cls,
        measure_ids: Sequence[str],
        areas: Sequence[str],
        ends: IntArray,
        kinds: IntArray,
        values: Sequence[float | None],
        targets: Sequence[float | None],
        row_ids: Sequence[int],
        extras: ExtrasLookup = _no_extras,
    ) -> ObservationFrame:
        """Build from columns with period ends as ordinals (None values become NaN)."""
        measure_names, measure_codes = encode(measure_ids)
        area_names, area_codes = encode(areas)
        return cls.from_codes(measure_names, area_names, measure_codes, area_codes, ends, kinds,
                              np.asarray(values, dtype=np.float64),  # None -> NaN
                              np.asarray(targets, dtype=np.float64),
                              np.asarray(row_ids, dtype=np.int64), extras=extras)

    @classmethod
    def from_codes(
        cls,
        measure_ids: Sequence[str],
        areas: Sequence[str],
        measure: IntArray,
        area: IntArray,
        ends: IntArray,
        kinds: IntArray,
        values: FloatArray,
        targets: FloatArray,
        row_ids: IntArray,
        extras: ExtrasLookup = _no_extras,
    ) -> ObservationFrame:
        """Build from dictionary-encoded columns (codes index the sorted `measure_ids` and
        `areas`), in any row order."""
        order = np.lexsort((ends, area, measure))
        return cls(
            measure_ids=tuple(str(m) for m in measure_ids),
            areas=tuple(str(a) for a in areas),
            measure=measure.astype(np.int64)[order],
            area=area.astype(np.int64)[order],
            period_end=ends[order],
            kind=kinds[order],
            value=values[order],
            target=targets[order],
            row_id=row_ids[order],
            extras=extras,
        )

    @classmethod
    def from_records(cls, records: Iterable[ObservationRecord]) -> ObservationFrame:
        """An in-memory frame (tests, `alerting test`): row ids are list positions."""
        rows = list(records)
        by_row = {
            index: ObservationExtras(r.comparators, r.numerator, r.denominator, r.commentary,
                                     r.raw_value)
            for index, r in enumerate(rows)
        }
        return cls.from_columns(
            [r.measure_id for r in rows],
            [r.area for r in rows],
            [(r.period.end.toordinal(), kind_code(r.period.kind)) for r in rows],
            [r.value for r in rows],
            [r.target for r in rows],
            list(range(len(rows))),
            lambda ids: {i: by_row[i] for i in ids if i in by_row},
        )


@dataclass(frozen=True, eq=False)
class RiskFrame:
    """Residual risk scores sorted by (risk, period end)."""

    risk_ids: tuple[str, ...]
    risk: IntArray
    period_end: IntArray
    kind: IntArray
    score: FloatArray
    titles: Mapping[str, str] = field(default_factory=dict)
    owners: Mapping[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.risk)

    def period(self, row: int) -> Period:
        return period_from(int(self.period_end[row]), int(self.kind[row]))

    @classmethod
    def from_records(cls, records: Iterable[RiskRecord]) -> RiskFrame:
        rows = sorted(records, key=lambda r: (r.risk_id, r.period.end))
        names = tuple(sorted({r.risk_id for r in rows}))
        code = {name: i for i, name in enumerate(names)}
        titles = {r.risk_id: r.title for r in rows if r.title}
        owners = {r.risk_id: r.owner for r in rows if r.owner}
        return cls(
            risk_ids=names,
            risk=np.asarray([code[r.risk_id] for r in rows], dtype=np.int64),
            period_end=np.asarray([r.period.end.toordinal() for r in rows], dtype=np.int64),
            kind=np.asarray([kind_code(r.period.kind) for r in rows], dtype=np.int64),
            score=np.asarray([r.score for r in rows], dtype=np.float64),
            titles=titles,
            owners=owners,
        )


@dataclass(frozen=True, eq=False)
class CaseFrame:
    """Case records (one row per plan) as columns; open plans end at OPEN_END."""

    child_id: ObjArray
    plan_type: ObjArray
    start: IntArray
    end: IntArray
    team: ObjArray
    locality: ObjArray
    worker: ObjArray
    category: ObjArray
    previous_plans: ObjArray

    def __len__(self) -> int:
        return len(self.child_id)

    @classmethod
    def from_records(cls, records: Iterable[CaseRecord]) -> CaseFrame:
        rows = list(records)

        def column(values: Iterable[object]) -> ObjArray:
            return np.asarray(list(values), dtype=object)

        return cls(
            child_id=column(r.child_id for r in rows),
            plan_type=column(r.plan_type for r in rows),
            start=np.asarray([r.start_date.toordinal() for r in rows], dtype=np.int64),
            end=np.asarray(
                [r.end_date.toordinal() if r.end_date else OPEN_END for r in rows], dtype=np.int64
            ),
            team=column(r.team for r in rows),
            locality=column(r.locality for r in rows),
            worker=column(r.worker for r in rows),
            category=column(r.category for r in rows),
            previous_plans=column(r.previous_plans for r in rows),
        )
