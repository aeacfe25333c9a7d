"""Self-monitoring: the service tells a person when it cannot do its job.

Each check is a finding about the service itself (rule `service:<check>`), followed as an
alert like any other: an operations notice goes to the admin receiver when it starts, at
the repeat interval while it lasts, and when it is resolved. Broken rule files also go
to the rule authors (the performance leads). Silences work on them as on any alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from alerting.alerts.silences import Silences
from alerting.alerts.state import AlertState, AlertUpdate
from alerting.config.settings import Settings
from alerting.model.durations import interval_text
from alerting.model.findings import Finding, Severity, Status
from alerting.pipeline import Notifying, commit_notice_pass, notice_pass, renderer_for
from alerting.rendering.render import Renderer
from alerting.routing.routes import Route, Routing
from alerting.service.data_sources import last_changed, missing_reason
from alerting.service.rule_keeper import BrokenFile
from alerting.store import Store
from alerting.store.service import ABANDONED, FAILED, RunRecord
from notifiers import Notice

log = structlog.get_logger(__name__)

PREFIX = "service:"
RULE_FILE = "service:rule-file"
SOURCE_MISSING = "service:source-missing"
SOURCE_STALE = "service:source-stale"
RUN_FAILED = "service:run-failed"
DEAD_NOTICES = "service:dead-notices"
OUTBOX_BACKLOG = "service:outbox-backlog"

CHECK_TITLES = {
    RULE_FILE: "csc-alerting: rule file has errors",
    SOURCE_MISSING: "csc-alerting: data source cannot be read",
    SOURCE_STALE: "csc-alerting: data source is out of date",
    RUN_FAILED: "csc-alerting: run failed",
    DEAD_NOTICES: "csc-alerting: notices could not be delivered",
    OUTBOX_BACKLOG: "csc-alerting: notices are waiting to be sent",
}


def is_operations(rule: str) -> bool:
    return rule.startswith(PREFIX)


_SUBJECT_LABELS = {RULE_FILE: "Rule file", SOURCE_MISSING: "Data source",
                   SOURCE_STALE: "Data source", RUN_FAILED: "Job", DEAD_NOTICES: "Outbox",
                   OUTBOX_BACKLOG: "Outbox"}


def _finding(check: str, subject: str, message: str, severity: Severity, now: datetime,
             details: Mapping[str, object] | None = None) -> Finding:
    details = {"subject_label": _SUBJECT_LABELS[check], **(details or {})}
    return Finding(rule=check, rule_type="operations", subject=subject, subject_title=subject,
                   area=None, period=now.date(), period_label=now.strftime("%d %b %Y %H:%M"),
                   status=Status.BREACH, severity=severity, exception=True, message=message,
                   labels={"rule": check, "check": check.removeprefix(PREFIX),
                           "kind": "operations", "severity": severity.value},
                   details=details)


@dataclass(frozen=True)
class Checked:
    """This pass's operations findings, and which checks it actually made (a check not
    made this pass leaves its alerts as they were)."""

    findings: tuple[Finding, ...]
    checks: frozenset[str]


def check_rule_files(broken: Sequence[BrokenFile], now: datetime) -> Checked:
    findings = []
    for file in broken:
        shown = "; ".join(str(p) for p in file.problems[:5])
        more = f" (and {len(file.problems) - 5} more)" if len(file.problems) > 5 else ""
        findings.append(_finding(
            RULE_FILE, file.file, f"{file.summary}. {shown}{more}", Severity.HIGH, now,
            {"problems": [str(p) for p in file.problems],
             "last_good_in_force": file.last_good_saved}))
    return Checked(tuple(findings), frozenset({RULE_FILE}))


def check_sources(store: Store, settings: Settings, now: datetime) -> Checked:
    statuses = store.source_status()
    findings = []
    for source in settings.sources:
        status = statuses.get(source.name)
        reason = missing_reason(source, status)
        if reason:
            findings.append(_finding(SOURCE_MISSING, source.name,
                                     f"Data source '{source.name}' cannot be read: {reason}. "
                                     "Rules are evaluated on the data loaded before.",
                                     Severity.HIGH, now, {"reason": reason}))
            continue
        if source.refresh is None:
            continue
        changed = last_changed(source, status)
        if changed is None:
            continue
        age = now - changed
        if age > source.refresh:
            findings.append(_finding(
                SOURCE_STALE, source.name,
                f"Data source '{source.name}' last changed {changed:%d %b %Y %H:%M} UTC, "
                f"{_age(age.total_seconds())} ago; it is expected to change every "
                f"{interval_text(source.refresh)}.", Severity.MEDIUM, now,
                {"last_changed": changed.isoformat(), "refresh": interval_text(source.refresh)}))
    return Checked(tuple(findings), frozenset({SOURCE_MISSING, SOURCE_STALE}))


def check_runs(recent: Iterable[RunRecord], now: datetime) -> Checked:
    """The latest finished run of each job: failed or abandoned raises an alert."""
    latest: dict[str, RunRecord] = {}
    for run in recent:
        if run.finished and run.outcome not in ("skipped", "interrupted") and \
                run.job not in latest:
            latest[run.job] = run
    findings = [
        _finding(RUN_FAILED, job,
                 f"The '{job}' run {run.id} started {run.started_at:%d %b %Y %H:%M} UTC on "
                 f"{run.worker} {'failed' if run.outcome == FAILED else 'never finished'}: "
                 f"{run.error or 'no error recorded'}", Severity.HIGH, now,
                 {"run": run.id, "outcome": run.outcome})
        for job, run in sorted(latest.items()) if run.outcome in (FAILED, ABANDONED)]
    return Checked(tuple(findings), frozenset({RUN_FAILED}))


def check_outbox(store: Store, settings: Settings, now: datetime) -> Checked:
    counts = store.outbox_counts()
    findings = []
    if counts["dead"]:
        dead = store.outbox(["dead"], limit=20)
        receivers = sorted({e.receiver for e in dead})
        findings.append(_finding(
            DEAD_NOTICES, "outbox",
            f"{counts['dead']} notice(s) could not be delivered and will not be retried "
            f"(to {', '.join(receivers)}). See `alerting outbox list --status dead`; after "
            "fixing the address or channel, `alerting outbox retry` sends them again.",
            Severity.HIGH, now, {"dead": counts["dead"], "receivers": receivers}))
    waiting = counts["pending"] + counts["sending"]
    oldest = store.oldest_pending(now)
    limits = settings.operations
    too_old = oldest is not None and now - oldest > limits.backlog_age
    if waiting > limits.backlog_warn or too_old:
        since = f"; the oldest has waited since {oldest:%d %b %Y %H:%M} UTC" if oldest else ""
        findings.append(_finding(
            OUTBOX_BACKLOG, "outbox",
            f"{waiting} notice(s) are waiting to be sent{since}. Delivery may be failing "
            "(mail server or Teams unreachable) or the worker may not be running.",
            Severity.MEDIUM, now, {"waiting": waiting}))
    return Checked(tuple(findings), frozenset({DEAD_NOTICES, OUTBOX_BACKLOG}))


def _age(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours = rest // 3600
    if days:
        return f"{days} day(s) {hours} hour(s)"
    return f"{hours} hour(s) {rest % 3600 // 60} minute(s)"


def operations_routing(routing: Routing, settings: Settings) -> Routing | None:
    """Operations notices go to the admin; rule-file errors also to the rule authors."""
    ops = settings.operations
    if ops.admin is None and ops.rule_authors is None:
        return None
    routes: list[dict[str, object]] = []
    if ops.rule_authors:
        routes.append({"match": {"check": "rule-file"}, "receiver": ops.rule_authors,
                       "continue": True})
    if ops.admin:
        routes.append({"receiver": ops.admin})
    route = Route.model_validate({
        "receiver": ops.admin or ops.rule_authors, "group": "digest",
        "repeat_interval": ops.repeat_interval, "send_resolved": True, "routes": routes})
    return Routing(routing.receivers, route, routing.file)


@dataclass(frozen=True)
class OperationsOutcome:
    updates: tuple[AlertUpdate, ...]
    notices: tuple[Notice, ...]

    @property
    def firing(self) -> int:
        return sum(1 for u in self.updates if u.alert.state is AlertState.FIRING)


def notify_operations(store: Store, checked: Sequence[Checked], *, routing: Routing,
                      silences: Silences, renderer: Renderer, settings: Settings,
                      now: datetime) -> OperationsOutcome:
    """Update the operations alerts from this pass's checks and queue the notices due."""
    findings = [f for c in checked for f in c.findings]
    made = frozenset().union(*(c.checks for c in checked)) if checked else frozenset()
    previous = {k: a for k, a in store.alerts().items() if is_operations(a.rule)}
    for finding in findings:
        log.warning("service_problem", check=finding.rule, subject=finding.subject,
                    message=finding.message)
    ops_routing = operations_routing(routing, settings)
    if ops_routing is None and findings:
        log.error("no_admin_receiver", detail="operations.admin is not set in the service "
                  "config: nobody is told about these problems")
    render = (renderer_for(Notifying(ops_routing, silences, renderer, settings), now)
              if ops_routing is not None else None)
    done = notice_pass(previous, findings, evaluated=made, known=CHECK_TITLES.keys(), now=now,
                       routing=ops_routing, log=store.notification_log(), silences=silences,
                       rule_titles=CHECK_TITLES, render=render)
    commit_notice_pass(store, done, now)
    return OperationsOutcome(done.updates, done.notices)


