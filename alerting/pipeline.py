"""The pipeline in one place.

A run of a job (`run_job`): rules in force -> data sources -> derived measures -> the notice
cycle -> delivery.
The notice cycle (`notify`): gather data -> evaluate rules -> the notice pass -> outbox.
The notice pass (`notice_pass`, pure): alert state -> silences -> firing or resolved ->
routing and grouping -> rendering.

Each stage lives in its own module; this one only calls them in order. The service, the
CLI, the self-checks, backtest, preview and the benchmark all go through these functions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from alerting.alerts.inhibition import with_inhibitions
from alerting.alerts.silences import Silences
from alerting.alerts.state import Alert, AlertState, AlertUpdate, Change, Notified, update_alerts
from alerting.config.ruleset import RuleSet
from alerting.config.settings import Settings
from alerting.delivery.dispatch import DispatchReport, dispatch, notifier_factory
from alerting.derived import DerivedMeasure, derive_measures
from alerting.model.calendar import WorkingCalendar, england_and_wales
from alerting.model.clock import Clock, utc_now
from alerting.model.findings import Finding
from alerting.model.memory import release_freed_memory
from alerting.rendering.render import Renderer
from alerting.routing.grouping import NoticeDraft, NoticePlan, plan_notices
from alerting.routing.quiet_hours import LocalTime
from alerting.routing.routes import Routing
from alerting.rules import EvaluationContext, EvaluationData, RagScheme, Rule
from alerting.rules.evaluation import Evaluation, evaluate
from alerting.rules.trends import recent_trends
from alerting.store import Store
from alerting.store.handling import Handling
from notifiers import EMAIL, NOTIFIERS, Notice


def gather(store: Store, ruleset: RuleSet) -> EvaluationData:
    """Read the stored data once, as columns, for every rule of a run.

    The whole history is read: rules look only at periods up to the as-of date, and one
    read serves many as-of dates (backtests) without going back to the database. The read's
    scratch memory (chunks, unsorted columns) is handed back to the operating system.
    """
    data = EvaluationData(
        catalogue=ruleset.catalogue,
        observations=store.observation_frame(),
        risks=store.risk_frame(),
        cases=store.case_frame(),
        events=store.event_frame(),
    )
    release_freed_memory()
    return data


def derive_stored(store: Store, ruleset: RuleSet, settings: Settings) -> list[DerivedMeasure]:
    """Re-compute the catalogue's derived measures from the stored events (after the sources
    load, before the rules read the observations), in the service's working-day calendar."""
    return derive_measures(store, ruleset.catalogue, settings.calendar.working_calendar(),
                           settings.authority)


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


# --- the notice pass: alert state -> silences -> who is told -> rendered notices -------------

def to_tell(updates: Iterable[AlertUpdate]) -> list[Alert]:
    """The alerts a receiver may hear about this pass: those firing, and those resolved now."""
    return [u.alert for u in updates
            if u.alert.state is AlertState.FIRING or u.change is Change.RESOLVED]


@dataclass(frozen=True)
class NoticePass:
    """What one notice pass decided: every alert's new state, who is due what, and the
    rendered notices. Nothing is stored yet: `commit_notice_pass` does that in one go."""

    updates: tuple[AlertUpdate, ...]
    plan: NoticePlan
    notices: tuple[Notice, ...] = ()

    @property
    def alerts(self) -> list[Alert]:
        return [u.alert for u in self.updates]

    @property
    def silenced(self) -> int:
        return sum(1 for u in self.updates
                   if u.alert.silenced_by and u.alert.state is AlertState.FIRING)


_NOBODY = NoticePlan((), ())


