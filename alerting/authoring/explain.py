"""`alerting explain`: why a rule fired or did not for one subject, in plain English.

It runs the real engine for the one rule as of the date with every rating kept (not only the
exceptions), picks the findings for the subject and area, and has `explain_text` retell each
one. Silences are the ones in force today, whatever the as-of date.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from alerting.alerts.inhibition import InhibitRule, alert_facts, inhibitor_among
from alerting.alerts.silences import Silences, load_silences
from alerting.authoring.explaining import explain, plural_kind, selection_mismatch, silence_sentence
from alerting.authoring.explaining.facts import (
    Look,
    Plan,
    Point,
    Probe,
    child_events,
    child_plans,
    close_ids,
    find_id,
    measure_areas,
    risk_points,
    series_points,
)
from alerting.config.ruleset import RuleSet, load_rules
from alerting.config.settings import Settings
from alerting.model.calendar import WorkingCalendar, england_and_wales
from alerting.model.catalogue import Measure
from alerting.model.clock import Clock, local_today, utc_now
from alerting.model.events import EventRecord
from alerting.model.findings import Finding, alert_identity
from alerting.model.problems import ProblemsFound
from alerting.pipeline import evaluate_data, read_data
from alerting.routing.routes import load_routing
from alerting.rules import EvaluationContext, EvaluationData, RagScheme, Rule
from alerting.rules.evaluation import evaluate
from alerting.store import Store

_SINGULAR = {"measures": "measure", "risks": "strategic risk", "cases": "child",
             "events": "child"}


class ExplainError(Exception):
    """Bad input: an unknown rule, subject or area (exit 2)."""


def _suggest(wanted: str, known: Sequence[str]) -> str:
    close = close_ids(wanted, known)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def find_rule(ruleset: RuleSet, wanted: str) -> Rule:
    ids = [r.id for r in ruleset.rules]
    found = find_id(wanted, ids)
    if found is None:
        raise ExplainError(f"no rule '{wanted}' in the rule files{_suggest(wanted, ids)}")
    return next(r for r in ruleset.rules if r.id == found)


def subject_ids(data: EvaluationData) -> dict[str, list[str]]:
    """Every id a rule could look at, by what rules apply to."""
    measures = sorted(set(data.catalogue.measures) | set(data.observations.measure_ids))
    return {"measures": measures, "risks": list(data.risks.risk_ids),
            "cases": sorted({str(c) for c in data.cases.child_id}),
            "events": sorted(set(data.events.child_id))}


def find_subject(ruleset: RuleSet, rule: Rule, wanted: str, data: EvaluationData) -> str:
    ids = subject_ids(data)
    found = find_id(wanted, ids[rule.applies_to])
    if found is not None:
        return found
    for kind, known in ids.items():
        other = find_id(wanted, known)
        if other is not None:
            fitting = [r.id for r in ruleset.rules if r.applies_to == kind]
            raise ExplainError(
                f"rule '{rule.id}' looks at {plural_kind(rule.applies_to)}, and '{other}' is a "
                f"{_SINGULAR[kind]}; rules that look at {plural_kind(kind)}: "
                f"{', '.join(fitting) or 'none'}")
    where = {"measures": "the catalogue or the stored data", "risks": "the risk register data",
             "cases": "the case records", "events": "the child-level events"}[rule.applies_to]
    raise ExplainError(f"no {_SINGULAR[rule.applies_to]} '{wanted}' in {where}"
                       f"{_suggest(wanted, ids[rule.applies_to])}")


@dataclass(frozen=True)
class Explaining:
    """One explain request once the rule, subject and data are known."""

    ruleset: RuleSet
    rule: Rule
    subject: str
    as_of: date
    scheme: RagScheme
    data: EvaluationData
    findings: tuple[Finding, ...]  # the rule's findings for the subject, every rating
    calendar: WorkingCalendar = field(default_factory=england_and_wales)

    def probe(self, area: str | None) -> Probe:
        """Evaluate a variant of the rule (e.g. a lower threshold) with the real engine."""
        def run(variant: Rule) -> Finding | None:
            context = EvaluationContext(self.as_of, self.scheme, include_all=True,
                                        calendar=self.calendar)
            found = evaluate([variant.model_copy(update={"enabled": True})], self.data, context)
            return next((f for f in found.findings
                         if f.subject == self.subject and f.area == area), None)
        return run

    def look(self, area: str | None, finding: Finding | None, *,
             labels: Mapping[str, str] | None = None, measure: Measure | None = None,
             catalogued: bool = True, points: tuple[Point, ...] = (),
             other_areas: tuple[str, ...] = (), plan: Plan | None = None,
             event: EventRecord | None = None, risk_title: str = "") -> Look:
        return Look(rule=self.rule, as_of=self.as_of, subject=self.subject, area=area,
                    finding=finding, measure=measure,
                    catalogued=catalogued, risk_title=risk_title, points=points, plan=plan,
                    event=event,
                    other_areas=other_areas, probe=self.probe(area),
                    labels=labels if labels is not None else {}, calendar=self.calendar)


def _finding_in(findings: Sequence[Finding], area: str | None) -> Finding | None:
    return next((f for f in findings if f.area == area), None)


def measure_looks(job: Explaining, area: str | None) -> list[Look]:
    data, rule = job.data, job.rule
    measure = data.catalogue.get(job.subject)
    areas = measure_areas(data.observations, job.subject)
    catalogued = job.subject in data.catalogue

    def labels(area_name: str | None) -> dict[str, str]:
        return rule.finding_labels(measure=measure.id, area=area_name,
                                   service_area=measure.service_area)

    whole = job.look(None, _finding_in(job.findings, None), labels=labels(None),
                     measure=measure, catalogued=catalogued)
    if selection_mismatch(whole) or not areas:
        return [whole]  # not selected at all, or no data in any area
    if area is not None:
        matched = find_id(area, areas)
        if matched is None:
            known = find_id(area, data.observations.areas)
            if known is None:
                raise ExplainError(f"no area '{area}' in the stored data"
                                   f"{_suggest(area, data.observations.areas)}")
            return [job.look(known, None, labels=labels(known), measure=measure,
                             catalogued=catalogued, other_areas=tuple(areas))]
        areas = [matched]
    looks = []
    for name in areas:
        finding = _finding_in(job.findings, name)
        looks.append(job.look(
            name, finding, labels=finding.labels if finding else labels(name), measure=measure,
            catalogued=catalogued, points=series_points(data.observations, job.subject, name)))
    return looks


def risk_looks(job: Explaining, area: str | None) -> list[Look]:
    if area is not None:
        print("note: strategic risks have no area; --area is ignored", file=sys.stderr)
    risks = job.data.risks
    finding = _finding_in(job.findings, None)
    labels = finding.labels if finding else job.rule.finding_labels(
        risk=job.subject, owner=risks.owners.get(job.subject))
    return [job.look(None, finding, points=risk_points(risks, job.subject),
                     risk_title=risks.titles.get(job.subject, ""), labels=labels)]


def case_looks(job: Explaining, area: str | None) -> list[Look]:
    plans = child_plans(job.data.cases, job.subject)
    if area is not None:
        held = [p for p in plans if find_id(area, [p.team, p.locality or ""]) is not None]
        if not held:
            cases = job.data.cases
            places = sorted({str(t) for t in cases.team} | {str(x) for x in cases.locality if x})
            if find_id(area, places) is None:
                raise ExplainError(f"no team or locality '{area}' in the case records"
                                   f"{_suggest(area, places)}")
            raise ExplainError(f"child {job.subject} has no plan held by '{area}' (its plans "
                               f"are held by {', '.join(sorted({p.team for p in plans}))})")
        plans = tuple(held)
    looks = []
    for plan in plans:
        finding = next((f for f in job.findings if f.area == plan.team
                        and str(f.details.get("start_date")) == plan.start.isoformat()), None)
        labels = finding.labels if finding else job.rule.finding_labels(
            team=plan.team, locality=plan.locality, child=job.subject, plan_type=plan.plan_type)
        looks.append(job.look(plan.team, finding, plan=plan, labels=labels))
    return looks


def event_looks(job: Explaining, area: str | None) -> list[Look]:
    """One look per event of the rule's kind the child has (the finding is for the one the
    rule reported: the child's most overdue)."""
    kind = getattr(job.rule, "kind", None)
    events = child_events(job.data.events, job.subject, str(kind) if kind else None)
    if area is not None:
        events = tuple(e for e in events
                       if find_id(area, [e.team or "", e.locality or ""]) is not None)
        if not events:
            raise ExplainError(f"child {job.subject} has no {kind} event held by '{area}'")
    if not events:
        return [job.look(None, None)]
    looks = []
    for event in events:
        finding = next((f for f in job.findings if f.area == (event.team or "")
                        and f.details.get("start_date") == event.start_date), None)
        labels = finding.labels if finding else job.rule.finding_labels(
            team=event.team, locality=event.locality, child=job.subject, kind=str(kind))
        looks.append(job.look(event.team, finding, event=event, labels=labels))
    return looks