def alarm_without_store(error: str, *, job: str, worker: str, routing: Routing,
                        silences: Silences, renderer: Renderer, settings: Settings,
                        now: datetime) -> list[str]:
    """When the database itself fails, the outbox cannot be used: render a run-failed
    notice for the admin and send it straight away, once, with no retry. Returns what
    each channel said (for the log)."""
    from alerting.delivery.dispatch import notifier_factory
    from notifiers import NOTIFIERS

    ops_routing = operations_routing(routing, settings)
    if ops_routing is None:
        return ["no operations.admin receiver: nobody can be told"]
    finding = _finding(RUN_FAILED, job, f"The '{job}' run on {worker} could not use the "
                       f"database: {error}. Nothing is evaluated or sent until it is back.",
                       Severity.CRITICAL, now)
    # A new alert, as if no earlier pass had seen it: told once, now.
    done = notice_pass({}, [finding], evaluated={RUN_FAILED}, known={RUN_FAILED}, now=now,
                       routing=ops_routing, log={}, rule_titles=CHECK_TITLES,
                       render=renderer_for(Notifying(ops_routing, silences, renderer,
                                                     settings), now))
    build = notifier_factory({c: settings.channel_options(c) for c in NOTIFIERS})
    said = []
    for notice in done.notices:
        with build(notice.channel) as notifier:
            result = notifier.send(notice)
        said.append(f"{notice.receiver} ({notice.channel}): "
                    f"{'sent' if result.ok else 'FAILED ' + result.detail}")
    return said