def notice_pass(previous: Mapping[str, Alert], exceptions: Iterable[Finding], *,
                evaluated: Collection[str], known: Collection[str], now: datetime,
                routing: Routing | None,
                log: Mapping[tuple[str, str], Notified],
                rule_titles: Mapping[str, str],
                rule_templates: Mapping[str, Mapping[str, str]] | None = None,
                silences: Silences | None = None,
                render: Callable[[NoticeDraft], Iterable[Notice]] | None = None,
                describe: Callable[[Finding], Mapping[str, Any]] = Finding.to_json,
                local: LocalTime | None = None,
                ) -> NoticePass:
    """The notice pass, written once for every caller (notify, the self-checks, backtest,
    preview, the benchmark): update alert state from this pass's exceptions, mark the
    silenced and the inhibited (the routing's `inhibit:` rules), route the firing and
    resolved alerts, decide what each receiver is due, and
    render the due drafts. Pure: it reads and writes nothing.

    With `local` (the council's time zone and working days) a route's quiet hours hold its
    notices until its window opens.

    Without `routing` nobody is told (alert state is still kept); without `silences` none
    apply; without `render` the plan is made but no notice is rendered (a backtest counts
    them instead).
    """
    updates = update_alerts(previous, exceptions, evaluated, known, now, describe=describe)
    if silences is not None:
        updates = [replace(u, alert=with_silence(u.alert, silences, now)) for u in updates]
    if routing is None:
        return NoticePass(tuple(updates), _NOBODY)
    if routing.inhibit or any(u.alert.inhibited_by for u in updates):
        inhibited = with_inhibitions([u.alert for u in updates], routing.inhibit,
                                     others=previous.values())
        updates = [replace(u, alert=a) for u, a in zip(updates, inhibited, strict=True)]
    plan = plan_notices(to_tell(updates), log, routing, now, rule_titles=rule_titles,
                        rule_templates=rule_templates, local=local)
    notices = (tuple(n for draft in plan.drafts for n in render(draft))
               if render is not None else ())
    return NoticePass(tuple(updates), plan, notices)


def commit_notice_pass(store: Store, done: NoticePass, now: datetime) -> None:
    """Alert states, the notification log and the queued notices, in one transaction."""
    store.commit_run(done.alerts, done.plan.notified, done.notices, now=now)


def local_time(settings: Settings) -> LocalTime:
    """The council's time zone and working days, from the service settings."""
    return LocalTime(settings.zone(), settings.calendar.working_calendar())


def renderer_for(notifying: Notifying, now: datetime) -> Callable[[NoticeDraft], list[Notice]]:
    return lambda draft: render_draft(draft, notifying, now)


@dataclass(frozen=True)
class NotifyOutcome:
    evaluation: Evaluation
    updates: tuple[AlertUpdate, ...]
    notices: tuple[Notice, ...]
    silenced: int
    delivery: DispatchReport | None = None


def notify(store: Store, ruleset: RuleSet, notifying: Notifying, as_of: date, *,
           clock: Clock = utc_now, deliver: bool = True,
           only: Collection[str] | None = None) -> NotifyOutcome:
    """Evaluate, update alert state, commit due notices to the outbox, then deliver them.

    With `only`, just those rules are evaluated; other rules' alerts are left as they are.
    """
    now = clock()
    data = read_data(store, ruleset)
    evaluation = evaluate_data(ruleset, data, as_of, notifying.settings.rag_scheme, only=only,
                               calendar=notifying.settings.calendar.working_calendar())
    failed = {f.rule for f in evaluation.failures}
    # The service's own alerts (service:*) are kept by the self-monitoring checks.
    previous = {k: a for k, a in store.alerts().items() if not a.rule.startswith("service:")}
    done = notice_pass(
        previous, with_trends(evaluation.exceptions, data),
        evaluated={r.id for r in selected_rules(ruleset, only)} - failed,
        known={r.id for r in ruleset.rules}, now=now, routing=notifying.routing,
        log=store.notification_log(), silences=notifying.silences,
        rule_titles=ruleset.rule_titles(), rule_templates=ruleset.rule_templates(),
        render=renderer_for(notifying, now), local=local_time(notifying.settings),
        describe=with_handling(previous, store.handling()))
    commit_notice_pass(store, done, now)
    delivery = deliver_outbox(store, notifying.settings, clock=clock) if deliver else None
    return NotifyOutcome(evaluation, done.updates, done.notices, done.silenced, delivery)


