"""The pipeline in one place: load sources -> gather data -> evaluate rules -> alert state
-> silences -> routing and grouping -> rendering -> outbox -> delivery.

Each stage lives in its own module; this one only calls them in order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from alerting.alerts.silences import Silences
from alerting.alerts.state import Alert, AlertState, AlertUpdate, Change, update_alerts
from alerting.config.ruleset import RuleSet
from alerting.config.settings import Settings
from alerting.delivery.dispatch import DispatchReport, dispatch, notifier_factory
from alerting.loading import LoadReport, load_path
from alerting.model.calendar import WorkingCalendar, england_and_wales
from alerting.model.clock import utc_now
from alerting.model.findings import Finding
from alerting.rendering.render import Renderer
from alerting.routing.grouping import NoticeDraft, plan_notices
from alerting.routing.routes import Routing
from alerting.rules import EvaluationContext, EvaluationData, RagScheme, Rule
from alerting.rules.evaluation import Evaluation, evaluate
from alerting.rules.trends import recent_trends
from alerting.store import Store
from notifiers import EMAIL, NOTIFIERS, Notice


def load_sources(store: Store, paths: Iterable[Path]) -> list[LoadReport]:
    reports: list[LoadReport] = []
    for path in paths:
        reports.extend(load_path(store, path))
    return reports


def gather(store: Store, ruleset: RuleSet) -> EvaluationData:
    """Read the stored data once, as columns, for every rule of a run.

    The whole history is read: rules look only at periods up to the as-of date, and one
    read serves many as-of dates (backtests) without going back to the database.
    """
    return EvaluationData(
        catalogue=ruleset.catalogue,
        observations=store.observation_frame(),
        risks=store.risk_frame(),
        cases=store.case_frame(),
    )


def evaluate_stored(store: Store, ruleset: RuleSet, as_of: date, *,
                    scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE,
                    include_all: bool = False,
                    calendar: WorkingCalendar | None = None) -> Evaluation:
    data = read_data(store, ruleset)
    return evaluate_data(ruleset, data, as_of, scheme, include_all, calendar=calendar)


def read_data(store: Store, ruleset: RuleSet) -> EvaluationData:
    store.sync_measures(ruleset.catalogue)
    return gather(store, ruleset)


def evaluate_data(ruleset: RuleSet, data: EvaluationData, as_of: date, scheme: RagScheme,
                  include_all: bool = False, only: Collection[str] | None = None, *,
                  calendar: WorkingCalendar | None = None) -> Evaluation:
    """Evaluate the enabled rules (or only those with the ids in `only`) as of a date, counting
    working days in `calendar` (England and Wales bank holidays when not given)."""
    context = EvaluationContext(as_of=as_of, rag_scheme=scheme, include_all=include_all,
                                calendar=calendar or england_and_wales())
    return evaluate(selected_rules(ruleset, only), data, context)


def selected_rules(ruleset: RuleSet, only: Collection[str] | None) -> tuple[Rule, ...]:
    return tuple(r for r in ruleset.enabled() if only is None or r.id in only)


def rule_ids(ruleset: RuleSet, patterns: Iterable[str]) -> set[str]:
    """The ids of the rules a schedule names (ids or globs such as cp-* or *)."""
    wanted = tuple(patterns)
    return {r.id for r in ruleset.rules if any(fnmatchcase(r.id, p) for p in wanted)}


@dataclass(frozen=True)
class Notifying:
    """What the notice stages need besides the data: who gets what, silences, templates."""

    routing: Routing
    silences: Silences
    renderer: Renderer
    settings: Settings


@dataclass(frozen=True)
class NotifyOutcome:
    evaluation: Evaluation
    updates: tuple[AlertUpdate, ...]
    notices: tuple[Notice, ...]
    silenced: int
    delivery: DispatchReport | None = None


def notify(store: Store, ruleset: RuleSet, notifying: Notifying, as_of: date, *,
           now: datetime | None = None, deliver: bool = True,
           clock: Callable[[], datetime] = utc_now,
           only: Collection[str] | None = None) -> NotifyOutcome:
    """Evaluate, update alert state, commit due notices to the outbox, then deliver them.

    With `only`, just those rules are evaluated; other rules' alerts are left as they are.
    """
    now = now or clock()
    data = read_data(store, ruleset)
    evaluation = evaluate_data(ruleset, data, as_of, notifying.settings.rag_scheme, only=only,
                               calendar=notifying.settings.calendar.working_calendar())
    exceptions = with_trends(evaluation.exceptions, data)
    failed = {f.rule for f in evaluation.failures}
    evaluated = {r.id for r in selected_rules(ruleset, only)} - failed
    known = {r.id for r in ruleset.rules}
    # The service's own alerts (service:*) are kept by the self-monitoring checks.
    previous = {k: a for k, a in store.alerts().items() if not a.rule.startswith("service:")}
    updates = update_alerts(previous, exceptions, evaluated, known, now)
    updates = [replace(u, alert=with_silence(u.alert, notifying.silences, now)) for u in updates]
    candidates = [u.alert for u in updates
                  if u.alert.state is AlertState.FIRING or u.change is Change.RESOLVED]
    plan = plan_notices(candidates, store.notification_log(), notifying.routing, now,
                        rule_titles={r.id: r.display_title for r in ruleset.rules},
                        rule_templates=ruleset.rule_templates())
    notices = tuple(n for draft in plan.drafts for n in render_draft(draft, notifying, now))
    store.commit_run([u.alert for u in updates], plan.notified, notices, now=now)
    delivery = deliver_outbox(store, notifying.settings, clock=clock) if deliver else None
    silenced = sum(1 for u in updates if u.alert.silenced_by and
                   u.alert.state is AlertState.FIRING)
    return NotifyOutcome(evaluation, tuple(updates), notices, silenced, delivery)


def with_trends(findings: Iterable[Finding], data: EvaluationData) -> list[Finding]:
    """Add each measure finding's recent values, for the notice's sparkline and chart."""
    found = list(findings)
    wanted = {(f.labels["measure"], f.area, f.period) for f in found
              if "measure" in f.labels and f.area is not None}
    trends = recent_trends(data.observations, wanted)
    return [replace(f, details={**f.details, "trend": trends[key]})
            if (key := (f.labels.get("measure", ""), f.area or "")) in trends else f
            for f in found]


def with_silence(alert: Alert, silences: Silences, now: datetime) -> Alert:
    """The alert with the silence that mutes it now, if any (it is still recorded)."""
    silence = silences.silencing(alert.labels, now)
    return replace(alert, silenced_by=silence.id if silence else None)


def render_draft(draft: NoticeDraft, notifying: Notifying, now: datetime) -> list[Notice]:
    """One notice per channel of the draft's receiver (or per file, when redirected)."""
    notices = []
    redirect = notifying.settings.redirect_to_folder
    for wanted_channel, wanted_target in draft.receiver.channels.items():
        notifier = NOTIFIERS[wanted_channel]
        formats = notifier.formats(wanted_target)
        max_bytes = notifier.max_bytes(wanted_target,
                                       notifying.settings.channel_options(wanted_channel))
        channel, target = wanted_channel, dict(wanted_target)
        if redirect:
            formats = formats | NOTIFIERS["file"].formats({}) | {EMAIL}
            max_bytes = max_bytes or NOTIFIERS["file"].max_bytes({})
            target = {"folder": redirect,
                      "to": _addresses(wanted_target) or [draft.receiver.name]}
            channel = "file"
        notices.append(notifying.renderer.render(
            draft, notice_id=uuid.uuid4().hex, channel=channel, target=target,
            formats=frozenset(formats), max_bytes=max_bytes, now=now))
    return notices


def _addresses(target: Mapping[str, Any]) -> list[str]:
    to = target.get("to")
    if isinstance(to, str):
        return [to]
    return [str(a) for a in to] if isinstance(to, list) else []


def deliver_outbox(store: Store, settings: Settings, *,
                   clock: Callable[[], datetime] = utc_now,
                   worker: str = "dispatcher",
                   wait_for_retries: timedelta | None = None,
                   stop: Callable[[], bool] | None = None) -> DispatchReport:
    options = {channel: settings.channel_options(channel) for channel in NOTIFIERS}
    return dispatch(store, notifier_factory(options), settings.delivery, worker=worker,
                    clock=clock, wait_for_retries=wait_for_retries, stop=stop)
