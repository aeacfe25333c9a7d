"""Compute a derived measure from child-level events, set-based over numpy columns.

Each event of the measure's kind gets its clock start and stop as `datetime64[D]` columns and
its working days elapsed from the calendar's `*_array` functions; events are then counted per
(area, period) cell with `np.bincount`, never one child at a time.

- `percent_within`: of the events whose stop date falls in the period, the share whose stop
  is at most `within` working days after the start (the start is day 0; a stop on the
  deadline day is in time). Numerator and denominator are kept.
- `count_completed`: how many events stopped in the period.
- `count_open_over`: at the period end (or the latest date in the data, if earlier), how many
  events had started but not stopped and were more than `within` working days old.

Every area has a value for every period from the first to the last period with data, so a
corrected event that empties a cell revises it to "no value" rather than leaving it stale.
Events without a locality (or team) count in the authority's total only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

from alerting.model.calendar import DayArray, WorkingCalendar
from alerting.model.catalogue import Frequency, Measure
from alerting.model.derivation import END_DATE, START_DATE, AreaLevel, Count, Derivation
from alerting.model.events import EventFrame
from alerting.model.periods import Period, financial_year_period, month_period, quarter_period
from alerting.model.records import ObservationRecord

IntArray = npt.NDArray[np.int64]
_APRIL = 3  # months after January: financial quarters and years start in April


def source_name(measure: Measure) -> str:
    """The observations' source: a re-computation is a re-load from the same source."""
    return f"derived:{measure.id}"


def derive_observations(measure: Measure, events: EventFrame, calendar: WorkingCalendar,
                        authority: str) -> list[ObservationRecord]:
    """The measure's value for the authority and each of its areas, every period."""
    how = measure.derived
    if how is None:
        raise ValueError(f"measure {measure.id} is not derived")
    rows = np.flatnonzero(np.asarray([k is how.kind for k in events.kind], dtype=bool))
    if rows.size == 0:
        return []
    start = _days(_column(events, how.start), rows)
    stop = _days(_column(events, how.stop), rows)
    areas, area_of = _areas(events, rows, how.by, authority)
    if how.count is Count.COUNT_OPEN_OVER:
        return _open_over(measure, how, start, stop, areas, area_of, calendar)
    done = ~np.isnat(start) & ~np.isnat(stop) & (stop >= start)
    if not done.any():
        return []
    bucket = _bucket(stop[done], measure.frequency)
    first, last = int(bucket.min()), int(bucket.max())
    completed = _tally(area_of[:, done], bucket - first, len(areas), last - first + 1)
    in_time = None
    if how.count is Count.PERCENT_WITHIN:
        assert how.within is not None
        elapsed = calendar.working_days_between_array(start[done], stop[done])
        on_time = elapsed <= how.within.amount
        in_time = _tally(area_of[:, done][:, on_time], (bucket - first)[on_time], len(areas),
                         last - first + 1)
    records: list[ObservationRecord] = []
    for a, area in enumerate(areas):
        for offset in range(last - first + 1):
            period = _period(first + offset, measure.frequency)
            total = int(completed[a, offset])
            value: float | None
            numerator: float | None
            denominator: float | None
            if in_time is None:
                value, numerator, denominator = float(total), None, None
            else:
                numerator, denominator = float(in_time[a, offset]), float(total)
                value = 100.0 * numerator / denominator if total else None
            records.append(_record(measure, how, period, area, value, numerator, denominator))
    return records


def empty_figure(measure: Measure, area: str, period_end: date) -> ObservationRecord:
    """The figure of a cell the events no longer fill (its events moved or were corrected
    away): nothing counted there, so no value for a percentage and 0 for a count."""
    how = measure.derived
    assert how is not None
    period = _period(int(_bucket(np.asarray([period_end], dtype="datetime64[D]"),
                                 measure.frequency)[0]), measure.frequency)
    if how.count is Count.PERCENT_WITHIN:
        return _record(measure, how, period, area, None, 0.0, 0.0)
    return _record(measure, how, period, area, 0.0, None, None)


