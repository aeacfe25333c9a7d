"""CLI commands for notices: notify, preview, silence, routes test, outbox, alerts."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from alerting.alerts.silences import (
    Silence,
    add_silence,
    expire_silence,
    load_silences,
    new_silence_id,
    silence_ends,
)
from alerting.config.ruleset import RuleSet, load_rules
from alerting.config.settings import Settings
from alerting.model.clock import Clock, local_today, utc_now
from alerting.model.durations import interval_text
from alerting.model.problems import ProblemsFound
from alerting.pipeline import (
    Notifying,
    deliver_outbox,
    evaluate_data,
    notice_pass,
    notify,
    read_data,
    renderer_for,
    with_trends,
)
from alerting.rendering.render import Renderer, ServiceInfo, TemplateProblem
from alerting.routing.routes import Receiver, Routing, load_routing
from alerting.store import Store
from alerting.store.locks import cycle_lock
from notifiers import previewed_documents


def today(settings: Settings, clock: Clock = utc_now) -> date:
    """Today where the council is (the config's time zone)."""
    return local_today(clock, settings.timezone)


def _print_problems(exc: ProblemsFound) -> int:
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    return 2


def _ruleset(settings: Settings) -> RuleSet:
    ruleset = load_rules(settings.rule_paths())
    for problem in ruleset.problems:
        print(problem, file=sys.stderr)
    return ruleset


def notifying(settings: Settings) -> Notifying:
    """Recipients, silences and templates from the paths in the settings."""
    routing = load_routing(Path(settings.recipients))
    silences = load_silences(Path(settings.silences))
    for problem in silences.problems:
        print(problem, file=sys.stderr)
    templates = Path(settings.templates)
    renderer = Renderer(templates if templates.is_dir() else None,
                        ServiceInfo(authority=settings.authority or "", link=settings.link))
    return Notifying(routing, silences, renderer, settings)


def notify_command(args: argparse.Namespace, settings: Settings, *,
                   clock: Clock | None = None) -> int:
    clock = clock or utc_now  # read when called, so a test can set the time
    try:
        setup = notifying(settings)
    except ProblemsFound as exc:
        return _print_problems(exc)
    ruleset = _ruleset(settings)
    try:
        # The worker's jobs and this command update the same alert state: one at a time.
        with Store.open(settings.database_url) as store, \
                cycle_lock(store.engine, wait=settings.worker.lock_wait) as held:
            if not held:
                print("error: a run held the cycle lock for longer than worker.lock_wait",
                      file=sys.stderr)
                return 1
            outcome = notify(store, ruleset, setup, args.as_of or today(settings, clock),
                             deliver=not args.no_send, clock=clock)
    except TemplateProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for failure in outcome.evaluation.failures:
        print(f"rule '{failure.rule}' failed: {failure.error}", file=sys.stderr)
    changes: dict[str, int] = {}
    for update in outcome.updates:
        changes[update.change.value] = changes.get(update.change.value, 0) + 1
    print("alerts: " + (", ".join(f"{n} {c}" for c, n in sorted(changes.items())) or "none")
          + f"; {outcome.silenced} silenced")
    print(f"notices queued: {len(outcome.notices)}")
    for notice in outcome.notices:
        print(f"  {notice.receiver} ({notice.channel}): {notice.subject}")
    if outcome.delivery is not None:
        print(f"delivery: {outcome.delivery}")
        if settings.redirect_to_folder:
            print(f"notices written to {settings.redirect_to_folder}/")
    failed = outcome.evaluation.failures or (outcome.delivery and outcome.delivery.dead)
    return 1 if failed else 0


def preview_command(args: argparse.Namespace, settings: Settings, *,
                    clock: Clock | None = None) -> int:
    """Render what a rule's current alerts would look like, without sending or recording."""
    clock = clock or utc_now  # read when called, so a test can set the time
    try:
        setup = notifying(settings)
    except ProblemsFound as exc:
        return _print_problems(exc)
    ruleset = _ruleset(settings)
    if args.rule not in {r.id for r in ruleset.rules}:
        print(f"error: no rule '{args.rule}' in {', '.join(settings.rules)}", file=sys.stderr)
        return 2
    with Store.open(settings.database_url) as store:
        data = read_data(store, ruleset)
    as_of = args.as_of or today(settings, clock)
    evaluation = evaluate_data(ruleset, data, as_of, settings.rag_scheme,
                               calendar=settings.calendar.working_calendar())
    findings = with_trends([f for f in evaluation.exceptions if f.rule == args.rule], data)
    if not findings:
        print(f"Rule '{args.rule}' finds no exceptions as of {as_of}.")
        return 0
    receiver = _preview_receiver(setup.routing, args.receiver, findings[0].labels)
    if receiver is None:
        return 2
    # The email, or one document a channel declares (by its `templates:` key: teams,
    # messagecard), rendered for a placeholder target, posting nowhere, of its channel.
    document = previewed_documents().get(args.format)
    channel, target = ("email", {"to": ["preview@example.invalid"]}) if document is None \
        else (document.channel, dict(document.preview_target))
    # Every receiver's channels replaced by one placeholder: nothing can be sent.
    routing = replace(setup.routing, receivers={
        name: r.model_copy(update={"channels": {channel: target}})
        for name, r in setup.routing.receivers.items()})
    preview_settings = setup.settings.model_copy(update={"redirect_to_folder": None})
    now = clock()
    # The notice pass as the first run would make it (no earlier notices, no silences),
    # so the receiver sees its route's grouping and templates, and counts of children it is
    # not entitled to see.
    try:
        done = notice_pass(
            {}, findings, evaluated={args.rule}, known={args.rule}, now=now, routing=routing,
            log={}, rule_titles=ruleset.rule_titles(), rule_templates=ruleset.rule_templates(),
            render=renderer_for(Notifying(routing, setup.silences, setup.renderer,
                                          preview_settings), now))
    except TemplateProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    notices = [n for n in done.notices if n.receiver == receiver.name]
    if not notices:
        print(f"Receiver '{receiver.name}' would get no notice of rule '{args.rule}' "
              f"(its routes do not match these alerts).")
        return 0
    notice = notices[0]
    if document is not None:
        shown = notice.documents[document.name]
        print(json.dumps(shown, indent=2, ensure_ascii=False) if document.is_json else shown)
    elif args.format == "html":
        print(notice.html)
    else:
        print(f"To: {receiver.display_title}\nSubject: {notice.subject}\n\n{notice.text}")
    return 0


def _preview_receiver(routing: Routing, name: str | None,
                      labels: Mapping[str, str]) -> Receiver | None:
    if name:
        if name not in routing.receivers:
            print(f"error: no receiver '{name}' in {routing.file} (receivers: "
                  f"{', '.join(sorted(routing.receivers))})", file=sys.stderr)
            return None
        return routing.receivers[name]
    routes = routing.routes_for(labels)
    return routing.receivers[routes[0].receiver] if routes else None


def silence_command(args: argparse.Namespace, settings: Settings, *,
                    clock: Clock | None = None) -> int:
    clock = clock or utc_now  # read when called, so a test can set the time
    path = Path(settings.silences)
    now = clock()
    try:
        if args.silence_command == "add":
            return _silence_add(args, path, now)
        if args.silence_command == "expire":
            try:
                ended = expire_silence(path, args.id, now)
            except KeyError:
                print(f"error: no silence '{args.id}' in {path}", file=sys.stderr)
                return 1
            print(f"expired {ended.id}: {ended.describe()}")
            return 0
    except ProblemsFound as exc:
        return _print_problems(exc)
    current = load_silences(path)
    for problem in current.problems:
        print(problem, file=sys.stderr)
    shown = [s for s in current.silences if args.all or now < s.ends]
    if not shown:
        print("No active silences." if not args.all else "No silences.")
        return 1 if current.problems else 0
    for silence in shown:
        state = "active" if silence.is_active(now) else \
            ("pending" if silence.starts and silence.starts > now else "expired")
        print(f"{silence.id}  {state:8} {silence.describe()}")
    return 1 if current.problems else 0


def _silence_add(args: argparse.Namespace, path: Path, now: datetime) -> int:
    try:
        ends = silence_ends(args.until, now)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    labels = {}
    for pair in args.label or []:
        key, sep, value = pair.partition("=")
        if not sep:
            print(f"error: --label must look like key=value, got {pair!r}", file=sys.stderr)
            return 2
        labels[key.strip()] = value.strip()
    from pydantic import ValidationError

    try:
        silence = Silence(id=new_silence_id(), alert=args.alert or (), rule=args.rule or (),
                          measure=args.measure or (), area=args.area or (),
                          team=args.team or (), labels=labels, ends=ends, reason=args.reason,
                          author=args.author, created=now)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            message = str(error.get("msg", "")).removeprefix("Value error, ")
            where = ".".join(str(p) for p in error.get("loc", ())) or "silence"
            print(f"error: {where}: {message}", file=sys.stderr)
        return 2
    add_silence(path, silence)
    print(f"added {silence.id}: {silence.describe()}")
    return 0


def routes_command(args: argparse.Namespace, settings: Settings) -> int:
    """Show who would receive an alert with these labels, and how."""
    try:
        routing = load_routing(Path(settings.recipients))
    except ProblemsFound as exc:
        return _print_problems(exc)
    labels: dict[str, str] = {}
    for pair in args.labels:
        key, sep, value = pair.partition("=")
        if not sep:
            print(f"error: labels look like key=value, got {pair!r}", file=sys.stderr)
            return 2
        labels[key.strip()] = value.strip()
    child_level = labels.get("rule_type") == "case_duration" or "child" in labels
    for route in routing.routes_for(labels):
        receiver = routing.receiver(route.receiver)
        detail = ""
        if child_level:
            team = labels.get("team") or labels.get("area")
            detail = ("child-level detail" if receiver.may_see_children_of(team)
                      else "counts only (not entitled to this team's children)")
            detail = f", {detail}"
        channels = ", ".join(receiver.channels)
        print(f"{receiver.name} ({receiver.display_title}) via {channels}: {route.group.value}, "
              f"repeat every {interval_text(route.repeat_interval)}, resolved notices "
              f"{'on' if route.send_resolved else 'off'}{detail}  [{route.path}]")
    return 0


def outbox_command(args: argparse.Namespace, settings: Settings) -> int:
    with Store.open(settings.database_url) as store:
        if args.outbox_command == "retry":
            count = store.retry_dead(args.ids or None)
            print(f"{count} dead notice(s) queued again")
            if count and not args.no_send:
                print(f"delivery: {deliver_outbox(store, settings)}")
            return 0
        statuses = [args.status] if args.status else None
        entries = store.outbox(statuses, limit=args.limit)
        counts = store.outbox_counts()
    if not entries:
        print("The outbox is empty." if not statuses else f"No {args.status} notices.")
    for entry in entries:
        error = f"  last error: {entry.last_error}" if entry.last_error and \
            entry.status != "sent" else ""
        if entry.status == "pending" and entry.attempts == 0 and \
                entry.next_attempt_at > entry.created_at:
            error += f"  held by quiet hours until {entry.next_attempt_at:%Y-%m-%d %H:%M} UTC"
        print(f"{entry.id[:12]}  {entry.status:7}  {entry.created_at:%Y-%m-%d %H:%M}  "
              f"attempts {entry.attempts}  {entry.receiver} ({entry.channel}): "
              f"{entry.subject}{error}")
    print(", ".join(f"{n} {s}" for s, n in counts.items()))
    return 0


def alerts_command(args: argparse.Namespace, settings: Settings) -> int:
    with Store.open(settings.database_url) as store:
        found = store.alerts(firing_only=not args.all)
    if not found:
        print("No open alerts." if not args.all else "No alerts recorded.")
        return 0
    order = sorted(found.values(), key=lambda a: (a.state.value, -a.severity.rank, a.rule,
                                                  a.identity))
    for alert in order:
        silenced = (f"  silenced by {alert.silenced_by}" if alert.silenced_by else
                    f"  inhibited by {alert.inhibited_by}" if alert.inhibited_by else "")
        print(f"{alert.state.value:8} {alert.status.value:20} {alert.severity.value:8} "
              f"since {alert.started_at:%Y-%m-%d}  {alert.identity}{silenced}")
    return 0
