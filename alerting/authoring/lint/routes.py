"""Lint the route tree (`config/recipients.yaml`) against the labels the rules give alerts.

A route that matches a label no rule sets (`teem:`), or values no rule's alerts can have
(`rule: cp-over-2yrs`), never receives anything, and nobody notices until an alert goes
missing. Each rule's labels are worked out offline: its own (rule, rule_type, severity and
the `labels:` it sets), the catalogue measures it selects, and the keys whose values only the
data knows (area, team, risk, ...), which match anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from alerting.authoring.lint.rule_files import (
    catalogue_is_complete,
    did_you_mean,
    field_name,
    selected_measures,
    warning,
)
from alerting.config.ruleset import RuleSet
from alerting.model.catalogue import Catalogue
from alerting.model.fields import globs_match
from alerting.model.findings import Severity
from alerting.model.problems import PathKey, Problem, ProblemsFound, YamlDocument, read_yaml
from alerting.routing.routes import Route, Routing, routing_from_document
from alerting.rules import Rule

# Labels whose values come from the data are each rule type's `data_labels` (what its
# `finding_labels(...)` sets). Every alert also carries `alert`, its identity
# (alerting/alerts/state.py).
_ANY_KEY = "*"  # a rule type that does not say which labels it sets may set any

Values = frozenset[str] | None  # None: any value (known only from the data)
Constraint = tuple[str, tuple[str, ...]]


@dataclass(frozen=True)
class LabelProfile:
    """The labels one rule's alerts can carry: key -> the values it can take."""

    rule: Rule
    labels: Mapping[str, Values]

    def values(self, key: str) -> tuple[bool, Values]:
        """(has the key, its values)."""
        if key in self.labels:
            return True, self.labels[key]
        return _ANY_KEY in self.labels, None

    def allows(self, key: str, patterns: tuple[str, ...]) -> bool:
        has, values = self.values(key)
        if not has or not patterns:
            return False
        return values is None or any(globs_match(v, patterns) for v in values)

    def reaches(self, constraints: Sequence[Constraint], min_rank: int) -> bool:
        return self.rule.severity.rank >= min_rank and \
            all(self.allows(key, patterns) for key, patterns in constraints)

    def captured_by(self, constraints: Sequence[Constraint], min_rank: int) -> bool:
        """Does a route with these constraints take every alert of this rule? Only when
        every value the rule can give each matched key is known and matches."""
        if self.rule.severity.rank < min_rank:
            return False
        for key, patterns in constraints:
            has, values = self.values(key)
            if not has or values is None or not values or \
                    not all(globs_match(v, patterns) for v in values):
                return False
        return True


def label_profile(rule: Rule, catalogue: Catalogue | None) -> LabelProfile:
    """What labels `rule` gives its alerts. With the catalogue, measure and service_area are
    those of the measures it selects; without it (incomplete), any."""
    labels: dict[str, Values] = {
        "rule": frozenset({rule.id}), "rule_type": frozenset({rule.rule_type}),
        "severity": frozenset({rule.severity.value}), "alert": None,
    }
    keys = rule.data_labels
    if keys is None:
        labels[_ANY_KEY] = None
    for key in keys or ():
        labels[key] = None
    if rule.applies_to == "measures" and catalogue is not None:
        selected = selected_measures(rule, catalogue)
        labels["measure"] = frozenset(m.id for m in selected)
        labels["service_area"] = frozenset(m.service_area for m in selected if m.service_area)
    labels.update({key: frozenset({value}) for key, value in rule.labels.items()})
    return LabelProfile(rule, labels)


def _shown(patterns: tuple[str, ...]) -> str:
    return " or ".join(f"'{p}'" for p in patterns) or "(an empty list)"


def _known(profiles: Sequence[LabelProfile], key: str) -> list[str]:
    return sorted({v for p in profiles for v in (p.values(key)[1] or ())})


