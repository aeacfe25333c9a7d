"""Inhibition: an alert that fires mutes related alerts that would only repeat it.

As in Alertmanager's `inhibit_rules`: while an alert matching `source` fires, an alert
matching `target` with the same values of the `equal` labels sends nothing (it is still
recorded, and listed as inhibited). The usual case: a red tolerance breach of a measure in
an area inhibits the amber decline warning of the same measure and area, so the team manager
reads one exception, not two.

Matchers are labels with globs (`rule`, `rule_type`, `severity`, `measure`, `area`, `team`,
...), plus the alert's `status` (red, amber, breach, warning, ...) and `subject`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict, Field

from alerting.alerts.state import Alert, AlertState
from alerting.model.fields import LabelValues, OneOrMany, globs_match

DEFAULT_EQUAL = ("subject", "area")


def alert_facts(labels: Mapping[str, str], *, status: str, subject: str,
                area: str | None) -> dict[str, str]:
    """What an inhibition matcher can look at: the labels, the status and the subject."""
    return {**labels, "status": status, "subject": subject, "area": area or ""}


def _facts(alert: Alert) -> dict[str, str]:
    return alert_facts(alert.labels, status=alert.status.value, subject=alert.subject,
                       area=alert.area)


class InhibitRule(BaseModel):
    """One `inhibit:` entry of the recipients file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: LabelValues = Field(min_length=1)
    target: LabelValues = Field(min_length=1)
    equal: OneOrMany = DEFAULT_EQUAL
    reason: str = ""

    def describe(self) -> str:
        def text(matchers: Mapping[str, tuple[str, ...]]) -> str:
            return ", ".join(f"{k}={'|'.join(v)}" for k, v in matchers.items())
        return f"{text(self.source)} inhibits {text(self.target)} " \
               f"with the same {' and '.join(self.equal)}"


def matches(matchers: Mapping[str, tuple[str, ...]], facts: Mapping[str, str]) -> bool:
    return all(globs_match(facts.get(key), patterns) for key, patterns in matchers.items())


@dataclass(frozen=True)
class Inhibitor:
    """A firing alert that mutes another, and the rule that says so."""

    identity: str
    rule: InhibitRule


@dataclass
class _Sources:
    """Per `equal` values, firing alerts matching a rule's source: one that does not also
    match its target (it may inhibit anything) and up to two that do (they may inhibit only
    what matches the source side alone, as in Alertmanager, so no two alerts mute each other)."""

    one_sided: dict[tuple[str, ...], str]
    two_sided: dict[tuple[str, ...], list[str]]


def inhibitors(alerts: Iterable[tuple[str, Mapping[str, str]]],
               rules: Sequence[InhibitRule]) -> list[_Sources]:
    """For each rule, the firing alerts matching its source, by their `equal` values.
    `alerts` are (identity, facts) of firing alerts."""
    found = [_Sources({}, {}) for _ in rules]
    for identity, facts in alerts:
        for rule, sources in zip(rules, found, strict=True):
            if not matches(rule.source, facts):
                continue
            key = tuple(facts.get(k, "") for k in rule.equal)
            if matches(rule.target, facts):
                two = sources.two_sided.setdefault(key, [])
                if len(two) < 2:
                    two.append(identity)
            else:
                sources.one_sided.setdefault(key, identity)
    return found


def inhibitor_of(identity: str, facts: Mapping[str, str], rules: Sequence[InhibitRule],
                 sources: Sequence[_Sources]) -> Inhibitor | None:
    """The first firing alert that inhibits this one (never itself), if any."""
    for rule, found in zip(rules, sources, strict=True):
        if not matches(rule.target, facts):
            continue
        key = tuple(facts.get(k, "") for k in rule.equal)
        source = found.one_sided.get(key)
        if source is None and not matches(rule.source, facts):
            source = next((s for s in found.two_sided.get(key, []) if s != identity), None)
        if source is not None and source != identity:
            return Inhibitor(source, rule)
    return None


def with_inhibitions(alerts: Sequence[Alert], rules: Sequence[InhibitRule], *,
                     others: Iterable[Alert] = ()) -> list[Alert]:
    """Each alert with `inhibited_by` set to the firing alert that mutes it now, or None.

    `others` are alerts this pass did not update (their rules were not evaluated now) that
    may still be firing, and so may inhibit.
    """
    if not rules:
        return [a if a.inhibited_by is None else replace(a, inhibited_by=None) for a in alerts]
    facts = {a.identity: _facts(a) for a in alerts}
    firing = [(a.identity, facts[a.identity]) for a in alerts if a.state is AlertState.FIRING]
    firing += [(a.identity, _facts(a)) for a in others
               if a.state is AlertState.FIRING and a.identity not in facts]
    sources = inhibitors(firing, rules)
    result = []
    for alert in alerts:
        found = (inhibitor_of(alert.identity, facts[alert.identity], rules, sources)
                 if alert.state is AlertState.FIRING else None)
        inhibited_by = found.identity if found else None
        result.append(alert if alert.inhibited_by == inhibited_by
                      else replace(alert, inhibited_by=inhibited_by))
    return result


def inhibitor_among(identity: str, facts: Mapping[str, str],
                    firing: Sequence[tuple[str, Mapping[str, str]]],
                    rules: Sequence[InhibitRule]) -> Inhibitor | None:
    """Which of these firing alerts (identity, facts) inhibits the one given, if any."""
    return inhibitor_of(identity, facts, rules, inhibitors(firing, rules)) if rules else None