def with_handling(previous: Mapping[str, Alert],
                  handling: Mapping[str, Handling]) -> Callable[[Finding], Mapping[str, Any]]:
    """Describe a finding with who is handling its open alert (a manager's note from the
    web page), so the notice says it is being handled."""
    current = {identity: entry for identity, entry in handling.items()
               if (alert := previous.get(identity)) and alert.state is AlertState.FIRING}

    def describe(finding: Finding) -> Mapping[str, Any]:
        described = finding.to_json()
        entry = current.get(finding.identity)
        if entry is not None:
            described["handled_by"] = {"name": entry.handled_by, "note": entry.note,
                                       "since": entry.set_at.isoformat()}
        return described
    return describe


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
        notice = notifying.renderer.render(
            draft, notice_id=uuid.uuid4().hex, channel=channel, target=target,
            formats=frozenset(formats), max_bytes=max_bytes, now=now)
        notices.append(replace(notice, not_before=draft.not_before) if draft.not_before
                       else notice)
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
    return dispatch(store, notifier_factory(options, now=clock), settings.delivery, worker=worker,
                    clock=clock, wait_for_retries=wait_for_retries, stop=stop)


# --- a run of a job: rules -> sources -> notices -> delivery ---------------------------------

@dataclass(frozen=True)
class JobPlan:
    """What one run does: which sources it loads, which rules it evaluates, as of when."""

    name: str
    sources: tuple[str, ...]
    rules: tuple[str, ...]
    as_of: date


@dataclass
class JobProgress:
    """What a run has done so far: kept when it stops between steps or fails in one."""

    problems: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    rows_rejected: int = 0
    ruleset: RuleSet | None = None
    notified: NotifyOutcome | None = None
    delivery: DispatchReport | None = None


def _carry_on(step: str) -> None:
    """Between two steps: go on (a service stops here by raising)."""


@dataclass(frozen=True)
class JobSteps:
    """How the caller does each step of a run; `run_job` decides their order. Each step
    may add to the progress (problems, rows loaded); `after` is called between steps and
    raises to stop the run there."""

    rules: Callable[[JobProgress], RuleSet]
    load: Callable[[str, JobProgress], None]
    notifying: Callable[[JobProgress], Notifying]
    deliver: Callable[[], DispatchReport]
    after: Callable[[str], None] = _carry_on


def run_job(store: Store, job: JobPlan, steps: JobSteps, progress: JobProgress, *,
            clock: Clock = utc_now) -> JobProgress:
    """One run: the rules in force, then each data source, then the derived measures, then
    the notice cycle for the job's rules (alert state and outbox in one transaction), then
    delivery."""
    ruleset = progress.ruleset = steps.rules(progress)
    steps.after("rules")
    for name in job.sources:
        steps.load(name, progress)
        steps.after(f"source {name}")
    only = rule_ids(ruleset, job.rules)
    if not only:
        progress.problems.append(f"the job's rules ({', '.join(job.rules)}) match no rule "
                                 "in force")
    notifying = steps.notifying(progress)
    try:
        derive_stored(store, ruleset, notifying.settings)  # each measure logs its counts
    except Exception as exc:  # the loaded figures are still worth evaluating
        progress.problems.append(f"derived measures were not computed: "
                                 f"{type(exc).__name__}: {exc}")
    steps.after("derive")
    outcome = progress.notified = notify(store, ruleset, notifying, job.as_of, clock=clock,
                                         deliver=False, only=only)
    progress.problems.extend(f"rule '{f.rule}' failed: {f.error}"
                             for f in outcome.evaluation.failures)
    steps.after("evaluate")
    delivery = progress.delivery = steps.deliver()
    if delivery.dead:
        progress.problems.append(f"{delivery.dead} notice(s) could not be delivered")
    return progress
