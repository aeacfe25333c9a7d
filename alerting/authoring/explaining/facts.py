"""What `alerting explain` knows about one subject: its stored periods, plans and the finding.

These are read straight from the frames the rules evaluate, so an explanation can say which
periods exist even where a rule found nothing, and which ids are close to a mistyped one.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from alerting.model.calendar import WorkingCalendar, england_and_wales
from alerting.model.catalogue import Measure
from alerting.model.events import EventFrame, EventRecord
from alerting.model.findings import Finding
from alerting.model.frames import OPEN_END, CaseFrame, ObservationFrame, RiskFrame
from alerting.model.periods import Period
from alerting.rules import Rule

# Evaluate a variant of the rule (e.g. with a lower threshold) for the same subject and area.
Probe = Callable[[Rule], Finding | None]


def _no_probe(_rule: Rule) -> Finding | None:
    return None


@dataclass(frozen=True)
class Point:
    """One stored period of a series: a measure in an area, or a risk's residual score."""

    period: Period
    value: float | None
    target: float | None = None
    marker: str | None = None  # what the source said instead of a value, e.g. 'Not published'

    @property
    def label(self) -> str:
        return self.period.label


@dataclass(frozen=True)
class Plan:
    """One plan of one child (the child id only, never a name)."""

    child_id: str
    plan_type: str
    start: date
    end: date | None
    team: str
    locality: str | None
    worker: str | None


@dataclass(frozen=True)
class Look:
    """One rule looking at one subject in one area as of a date, and what it found."""

    rule: Rule
    as_of: date
    subject: str
    area: str | None
    finding: Finding | None
    measure: Measure | None = None
    catalogued: bool = True  # the measure is in the catalogue (not just in the data)
    risk_title: str = ""
    points: tuple[Point, ...] = ()  # every stored period, oldest first (also after as_of)
    other_areas: tuple[str, ...] = ()  # where the measure has data, when this area has none
    plan: Plan | None = None
    event: EventRecord | None = None  # for rules on child-level events
    probe: Probe = _no_probe
    labels: Mapping[str, str] = field(default_factory=dict)  # for matching silences
    calendar: WorkingCalendar = field(default_factory=england_and_wales)  # for `10wd`

    @property
    def fired(self) -> bool:
        return self.finding is not None and self.finding.exception

    def points_to_date(self) -> tuple[Point, ...]:
        """The periods a run on the as-of date sees."""
        return tuple(p for p in self.points if p.period.end <= self.as_of)


def _number(raw: float) -> float | None:
    return None if math.isnan(raw) else float(raw)


def measure_areas(frame: ObservationFrame, measure_id: str) -> list[str]:
    """The areas a measure has data for, in the frame's order."""
    if measure_id not in frame.measure_ids:
        return []
    code = frame.measure_ids.index(measure_id)
    return [frame.areas[a] for a in np.unique(frame.area[frame.measure == code])]


def series_points(frame: ObservationFrame, measure_id: str, area: str) -> tuple[Point, ...]:
    """Every stored period of a measure in an area, with the marker of any missing value."""
    if measure_id not in frame.measure_ids or area not in frame.areas:
        return ()
    rows = np.flatnonzero((frame.measure == frame.measure_ids.index(measure_id))
                          & (frame.area == frame.areas.index(area)))
    missing = [int(frame.row_id[r]) for r in rows if math.isnan(frame.value[r])]
    extras = frame.extras(missing) if missing else {}
    points = []
    for row in rows.tolist():
        extra = extras.get(int(frame.row_id[row]))
        points.append(Point(frame.period(row), _number(frame.value[row]),
                            _number(frame.target[row]), extra.raw_value if extra else None))
    return tuple(points)


def risk_points(frame: RiskFrame, risk_id: str) -> tuple[Point, ...]:
    if risk_id not in frame.risk_ids:
        return ()
    rows = np.flatnonzero(frame.risk == frame.risk_ids.index(risk_id))
    return tuple(Point(frame.period(row), float(frame.score[row])) for row in rows.tolist())


def child_plans(frame: CaseFrame, child_id: str) -> tuple[Plan, ...]:
    plans = []
    for i in np.flatnonzero(frame.child_id == child_id).tolist():
        end = int(frame.end[i])
        plans.append(Plan(
            child_id=child_id, plan_type=str(frame.plan_type[i]),
            start=date.fromordinal(int(frame.start[i])),
            end=None if end == OPEN_END else date.fromordinal(end), team=str(frame.team[i]),
            locality=frame.locality[i], worker=frame.worker[i]))
    return tuple(sorted(plans, key=lambda p: p.start))


def child_events(frame: EventFrame, child_id: str, kind: str | None) -> tuple[EventRecord, ...]:
    """A child's events of a kind (every kind with None), oldest first."""
    return tuple(r for r in frame.records()
                 if r.child_id == child_id and (kind is None or r.kind.value == kind))


def find_id(wanted: str, known: Iterable[str]) -> str | None:
    """The known id spelled `wanted`, ignoring case."""
    folded = wanted.casefold()
    return next((k for k in known if k.casefold() == folded), None)


def close_ids(wanted: str, known: Iterable[str], count: int = 5) -> list[str]:
    """Known ids that look like a mistyped `wanted` (case ignored)."""
    by_fold: dict[str, str] = {}
    for k in known:
        by_fold.setdefault(k.casefold(), k)
    matches = difflib.get_close_matches(wanted.casefold(), list(by_fold), n=count, cutoff=0.6)
    if not matches:  # a fragment such as 'visits' or 'SR7'
        matches = [k for k in sorted(by_fold) if wanted.casefold() in k][:count]
    return [by_fold[m] for m in matches]