_LOOKS = {"measures": measure_looks, "risks": risk_looks, "cases": case_looks,
          "events": event_looks}


def alert_labels(look: Look) -> dict[str, str]:
    """The labels silences see, as the pipeline gives them (with the alert's identity)."""
    labels = dict(look.finding.labels) if look.finding else dict(look.labels)
    labels.setdefault("alert", alert_identity(look.rule.id, look.subject, look.area))
    return labels


def with_silences(look: Look, silences: Silences, now: datetime,
                  inhibition: Inhibition | None = None) -> str:
    """The paragraph for a look, with what today's silences and the inhibit rules do to it."""
    text = explain(look)
    if selection_mismatch(look):
        return text
    matching = [s for s in silences.silences if s.matches(alert_labels(look))]
    active = next((s for s in matching if s.is_active(now)), None)
    inactive = [s for s in matching if s is not active and not s.is_active(now)]
    sentence = silence_sentence(look, active, inactive, now)
    text = f"{text} {sentence}" if sentence else text
    inhibited = inhibition.sentence(look) if inhibition is not None and look.fired else ""
    return f"{text} {inhibited}" if inhibited else text


@dataclass(frozen=True)
class Inhibition:
    """The inhibit rules of the recipients file and the alerts firing as of the date."""

    rules: tuple[InhibitRule, ...]
    firing: Mapping[str, Finding]  # by identity
    titles: Mapping[str, str]

    def sentence(self, look: Look) -> str:
        assert look.finding is not None
        found = inhibitor_among(look.finding.identity, _facts(look.finding),
                                [(i, _facts(f)) for i, f in self.firing.items()], self.rules)
        if found is None:
            return ""
        source = self.firing[found.identity]
        why = f" ({found.rule.reason})" if found.rule.reason else ""
        return (f"But rule {source.rule} ({self.titles.get(source.rule, source.rule)}) also "
                f"fires for {source.subject}{' in ' + source.area if source.area else ''} "
                f"({source.status.value.upper()}), and the recipients file's inhibit rule "
                f"({found.rule.describe()}) mutes this alert while it does{why}: it is "
                "recorded, and nobody is sent a notice about it.")