def _open_over(measure: Measure, how: Derivation, start: DayArray, stop: DayArray,
               areas: Sequence[str], area_of: npt.NDArray[np.bool_],
               calendar: WorkingCalendar) -> list[ObservationRecord]:
    """Open past the limit at each period end: one vectorised count per period."""
    assert how.within is not None
    started = ~np.isnat(start)
    if not started.any():
        return []
    known = np.concatenate([start[started], stop[~np.isnat(stop)]])
    latest = known.max()  # the data's own date: a later period end is counted as of it
    first = int(_bucket(start[started], measure.frequency).min())
    last = int(_bucket(np.asarray([latest]), measure.frequency)[0])
    records: list[ObservationRecord] = []
    for index in range(first, last + 1):
        period = _period(index, measure.frequency)
        as_at = min(np.datetime64(period.end, "D"), latest)
        open_then = started & (start <= as_at) & (np.isnat(stop) | (stop > as_at))
        late = np.zeros(open_then.shape, dtype=bool)
        late[open_then] = calendar.working_days_between_array(
            start[open_then], _as_date(as_at)) > how.within.amount
        counts = (area_of & late).sum(axis=1)
        records.extend(_record(measure, how, period, area, float(counts[a]), None, None)
                       for a, area in enumerate(areas))
    return records


def _record(measure: Measure, how: Derivation, period: Period, area: str, value: float | None,
            numerator: float | None, denominator: float | None) -> ObservationRecord:
    target = measure.target_for(period.end)
    return ObservationRecord(measure.id, period, area, value,
                             target if target is not None else how.target,
                             numerator=numerator, denominator=denominator)


def _column(events: EventFrame, name: str) -> Sequence[date | None]:
    if name == START_DATE:
        return events.start_date
    if name == END_DATE:
        return events.end_date
    return events.date(name)


def _days(column: Sequence[date | None], rows: IntArray) -> DayArray:
    """A date column (None for no date) as datetime64[D] with NaT, for the chosen rows."""
    return np.array([column[i] for i in rows], dtype="datetime64[D]")


def _areas(events: EventFrame, rows: IntArray, levels: Sequence[AreaLevel],
           authority: str) -> tuple[list[str], npt.NDArray[np.bool_]]:
    """The areas (authority first, then localities and teams, sorted) and, per area, which
    of the rows it holds: a boolean matrix of areas by rows."""
    areas = [authority]
    members = [np.ones(rows.size, dtype=bool)]
    for level in levels:
        column = events.locality if level is AreaLevel.LOCALITY else events.team
        values = np.array([column[i] or "" for i in rows], dtype=object)
        for name in sorted(set(values) - {""}):
            if name in areas:  # a team named like a locality: one area, counted once
                continue
            areas.append(name)
            members.append(values == name)
    return areas, np.vstack(members)


def _bucket(days: DayArray, frequency: Frequency) -> IntArray:
    """The period each date falls in, as a consecutive integer (months since 1970, or
    financial quarters or years since April 1970)."""
    months = days.astype("datetime64[M]").astype(np.int64)
    if frequency is Frequency.MONTHLY:
        return months
    size = 3 if frequency is Frequency.QUARTERLY else 12
    return np.floor_divide(months - _APRIL, size)


def _period(index: int, frequency: Frequency) -> Period:
    if frequency is Frequency.MONTHLY:
        year, month = divmod(index, 12)
        return month_period(1970 + year, month + 1)
    if frequency is Frequency.QUARTERLY:
        year, quarter = divmod(index, 4)
        return quarter_period(1970 + year, quarter + 1)
    return financial_year_period(1970 + index)


def _tally(members: npt.NDArray[np.bool_], offsets: IntArray, n_areas: int,
           n_periods: int) -> IntArray:
    """Events per (area, period): `members` says which events each area holds."""
    counts = np.zeros((n_areas, n_periods), dtype=np.int64)
    for a in range(n_areas):
        counts[a] = np.bincount(offsets[members[a]], minlength=n_periods)
    return counts


def _as_date(day: np.datetime64) -> date:
    found: date = day.astype("datetime64[D]").item()
    return found
