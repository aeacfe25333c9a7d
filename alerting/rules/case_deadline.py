"""`case_deadline`: child-level events not done in time ("assessments within 45 working days",
"statutory visits at least every 10 working days").

Two shapes. With `within:` the clock runs from the event's start (or a named date, `from_date`)
until it stops (the event's end, or a named date, `until_date`); an event whose clock is still
running past the deadline is overdue, and with `late_in_period` one that stopped late within the
reporting month of as_of is reported too. With `every:` the clock runs from the latest named
date (`from_date: last_visit`), or the start when there is none, while the event is open.

Counting is set-based over the event frame's columns (numpy datetime64 and the calendar's
`*_array` functions). One finding per child (the most overdue of their events), with the team
as the finding's area so routing and privacy treat it as `case_duration`'s; every finding also
carries its team's and the whole cohort's summary (count, share, the longest) for the counts
heads of service get.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from alerting.model.calendar import BankHolidays, DayArray, WorkingCalendar
from alerting.model.durations import DurationField, RuleDuration, WorkingDays
from alerting.model.events import EventFrame, EventKind
from alerting.model.findings import Finding, Status
from alerting.rules.base import EvaluationContext, EvaluationData, RagScheme, Rule, Selection

_NAT = np.datetime64("NaT", "D")

# What a notice calls each kind's events, in the plural (`noun:` overrides it).
NOUNS: Mapping[EventKind, str] = {
    EventKind.CONTACT: "Contacts", EventKind.EARLY_HELP: "Early help assessments",
    EventKind.REFERRAL: "Referrals", EventKind.ASSESSMENT: "Assessments",
    EventKind.S47: "Section 47 enquiries", EventKind.ICPC: "Initial conferences",
    EventKind.CIN: "Child in need plans", EventKind.CP_PLAN: "Child protection plans",
    EventKind.CIC: "Children in care", EventKind.CARE_LEAVER: "Care leavers",
    EventKind.ADOPTION: "Adoptions",
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _children(count: int) -> str:
    return f"{count} {'child' if count == 1 else 'children'}"


_EPOCH = date(1970, 1, 1).toordinal()


def _column(days: Sequence[date | None]) -> DayArray:
    """Dates as datetime64[D] (NaT for none), through ordinals: numpy builds it in one go."""
    ordinals = np.fromiter((d.toordinal() if d is not None else 0 for d in days),
                           dtype=np.int64, count=len(days))
    column: DayArray = (ordinals - _EPOCH).astype("datetime64[D]")
    column[ordinals == 0] = _NAT
    return column


def deadlines(starts: DayArray, duration: RuleDuration, calendar: WorkingCalendar) -> DayArray:
    """The deadline `duration` after each start: working days by the calendar, months by the
    calendar month (31 January + 1m is the last day of February), weeks and days as days."""
    if isinstance(duration, WorkingDays):
        found = np.full(starts.shape, _NAT)
        known = ~np.isnat(starts)
        found[known] = calendar.add_working_days_array(starts[known], duration.amount)
        return found
    if duration.unit in "wd":
        return starts + np.timedelta64(duration.amount * (7 if duration.unit == "w" else 1), "D")
    months = duration.amount * (12 if duration.unit == "y" else 1)
    month = starts.astype("datetime64[M]")
    day = starts - month.astype("datetime64[D]")
    target = month + np.timedelta64(months, "M")
    last = (target + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    result: DayArray = np.minimum(target.astype("datetime64[D]") + day, last)
    return result


class CaseDeadlineRule(Rule):
    """Fire for each child whose event of `kind` is past its deadline; warn from `warn_at`."""

    rule_type = "case_deadline"
    applies_to = "events"
    selected_by = ("teams", "areas")
    data_labels = ("team", "locality", "child", "kind")

    type: Literal["case_deadline"]
    kind: EventKind
    from_date: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    until_date: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    within: DurationField | None = None
    every: DurationField | None = None
    first_within: DurationField | None = None
    warn_at: DurationField | None = None
    late_in_period: bool = False
    exclude: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)
    noun: str = ""

    @model_validator(mode="after")
    def _one_clock(self) -> CaseDeadlineRule:
        if (self.within is None) == (self.every is None):
            raise ValueError("give one of within (a deadline once) or every (a recurring "
                             "deadline)")
        limit = self.within or self.every
        assert limit is not None
        if self.every is not None:
            if self.until_date is not None:
                raise ValueError("until_date stops a within deadline; an every deadline runs "
                                 "while the event is open")
            if self.late_in_period:
                raise ValueError("late_in_period needs within (an every deadline keeps only "
                                 "the latest date, so a late one in the month is not known)")
        elif self.first_within is not None:
            raise ValueError("first_within is the first deadline of an every rule")
        if self.warn_at is not None and not _shorter(self.warn_at, limit):
            raise ValueError(f"warn_at ({self.warn_at}) must be shorter than "
                             f"{'within' if self.within else 'every'} ({limit})")
        return self

    @property
    def limit(self) -> RuleDuration:
        found = self.within or self.every
        assert found is not None
        return found

    @property
    def plural_noun(self) -> str:
        return self.noun or NOUNS[self.kind]

    def raises(self, scheme: RagScheme) -> Mapping[Status, str | None]:
        return {Status.BREACH: None, Status.WARNING: "warn_at"}

    def evaluate(self, data: EvaluationData, context: EvaluationContext) -> list[Finding]:
        clocks = self.clocks(data.events, context)
        if clocks is None:
            return []
        return self._findings(data.events, clocks, context)

    def clocks(self, events: EventFrame, context: EvaluationContext) -> _Clocks | None:
        """Every selected event's clock as columns: start, stop, deadline, elapsed, overdue."""
        if not len(events):
            return None
        as_of = np.datetime64(context.as_of, "D")
        calendar = context.calendar
        rows = np.flatnonzero(self._selected(events))
        if not rows.size:
            return None
        begun = _column([events.start_date[i] for i in rows])
        ended = _column([events.end_date[i] for i in rows])
        ended_by_now = ~np.isnat(ended) & (ended <= as_of)
        open_now = (begun <= as_of) & ~ended_by_now
        if self.every is not None:
            last = (_column([events.dates[i].get(self.from_date) for i in rows])
                    if self.from_date else np.full(rows.shape, _NAT))
            last = np.where(last > as_of, _NAT, last)  # a date after as_of is not yet known
            first = np.isnat(last)
            start = np.where(first, begun, last)
            due = deadlines(start, self.every, calendar)
            if self.first_within is not None:
                due = np.where(first, deadlines(begun, self.first_within, calendar), due)
            stop: DayArray = np.full(rows.shape, _NAT)
            running = open_now
        else:
            start = (_column([events.dates[i].get(self.from_date) for i in rows])
                     if self.from_date else begun)
            stop = (_column([events.dates[i].get(self.until_date) for i in rows])
                    if self.until_date else ended)
            stop = np.where(stop > as_of, _NAT, stop)
            assert self.within is not None
            due = deadlines(start, self.within, calendar)
            # Running: started, not stopped, and (for a named stop) the event still open.
            running = (start <= as_of) & np.isnat(stop) & (begun <= as_of) & ~ended_by_now
        start_known = ~np.isnat(start)
        running &= start_known
        until = np.where(running, as_of, stop)
        measured = ~np.isnat(until) & start_known
        elapsed = np.zeros(rows.shape, dtype=np.int64)
        overdue = np.zeros(rows.shape, dtype=np.int64)
        elapsed[measured] = calendar.working_days_between_array(start[measured], until[measured])
        overdue[measured] = calendar.working_days_between_array(due[measured], until[measured])
        late = measured & (until > due)
        if isinstance(self.limit, WorkingDays):  # a late Saturday is not a working day late
            late &= overdue > 0
        warn = np.zeros(rows.shape, dtype=bool)
        if self.warn_at is not None:
            warn = running & ~late & (until >= deadlines(start, self.warn_at, calendar))
        warn = np.asarray(warn, dtype=bool)
        month_start = np.datetime64(context.as_of.replace(day=1), "D")
        completed_late = (~running & late & (stop >= month_start) & (stop <= as_of)
                          if self.late_in_period else np.zeros(rows.shape, dtype=bool))
        return _Clocks(rows, start, stop, due, elapsed, overdue, running, running & late,
                       warn, completed_late)

    def _selected(self, events: EventFrame) -> npt.NDArray[np.bool_]:
        """Events of the rule's kind, held by a selected team or locality, not excluded."""
        kinds = np.array([k.value for k in events.kind], dtype=object)
        chosen: npt.NDArray[np.bool_] = kinds == self.kind.value
        teams = np.array([t or "" for t in events.team], dtype=object)
        places = np.array([x or "" for x in events.locality], dtype=object)
        if self.select.teams:
            by_team = Selection(teams=self.select.teams)
            chosen &= _by_name(teams, lambda t: by_team.matches_case("", t))
        if self.select.areas:
            in_team = _by_name(teams, self.select.matches_area)
            in_place = _by_name(places, lambda x: bool(x) and self.select.matches_area(x))
            chosen &= in_team | in_place
        for name, values in self.exclude.items():
            folded = {v.casefold() for v in values}
            held = [(d.get(name) or "").casefold() in folded for d in events.details]
            chosen &= ~np.array(held, dtype=bool)
        return chosen

    def _findings(self, events: EventFrame, clocks: _Clocks,
                  context: EvaluationContext) -> list[Finding]:
        rows = clocks.rows
        teams = np.array([events.team[i] or "" for i in rows], dtype=object)
        places = np.array([events.locality[i] or "" for i in rows], dtype=object)
        children = np.array([events.child_id[i] for i in rows], dtype=object)
        breach = clocks.overdue_open | clocks.completed_late
        flagged = breach | clocks.warn
        # Each child once: the most overdue (a breach before a warning) of their events.
        candidates = np.flatnonzero(flagged)
        order = np.lexsort((-clocks.elapsed[candidates], ~breach[candidates],
                            children[candidates]))
        picked = candidates[order]
        _, first = np.unique(children[picked], return_index=True)
        chosen = np.sort(picked[first])
        summary = self._summary(teams, places, children, clocks)
        # Findings carry the cohort's figures and their own team's, not every team's.
        shared = {k: v for k, v in summary.items() if k != "teams"}
        return [self._finding(events, clocks, int(j), bool(breach[j]), summary["teams"],
                              shared, context) for j in chosen]

    def _summary(self, teams: npt.NDArray[Any], places: npt.NDArray[Any],
                 children: npt.NDArray[Any], clocks: _Clocks) -> dict[str, Any]:
        """The counts a head of service reads: children overdue per team and locality, the
        share of the team's open events of the kind, and the longest (in working days)."""
        overdue = clocks.overdue_open
        team_names, team_code = np.unique(teams, return_inverse=True)
        place_names, place_code = np.unique(places, return_inverse=True)
        _, child_code = np.unique(children, return_inverse=True)
        width = int(child_code.max()) + 1 if child_code.size else 1
        # Children, not events: a child with two overdue events counts once.
        def children_per(code: npt.NDArray[np.int64], size: int,
                         rows: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
            pairs = np.unique(code[rows].astype(np.int64) * width + child_code[rows])
            counted: npt.NDArray[np.int64] = np.bincount(pairs // width, minlength=size)
            return counted
        count_by_team = children_per(team_code, team_names.size, overdue)
        cohort_by_team = np.bincount(team_code[clocks.running], minlength=team_names.size)
        longest_by_team = np.zeros(team_names.size, dtype=np.int64)
        np.maximum.at(longest_by_team, team_code[overdue], clocks.elapsed[overdue])
        count_by_place = children_per(place_code, place_names.size, overdue)
        per_team = {
            str(name): {"count": int(n), "cohort": int(cohort), "longest": int(longest),
                        "share": round(int(n) / int(cohort), 4) if cohort else 0.0}
            for name, n, cohort, longest in zip(team_names, count_by_team, cohort_by_team,
                                                longest_by_team, strict=True) if cohort or n}
        per_place = {str(name): int(n) for name, n in zip(place_names, count_by_place,
                                                          strict=True) if name and n}
        count = int(np.unique(child_code[overdue]).size)
        summary: dict[str, Any] = {"count": count,
                                   "cohort": int(np.unique(child_code[clocks.running]).size),
                                   "teams": per_team, "localities": per_place}
        if count:
            top = np.flatnonzero(overdue)[int(np.argmax(clocks.elapsed[overdue]))]
            summary["longest"] = {"working_days": int(clocks.elapsed[top]),
                                  "overdue": int(clocks.overdue[top]),
                                  "team": str(teams[top]), "locality": str(places[top]) or None}
        summary["text"] = self.summary_text(summary)
        return summary

    def summary_text(self, summary: Mapping[str, Any]) -> str:
        """The summary as the August 2019 report words it."""
        count = int(summary["count"])
        if not count:
            return ""
        if self.every is not None:
            text = (f"{self.plural_noun} for {_children(count)} are overdue: none for more "
                    f"than {self.limit.words}")
        else:
            text = (f"{self.plural_noun} for {_children(count)} have been open for more than "
                    f"{self.limit.words}")
        places: Mapping[str, int] = summary["localities"]
        if places:
            most = max(sorted(places), key=lambda p: places[p])
            text += f"; {most} {'holds' if len(places) > 1 else 'holds all'} {places[most]}" \
                if places[most] < count else f"; {most} holds them all"
        longest = summary["longest"]
        return (f"{text}. The longest, {_plural(longest['working_days'], 'working day')}, "
                f"is with {longest['team']}.")

    def _finding(self, events: EventFrame, clocks: _Clocks, j: int, breach: bool,
                 teams: Mapping[str, Mapping[str, Any]], summary: Mapping[str, Any],
                 context: EvaluationContext) -> Finding:
        i = int(clocks.rows[j])
        child, team = events.child_id[i], events.team[i] or ""
        worker, locality = events.worker[i], events.locality[i]
        start = _day(clocks.start[j])
        due = _day(clocks.due[j])
        stop = _day(clocks.stop[j]) if not clocks.running[j] else None
        elapsed, overdue = int(clocks.elapsed[j]), int(clocks.overdue[j])
        kind = self.kind.value.replace("_", " ")
        named = self.from_date if self.from_date and start is not None and \
            events.dates[i].get(self.from_date) == start else None
        clock_from = named or "start_date"
        clock = (f"{_plural(elapsed, 'working day')} since "
                 f"{(named or 'start').replace('_', ' ')} {_iso(start)}")
        if stop is not None:
            what = f"{kind} completed late on {stop.isoformat()}: {clock}, due {_iso(due)}"
        elif breach:
            what = (f"{kind} overdue: {clock}, due {_iso(due)}, "
                    f"{_plural(overdue, 'working day')} overdue")
        else:
            what = f"{kind} due {_iso(due)}: {clock}, warning from {self.warn_at}"
        message = f"Child {child} ({team}): {what}"
        if worker:
            message += f"; allocated worker {worker}"
        team_summary = teams.get(team, {})
        event_start = events.start_date[i]
        return Finding(
            rule=self.id, rule_type=self.rule_type, subject=child, subject_title=f"Child {child}",
            area=team, period=context.as_of, period_label=context.as_of.isoformat(),
            status=Status.BREACH if breach else Status.WARNING, severity=self.severity,
            exception=True, message=message, value=float(elapsed), target=None,
            labels=self.finding_labels(team=team, locality=locality, child=child,
                                       kind=self.kind.value),
            details={"child_id": child, "child_level": True, "kind": self.kind.value,
                     "team": team, "worker": worker, "locality": locality,
                     # The start of the event (for views' 'time on plan'), and of the clock.
                     "start_date": event_start or start, "clock_start": start,
                     "clock_from": clock_from,
                     "deadline": due, "completed": stop,
                     "working_days_elapsed": elapsed, "working_days_overdue": overdue,
                     "limit": str(self.limit), "recurring": self.every is not None,
                     "warn_at": str(self.warn_at) if self.warn_at else None,
                     "team_count": team_summary.get("count", 0),
                     "team_cohort": team_summary.get("cohort", 0),
                     "team_share": team_summary.get("share", 0.0),
                     "team_longest": team_summary.get("longest", 0),
                     "summary": summary},
        )


class _Clocks:
    """Columns over the selected events (positions into `rows`, the frame's row numbers)."""

    __slots__ = ("completed_late", "due", "elapsed", "overdue", "overdue_open", "rows",
                 "running", "start", "stop", "warn")

    def __init__(self, rows: npt.NDArray[np.int64], start: DayArray, stop: DayArray,
                 due: DayArray, elapsed: npt.NDArray[np.int64], overdue: npt.NDArray[np.int64],
                 running: npt.NDArray[np.bool_], overdue_open: npt.NDArray[np.bool_],
                 warn: npt.NDArray[np.bool_], completed_late: npt.NDArray[np.bool_]) -> None:
        self.rows, self.start, self.stop, self.due = rows, start, stop, due
        self.elapsed, self.overdue, self.running = elapsed, overdue, running
        self.overdue_open, self.warn, self.completed_late = overdue_open, warn, completed_late


def _by_name(column: npt.NDArray[Any], test: Any) -> npt.NDArray[np.bool_]:
    names, inverse = np.unique(column, return_inverse=True)
    found: npt.NDArray[np.bool_] = np.array([bool(test(str(n))) for n in names],
                                            dtype=bool)[inverse]
    return found


def _day(value: np.datetime64) -> date | None:
    if np.isnat(value):
        return None
    found: date = value.astype("datetime64[D]").item()
    return found


def _iso(day: date | None) -> str:
    return day.isoformat() if day else "(no date)"


def _shorter(warn_at: RuleDuration, limit: RuleDuration) -> bool:
    if isinstance(warn_at, WorkingDays) and isinstance(limit, WorkingDays):
        return warn_at.amount < limit.amount
    reference = np.array([np.datetime64("2000-01-03", "D")])
    plain = WorkingCalendar(bank_holidays=BankHolidays.NONE)
    return bool(deadlines(reference, warn_at, plain)[0] < deadlines(reference, limit, plain)[0])