def _inhibition(settings: Settings, ruleset: RuleSet, data: EvaluationData,
                as_of: date) -> Inhibition | None:
    """What the inhibit rules would do as of the date; None without any (or without a
    readable recipients file, which is said)."""
    try:
        routing = load_routing(Path(settings.recipients))
    except ProblemsFound as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None
    if not routing.inhibit:
        return None
    found = evaluate_data(ruleset, data, as_of, settings.rag_scheme,
                          calendar=settings.calendar.working_calendar())
    return Inhibition(routing.inhibit, {f.identity: f for f in found.exceptions},
                      ruleset.rule_titles())


def _facts(finding: Finding) -> dict[str, str]:
    return alert_facts(finding.labels, status=finding.status.value, subject=finding.subject,
                       area=finding.area)


def _engine_rules(ruleset: RuleSet, rule: Rule) -> RuleSet:
    """The rule set with this rule enabled, so a disabled rule can say what it would find."""
    if rule.enabled:
        return ruleset
    return replace(ruleset, rules=tuple(r.model_copy(update={"enabled": True}) if r is rule
                                        else r for r in ruleset.rules))


def _rule_file(ruleset: RuleSet, rule: Rule) -> str:
    return next((o.file for o in ruleset.files if rule in o.rules), "its rule file")