@dataclass(frozen=True)
class _RouteLinter:
    profiles: Sequence[LabelProfile]  # of the enabled rules
    document: YamlDocument
    disabled: tuple[str, ...] = ()  # ids of the rules with enabled: false

    def warn(self, path: PathKey, message: str) -> Problem:
        return warning(self.document.file, self.document.line_of(path),
                       f"{field_name(path)}: {message}")

    def key_problem(self, path: PathKey, key: str, patterns: tuple[str, ...],
                    matcher: str = "match") -> Problem | None:
        where = (*path, matcher, key)
        if not any(p.values(key)[0] for p in self.profiles):
            keys = sorted({k for p in self.profiles for k in p.labels} - {_ANY_KEY})
            hint = did_you_mean((key,), keys)
            hint = f" ({hint[2:]})" if hint else f" (labels: {', '.join(keys)})"
            return self.warn(where, f"no rule gives its alerts a '{key}' label{hint}")
        if any(p.allows(key, patterns) for p in self.profiles):
            return None
        known = _known(self.profiles, key)
        hint = did_you_mean(patterns, known)
        if key == "rule":
            off = [r for r in self.disabled if globs_match(r, patterns)]
            if off:
                return self.warn(where, f"matches only rules that are switched off (enabled: "
                                        f"false): {', '.join(off)}")
            return self.warn(where, f"matches no rule id ({_shown(patterns)}{hint})")
        if not hint and len(known) <= 8:
            hint = f"; they have {', '.join(known)}" if known else ""
        return self.warn(where, f"no rule's alerts have {key} {_shown(patterns)}"
                                f"{' (' + hint[2:] + ')' if hint else ''}")

    def route_problems(self, route: Route, path: PathKey, inherited: Sequence[Constraint],
                       min_rank: int, left: Sequence[LabelProfile],
                       taken_by: Mapping[str, PathKey]) -> list[Problem]:
        """This route's own mistakes; else, if no rule can reach it given what the routes
        above it match (and what earlier sibling routes take first), one warning."""
        own = [p for key, patterns in route.match.items()
               if (p := self.key_problem(path, key, patterns)) is not None]
        if own:
            return own
        constraints = [*inherited, *route.match.items()]
        if any(p.reaches(constraints, min_rank) for p in left):
            return []
        shadowed = [p for p in self.profiles if p not in left and p.reaches(constraints, min_rank)]
        if shadowed:
            first = sorted({field_name(taken_by[p.rule.id]) for p in shadowed})
            return [self.warn(path, f"every alert it could take is taken first by "
                                    f"{', '.join(first)} above it (which has no continue: "
                                    "true); move this route up or add continue: true there")]
        if route.min_severity is not None and \
                any(p.reaches(constraints, 0) for p in self.profiles):
            return [self.warn((*path, "min_severity"),
                              f"no rule whose alerts reach this route has severity "
                              f"{route.min_severity.value} or above")]
        if not route.match:
            return []  # unreachable only because of the routes above it: reported there
        together = " and ".join(f"{k} {_shown(v)}" for k, v in constraints)
        if min_rank:
            together += f" and severity {list(Severity)[min_rank].value} or above"
        above = " (with what the routes above it match)" if inherited else ""
        return [self.warn((*path, "match"),
                          f"no rule's alerts have {together} together{above}")]

    def walk(self, route: Route, path: PathKey, inherited: Sequence[Constraint],
             min_rank: int, left: Sequence[LabelProfile],
             taken_by: Mapping[str, PathKey]) -> list[Problem]:
        """`left`: the rules whose alerts no earlier sibling route has taken for good."""
        rank = max(min_rank, route.min_severity.rank) if route.min_severity else min_rank
        found = self.route_problems(route, path, inherited, rank, left, taken_by)
        if found:
            return found  # its child routes are unreachable too; one warning is enough
        constraints = [*inherited, *route.match.items()]
        remaining, taken = list(left), dict(taken_by)
        for index, child in enumerate(route.routes):
            child_path = (*path, "routes", index)
            found.extend(self.walk(child, child_path, constraints, rank, remaining, taken))
            if child.continue_:
                continue
            child_rank = max(rank, child.min_severity.rank) if child.min_severity else rank
            child_constraints = [*constraints, *child.match.items()]
            for profile in [p for p in remaining if p.captured_by(child_constraints,
                                                                   child_rank)]:
                remaining.remove(profile)
                taken[profile.rule.id] = child_path
        return found


def lint_routes(routing: Routing, document: YamlDocument, ruleset: RuleSet) -> list[Problem]:
    """Routes matching labels or values no rule in `ruleset` gives its alerts. `document` is
    the parsed recipients file, for lines."""
    catalogue = ruleset.catalogue if catalogue_is_complete(ruleset) else None
    profiles = [label_profile(rule, catalogue) for rule in ruleset.enabled()]
    linter = _RouteLinter(profiles, document,
                          tuple(r.id for r in ruleset.rules if not r.enabled))
    return [*linter.walk(routing.route, ("route",), (), Severity.INFO.rank, profiles, {}),
            *_inhibit_problems(linter, routing)]


# Inhibit matchers may also name these, which are not labels of a rule's alerts.
_ALERT_FACTS = {"status", "subject", "area"}


def _inhibit_problems(linter: _RouteLinter, routing: Routing) -> list[Problem]:
    """Inhibit rules whose source or target matches labels or values no rule produces."""
    found = []
    for index, rule in enumerate(routing.inhibit):
        for side in ("source", "target"):
            matchers: Mapping[str, tuple[str, ...]] = getattr(rule, side)
            for key, patterns in matchers.items():
                if key in _ALERT_FACTS:
                    continue
                problem = linter.key_problem(("inhibit", index), key, patterns, side)
                if problem is not None:
                    found.append(problem)
    return found


def lint_recipients(path: Path, ruleset: RuleSet) -> list[Problem]:
    """The recipients file's errors as `load_routing` finds them (unknown receivers, ...),
    else warnings about routes no alert of these rules can reach. Route warnings wait until
    every rule file loads: a rule missing from a broken file would make its routes look
    unreachable.

    A secret the file takes from the environment (a webhook URL) is often unset where rules
    are edited; that only stops the route check, so it is a warning here, not an error."""
    try:
        document = read_yaml(path)
        routing = routing_from_document(document)
    except ProblemsFound as exc:
        unset = [p for p in exc.problems if p.message.startswith("environment variable ")]
        if unset and len(unset) == len(exc.problems):
            return [warning(p.file, p.line, f"{p.message}, so the routes were not checked")
                    for p in unset]
        return list(exc.problems)
    if not ruleset.rules or any(not outcome.ok for outcome in ruleset.files):
        return []
    return lint_routes(routing, document, ruleset)
