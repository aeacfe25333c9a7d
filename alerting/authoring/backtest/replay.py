"""Backtest: replay the rules over the stored history as if the service had run at every
month end (and every other stored period end) in a date range.

The data is read once; every as-of date is evaluated from the same in-memory frames (rules
only look at periods up to their as-of date). Alert state and each receiver's notification
log are carried from one as-of date to the next exactly as the service keeps them, so the
episodes (fired, escalated, resolved) and the notices each receiver would have been sent
are the ones a service running on those dates would have produced. A service that runs more
often (the child checks run each weekday) would send more repeat reminders.

An alert already firing at the first date started on or before it: the backtest says so
rather than inventing a start. Silences are not applied: they are about now, not the past.
Values are today's, including later revisions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any

import numpy as np

from alerting.alerts.state import Alert, Change, Notified, status_level
from alerting.config.ruleset import RuleSet
from alerting.model.calendar import WorkingCalendar, england_and_wales
from alerting.model.findings import Finding, Severity, Status
from alerting.model.frames import ObservationFrame
from alerting.model.memory import collector_paused
from alerting.model.records import ObservationExtras
from alerting.pipeline import notice_pass
from alerting.routing.routes import Routing
from alerting.rules import EvaluationContext, EvaluationData, RagScheme, Rule
from alerting.rules.evaluation import evaluate


@dataclass(frozen=True)
class Episode:
    """One alert from the run that fired it to the run that resolved it (or still firing)."""

    identity: str
    rule: str
    subject: str
    subject_title: str
    area: str | None
    started: date
    ended: date | None  # the as-of date of the run that found it resolved; None: still firing
    escalated: tuple[date, ...]
    worst_status: Status
    worst_severity: Severity
    firing: tuple[date, ...]  # the as-of dates at which it was firing
    labels: Mapping[str, str] = field(default_factory=dict)
    open_at_start: bool = False  # firing at the first date: it started on or before then

    @property
    def key(self) -> tuple[str, date, date | None]:
        return (self.identity, self.started, self.ended)

    @property
    def measure(self) -> str | None:
        return self.labels.get("measure")

    def overlaps(self, other: Episode) -> bool:
        if self.identity != other.identity:
            return False
        end = self.ended or date.max
        other_end = other.ended or date.max
        return self.started < other_end and other.started < end


@dataclass(frozen=True)
class Backtest:
    """What replaying one rule set over a range of as-of dates found."""

    as_of_dates: tuple[date, ...]
    episodes: tuple[Episode, ...]
    notices: Mapping[str, int]  # receiver -> notices it would have received (per channel)
    failures: tuple[tuple[date, str, str], ...] = ()  # (as-of, rule, error)

    @property
    def failed_rules(self) -> frozenset[str]:
        return frozenset(rule for _, rule, _ in self.failures)

    def failure_counts(self) -> list[tuple[str, str, int]]:
        """(rule, error, at how many as-of dates), by rule."""
        counted = Counter((rule, error) for _, rule, error in self.failures)
        return [(rule, error, n) for (rule, error), n in sorted(counted.items())]

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(sorted({e.rule for e in self.episodes}))


def has_data(data: EvaluationData) -> bool:
    return bool(len(data.observations) or len(data.risks) or len(data.cases) or len(data.events))


def as_of_dates(data: EvaluationData, start: date, end: date) -> tuple[date, ...]:
    """Every month end from start to end, and every other stored period end between them
    (weeks, or periods ending mid-month), oldest first."""
    first, last = start.toordinal(), end.toordinal()
    ends = np.concatenate([data.observations.period_end, data.risks.period_end])
    stored = {date.fromordinal(int(o)) for o in np.unique(ends[(ends >= first) & (ends <= last)])}
    return tuple(sorted(stored | set(_month_ends(start, end))))


def _month_ends(start: date, end: date) -> Iterable[date]:
    year, month = start.year, start.month
    while True:
        following = date(year + month // 12, month % 12 + 1, 1)
        month_end = following - timedelta(days=1)
        if month_end > end:
            return
        if month_end >= start:
            yield month_end
        year, month = following.year, following.month


def without_extras(data: EvaluationData, rules: Iterable[Rule] = ()) -> EvaluationData:
    """The data without commentary and raw value markers: they go into notices, which a
    backtest does not render. Comparator figures decide whether rules that read them fire, so
    for the measures those `rules` select they are fetched once, up front; replaying the dates
    never goes back to the database."""
    frame = data.observations
    wanted = np.zeros(len(frame), dtype=bool)
    for rule in rules:
        if rule.reads_comparators:
            wanted |= rule.select.measure_mask(frame, data.catalogue)[frame.measure]
    known: dict[int, ObservationExtras] = {}
    if wanted.any():
        fetched = frame.extras(frame.row_id[wanted].tolist())
        known = {row_id: ObservationExtras(comparators=extra.comparators)
                 for row_id, extra in fetched.items() if extra.comparators}

    def comparators_only(row_ids: Sequence[int]) -> Mapping[int, ObservationExtras]:
        return {i: known[i] for i in row_ids if i in known}

    observations: ObservationFrame = replace(frame, extras=comparators_only)
    return replace(data, observations=observations)


def run_backtest(ruleset: RuleSet, data: EvaluationData, dates: Sequence[date],
                 routing: Routing | None, *,
                 scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE,
                 only: Collection[str] | None = None,
                 calendar: WorkingCalendar | None = None) -> Backtest:
    """Replay the enabled rules (or those in `only`) at each date, oldest first, counting
    working days in `calendar` (England and Wales bank holidays when not given)."""
    calendar = calendar or england_and_wales()
    rules = tuple(r for r in ruleset.enabled() if only is None or r.id in only)
    known = {r.id for r in ruleset.rules}
    titles = ruleset.rule_titles()
    alerts: dict[str, Alert] = {}
    log: dict[tuple[str, str], Notified] = {}
    notices: Counter[str] = Counter()
    builder = _EpisodeBuilder(min(dates) if dates else None)
    failures: list[tuple[date, str, str]] = []
    for as_of in sorted(dates):
        # One as-of date at a time: its findings and notice pass are freed before the next
        # date is evaluated, so only the alert state and the episodes are carried. Alerts,
        # log entries and episodes hold no cycles: the collector waits (model/memory.py).
        with collector_paused():
            failures.extend(_replay(as_of, rules, data, scheme, calendar, alerts, log,
                                    notices, builder, routing=routing, known=known,
                                    titles=titles))
    return Backtest(tuple(sorted(dates)), builder.episodes(), dict(sorted(notices.items())),
                    tuple(failures))


def _replay(as_of: date, rules: Sequence[Rule], data: EvaluationData, scheme: RagScheme,
            calendar: WorkingCalendar, alerts: dict[str, Alert],
            log: dict[tuple[str, str], Notified], notices: Counter[str],
            builder: _EpisodeBuilder, *, routing: Routing | None, known: Collection[str],
            titles: Mapping[str, str]) -> list[tuple[date, str, str]]:
    """Evaluate the rules at one as-of date and carry alert state, the notification log,
    the notice counts and the episodes forward; returns the rules that failed."""
    now = datetime.combine(as_of, time(12), tzinfo=UTC)
    evaluation = evaluate(rules, data, EvaluationContext(as_of, scheme, calendar=calendar))
    failed = {f.rule for f in evaluation.failures}
    evaluated = {r.id for r in rules} - failed
    # The service's notice pass, without silences (they are about now) or rendering.
    done = notice_pass(alerts, evaluation.exceptions, evaluated=evaluated, known=known,
                       now=now, routing=routing, log=log, rule_titles=titles,
                       describe=routing_view)
    for update in done.updates:
        alerts[update.alert.identity] = update.alert
        builder.record(update.alert, update.change, as_of)
    for entry in done.plan.notified:
        log[(entry.receiver, entry.identity)] = entry
    # One notice per channel of the receiver, as the outbox would queue them.
    for draft in done.plan.drafts:
        notices[draft.receiver.name] += max(len(draft.receiver.channels), 1)
    return [(as_of, f.rule, f.error) for f in evaluation.failures]


# What routing and grouping read of `details`: shared, read-only, one for each answer.
_CHILD_LEVEL = {flag: MappingProxyType({"child_level": flag}) for flag in (False, True)}


def routing_view(finding: Finding) -> dict[str, Any]:
    """What a replayed alert keeps of its finding: what routing, grouping and the episode
    list read (a backtest renders no notice, so the rest is not turned into JSON)."""
    return {"labels": finding.labels, "subject_title": finding.subject_title,
            "status": finding.status.value,
            "details": _CHILD_LEVEL[bool(finding.details.get("child_level"))]}


@dataclass
class _Open:
    alert: Alert
    started: date
    escalated: list[date]
    firing: list[date]
    worst_status: Status
    worst_severity: Severity


_CLOSING = frozenset({Change.RESOLVED, Change.RETIRED})


class _EpisodeBuilder:
    """Turns the alert changes of each replayed run into episodes."""

    def __init__(self, first: date | None) -> None:
        self._first = first
        self._open: dict[str, _Open] = {}
        self._closed: list[Episode] = []
        # One labels mapping per alert for all its episodes, when they are the same labels.
        self._labels: dict[str, Mapping[str, str]] = {}

    def record(self, alert: Alert, change: Change, as_of: date) -> None:
        current = self._open.get(alert.identity)
        if change is Change.NEW:
            self._open[alert.identity] = _Open(alert, as_of, [], [as_of], alert.status,
                                               alert.severity)
            return
        if current is None:
            return
        if change in _CLOSING:
            self._closed.append(self._episode(current, as_of))
            del self._open[alert.identity]
            return
        current.alert = alert
        current.firing.append(as_of)
        if change is Change.ESCALATED:
            current.escalated.append(as_of)
        if status_level(alert.status) > status_level(current.worst_status):
            current.worst_status = alert.status
        if alert.severity.rank > current.worst_severity.rank:
            current.worst_severity = alert.severity

    def episodes(self) -> tuple[Episode, ...]:
        everything = self._closed + [self._episode(o, None) for o in self._open.values()]
        # Only the episodes firing at the first date are copied to say so.
        everything = [replace(e, open_at_start=True) if e.started == self._first else e
                      for e in everything]
        return tuple(sorted(everything, key=lambda e: (e.rule, e.subject, e.area or "",
                                                       e.started)))

    def _episode(self, current: _Open, ended: date | None) -> Episode:
        alert = current.alert
        labels: Mapping[str, str] = alert.finding.get("labels") or {}  # read only: not copied
        known = self._labels.setdefault(alert.identity, labels)
        return _episode(current, ended, known if known == labels else labels)


def _episode(current: _Open, ended: date | None, labels: Mapping[str, str]) -> Episode:
    alert = current.alert
    return Episode(
        identity=alert.identity, rule=alert.rule, subject=alert.subject,
        subject_title=str(alert.finding.get("subject_title") or alert.subject),
        area=alert.area, started=current.started, ended=ended,
        escalated=tuple(current.escalated), worst_status=current.worst_status,
        worst_severity=current.worst_severity, firing=tuple(current.firing),
        labels=labels)


@dataclass(frozen=True)
class Comparison:
    """The difference a rule change makes over the same history."""

    before: Backtest
    after: Backtest
    added: tuple[Episode, ...]  # in `after`, overlapping no episode of the same alert before
    removed: tuple[Episode, ...]  # in `before`, overlapping no episode after
    changed: tuple[tuple[Episode, Episode], ...]  # same alert, overlapping, other start/end
    failed: frozenset[str] = frozenset()  # rules that failed on either side: left out above

    @property
    def receivers(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.before.notices) | set(self.after.notices)))


def compare(before: Backtest, after: Backtest) -> Comparison:
    """Episodes added, removed and changed (started or ended on other dates) by a change.

    A rule that failed on either side is left out: its missing episodes are not the change.
    """
    failed = before.failed_rules | after.failed_rules
    by_identity: dict[str, list[Episode]] = {}
    for episode in before.episodes:
        by_identity.setdefault(episode.identity, []).append(episode)
    added: list[Episode] = []
    changed: list[tuple[Episode, Episode]] = []
    matched: set[tuple[str, date, date | None]] = set()
    for episode in after.episodes:
        if episode.rule in failed:
            continue
        overlapping = [b for b in by_identity.get(episode.identity, []) if b.overlaps(episode)]
        if not overlapping:
            added.append(episode)
            continue
        for old in overlapping:
            matched.add(old.key)
            if old.key != episode.key:
                changed.append((old, episode))
    removed = [e for e in before.episodes if e.key not in matched and e.rule not in failed]
    return Comparison(before, after, tuple(added), tuple(removed), tuple(changed), failed)