@dataclass(frozen=True)
class Explained:
    """What explain says: one paragraph per area (or plan), and notes around them."""

    paragraphs: tuple[str, ...]
    disabled_note: str = ""
    silences_note: str = ""
    failures: tuple[str, ...] = ()


def explain_subject(ruleset: RuleSet, settings: Settings, data: EvaluationData, *,
                    rule_id: str, subject: str, area: str | None, as_of: date,
                    silences: Silences, now: datetime, today: date) -> Explained:
    """Why rule `rule_id` fired or did not for one subject, as of a date, in plain English.
    Raises ExplainError for an unknown rule, subject or area. The CLI and the web page's
    alert view both call this."""
    rule = find_rule(ruleset, rule_id)
    found = find_subject(ruleset, rule, subject, data)
    calendar = settings.calendar.working_calendar()
    evaluation = evaluate_data(_engine_rules(ruleset, rule), data, as_of,
                               settings.rag_scheme, include_all=True, only={rule.id},
                               calendar=calendar)
    if evaluation.failures:
        return Explained((), failures=tuple(f"rule '{f.rule}' failed: {f.error}"
                                            for f in evaluation.failures))
    job = Explaining(ruleset, rule, found, as_of, settings.rag_scheme, data,
                     tuple(f for f in evaluation.findings if f.subject == found), calendar)
    looks = _LOOKS[rule.applies_to](job, area)
    inhibition = (_inhibition(settings, ruleset, data, as_of)
                  if any(look.fired for look in looks) else None)
    disabled = (f"Rule {rule.id} is disabled (enabled: false in {_rule_file(ruleset, rule)}), "
                "so it finds nothing and sends nothing. Were it enabled:"
                if not rule.enabled else "")
    mentioned = any(look.fired or any(s.matches(alert_labels(look)) for s in silences.silences)
                    for look in looks if not selection_mismatch(look))
    note = (f"Silences are as they stand today ({today.isoformat()}), not as of "
            f"{as_of.isoformat()}: a silence in force on that date may since have ended."
            if as_of != today and mentioned else "")
    return Explained(tuple(with_silences(look, silences, now, inhibition) for look in looks),
                     disabled, note)


def explain_command(args: argparse.Namespace, settings: Settings, *,
                    clock: Clock | None = None) -> int:
    clock = clock or utc_now  # read when called, so a test can set the time
    ruleset = load_rules(args.rules or settings.rule_paths())
    for problem in ruleset.problems:
        print(problem, file=sys.stderr)
    today = local_today(clock, settings.timezone)
    as_of: date = args.as_of or today
    silences = load_silences(Path(settings.silences))
    for problem in silences.problems:
        print(problem, file=sys.stderr)
    try:
        find_rule(ruleset, args.rule)
        with Store.open(settings.database_url) as store:
            data = read_data(store, ruleset)
        explained = explain_subject(ruleset, settings, data, rule_id=args.rule,
                                    subject=args.subject, area=args.area, as_of=as_of,
                                    silences=silences, now=clock(), today=today)
    except ExplainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for failure in explained.failures:
        print(failure, file=sys.stderr)
    if explained.failures:
        return 1
    if explained.disabled_note:
        print(explained.disabled_note + "\n")
    print("\n\n".join(explained.paragraphs))
    if explained.silences_note:
        print("\n" + explained.silences_note)
    return 0
