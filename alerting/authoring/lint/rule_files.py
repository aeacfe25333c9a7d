"""Lint warnings for files that load but cannot do what their author meant.

A rule that selects nothing, a polarity rule on a measure without polarity, a tolerance no
value can exceed, a route no alert can reach: `alerting validate` lists them as warnings
(file, line, field) after the errors. The checks are pure functions of the loaded RuleSet
(and the routing config, in `alerting.authoring.lint.routes`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from alerting.config.ruleset import FileOutcome, RuleSet
from alerting.model.catalogue import Catalogue, Measure, Polarity, Unit
from alerting.model.periods import PeriodError, parse_period
from alerting.model.problems import PathKey, Problem
from alerting.rules import Rule

# Selection keys the catalogue can answer offline (areas, risks, plan types, teams come only
# with the data).
_CATALOGUE_KEYS = ("measures", "tags", "service_area")
# Units whose values are never negative, so a tolerance as large as the target is never
# exceeded below it; percentages also never exceed 100.
_NEVER_NEGATIVE = {Unit.PERCENT, Unit.COUNT, Unit.RATE_PER_1000, Unit.RATE_PER_10000, Unit.DAYS}
_SHOWN = 5


def warning(file: str, line: int | None, message: str) -> Problem:
    return Problem(file, line, message, severity="warning")


def field_name(path: PathKey) -> str:
    """`("rules", 2, "select", "measures")` as `rules[2].select.measures`."""
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p)
                   for i, p in enumerate(path))


def quoted(values: Sequence[str]) -> str:
    """'a', 'b' and 'c' (at most five, then 'and N more')."""
    shown = [f"'{v}'" for v in values[:_SHOWN]]
    rest = len(values) - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest} more"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def did_you_mean(patterns: Sequence[str], known: Iterable[str]) -> str:
    """'; did you mean 'x'?' for the first plain (non-glob) pattern with a close known value."""
    choices = sorted(set(known))
    for pattern in patterns:
        if not any(c in pattern for c in "*?["):
            close = difflib.get_close_matches(pattern, choices, n=1)
            if close:
                return f"; did you mean '{close[0]}'?"
    return ""


@dataclass(frozen=True)
class PlacedRule:
    """A rule in force with the file and list index it was loaded from."""

    rule: Rule
    outcome: FileOutcome
    index: int

    def where(self, *path: str) -> tuple[int | None, str]:
        """Line and field name of `path` under this rule (the rule's line if absent)."""
        full: PathKey = ("rules", self.index, *path)
        return self.outcome.line_of(full), field_name(full)

    def warn(self, message: str, *path: str) -> Problem:
        line, field = self.where(*path)
        return warning(self.outcome.file, line, f"{field}: rule '{self.rule.id}' {message}")


def placed_rules(ruleset: RuleSet) -> list[PlacedRule]:
    """Each rule in force once (a duplicate id is already an error), in file order."""
    in_force = {id(rule) for rule in ruleset.rules}
    return [PlacedRule(rule, outcome, index)
            for outcome in ruleset.files if outcome.ok
            for index, rule in enumerate(outcome.rules) if id(rule) in in_force]


def catalogue_is_complete(ruleset: RuleSet) -> bool:
    """Checks against the catalogue only make sense when all of it loaded: not when validating
    a rule file on its own, nor while a catalogue file has errors."""
    broken = any(o.catalogue is not None and not o.ok for o in ruleset.files)
    return len(ruleset.catalogue) > 0 and not broken


def selected_measures(rule: Rule, catalogue: Catalogue) -> list[Measure]:
    return [m for m in catalogue.measures.values() if rule.select.matches_measure(m)]


# --- 1. selections -----------------------------------------------------------------------

def ignored_selectors(placed: PlacedRule) -> Iterator[Problem]:
    """Selection keys the rule's type never reads (`Rule.selected_by`): they narrow nothing."""
    rule = placed.rule
    used = rule.selected_by
    for key in type(rule.select).model_fields:
        if getattr(rule.select, key) and key not in used:
            yield placed.warn(f"is a {rule.rule_type} rule, which selects {rule.applies_to} "
                              f"by {', '.join(used)}: {key} has no effect", "select", key)


def empty_selection(placed: PlacedRule, catalogue: Catalogue) -> Problem | None:
    """A measure rule whose selection matches no measure of the catalogue."""
    rule = placed.rule
    if rule.applies_to != "measures" or selected_measures(rule, catalogue):
        return None
    given = [k for k in _CATALOGUE_KEYS if getattr(rule.select, k)]
    for key in given:  # blame the first key that selects nothing on its own
        patterns: tuple[str, ...] = getattr(rule.select, key)
        alone = type(rule.select).model_validate({key: patterns})
        if not any(alone.matches_measure(m) for m in catalogue.measures.values()):
            hint = did_you_mean(patterns, _catalogue_values(catalogue, key))
            return placed.warn(f"selects no measure in the catalogue "
                               f"({', '.join(map(repr, patterns))}{hint})", "select", key)
    together = "; ".join(f"{k} {', '.join(map(repr, getattr(rule.select, k)))}" for k in given)
    return placed.warn(f"selects no measure in the catalogue (no measure has {together} "
                       f"together)", "select")


def _catalogue_values(catalogue: Catalogue, key: str) -> list[str]:
    measures = catalogue.measures.values()
    if key == "measures":
        return [m.id for m in measures]
    if key == "tags":
        return [t for m in measures for t in m.tags]
    return [m.service_area for m in measures if m.service_area]


# --- 2. polarity -------------------------------------------------------------------------

def missing_polarity(placed: PlacedRule, catalogue: Catalogue) -> Problem | None:
    """A polarity rule on measures without polarity. Named measures (select.measures) are
    checked one by one; a broad selection (tags, service area, everything) only when none of
    its measures has a polarity, since skipping volumes there is the intended behaviour."""
    rule = placed.rule
    effect = rule.without_polarity()  # tolerance rates by it; decline follows it
    if effect is None or rule.applies_to != "measures":
        return None
    uses, outcome = effect
    selected = selected_measures(rule, catalogue)
    without = [m.id for m in selected if m.polarity is Polarity.NONE]
    if not without:
        return None
    one = len(without) == 1
    has, it_is = ("has", "it is") if one else ("have", "they are")
    if rule.select.measures:
        return placed.warn(f"{uses}, but {quoted(without)} {has} no polarity in the catalogue, "
                           f"so {it_is} {outcome}", "select", "measures")
    if len(without) < len(selected):
        return None
    given = [k for k in _CATALOGUE_KEYS if getattr(rule.select, k)]
    where = ("select", given[0]) if given else ()
    return placed.warn(f"{uses}, but no measure it selects has a polarity in the catalogue "
                       f"({quoted(without)}), so {it_is} {outcome}", *where)


# --- 3. tolerance ------------------------------------------------------------------------

@dataclass(frozen=True)
class PlacedMeasure:
    measure: Measure
    outcome: FileOutcome
    index: int

    def target_label(self, end: date) -> str:
        """The period label the file gives a target (e.g. Sep-21), found from its lines."""
        for path in self.outcome.lines:
            if len(path) == 4 and path[:3] == ("measures", self.index, "targets"):
                try:
                    if parse_period(str(path[3])).end == end:
                        return str(path[3])
                except PeriodError:
                    continue
        return end.isoformat()


def placed_measures(ruleset: RuleSet) -> list[PlacedMeasure]:
    """Each measure of the catalogue in force, with its file and list index."""
    found = []
    for outcome in ruleset.files:
        if outcome.catalogue is None or not outcome.ok:
            continue
        for index, measure in enumerate(outcome.catalogue.measures.values()):
            if ruleset.catalogue.measures.get(measure.id) is measure:  # not overridden later
                found.append(PlacedMeasure(measure, outcome, index))
    return found


def unreachable_tolerance(placed: PlacedMeasure) -> Problem | None:
    """A tolerance so large that no value can be worse than it (red / worse than tolerance):
    at least the target, for a measure whose values are never negative (below target), or
    reaching past 100% (above target). Measures without polarity are never rated."""
    measure = placed.measure
    tolerance = measure.tolerance
    if tolerance is None or measure.polarity is Polarity.NONE or \
            measure.unit not in _NEVER_NEGATIVE:
        return None
    unit = measure.unit
    below = measure.polarity in (Polarity.BIGGER_IS_BETTER, Polarity.PLAN_IS_BEST)
    side = "below plan " if measure.polarity is Polarity.PLAN_IS_BEST else ""
    reason = None
    for end, target in measure.targets:
        amount = tolerance.amount(target)
        shown = f"the target ({unit.format_value(target)} for {placed.target_label(end)})"
        if below and target - amount <= 0:
            reason = (f"tolerance ({tolerance}) is at least {shown}, so no value {side}can be "
                      f"worse than tolerance: it would have to be below zero")
        elif not below and unit is Unit.PERCENT and target + amount >= 100:
            reason = (f"{shown} plus tolerance ({tolerance}) reaches 100%, so no value can be "
                      f"worse than tolerance")
        if reason:
            break
    else:  # no catalogue target breaks it; targets may come with the data
        if below and tolerance.relative is not None and tolerance.relative >= 1:
            reason = (f"tolerance ({tolerance}) is the whole target, so no value {side}can be "
                      f"worse than tolerance: it would have to be below zero")
        elif unit is Unit.PERCENT and (tolerance.absolute or 0) >= 100:
            reason = (f"tolerance ({tolerance}) covers the whole 0-100% scale, so no value can "
                      f"be worse than tolerance")
    if reason is None:
        return None
    path: PathKey = ("measures", placed.index, "tolerance")
    return warning(placed.outcome.file, placed.outcome.line_of(path),
                   f"{field_name(path)}: measure '{measure.id}': {reason}")


# --- entry points ------------------------------------------------------------------------

def lint_rules(ruleset: RuleSet) -> list[Problem]:
    """Warnings about the rules and catalogue in force (files with errors are skipped: they
    contribute nothing)."""
    problems: list[Problem] = []
    complete = catalogue_is_complete(ruleset)
    catalogue = ruleset.catalogue
    if complete:
        problems.extend(p for m in placed_measures(ruleset)
                        if (p := unreachable_tolerance(m)) is not None)
    for placed in placed_rules(ruleset):
        problems.extend(ignored_selectors(placed))
        if not complete:
            continue
        empty = empty_selection(placed, catalogue)
        if empty is not None:
            problems.append(empty)
            continue
        polarity = missing_polarity(placed, catalogue)
        if polarity is not None:
            problems.append(polarity)
    order = {outcome.file: index for index, outcome in enumerate(ruleset.files)}
    return sorted(problems, key=lambda p: (order.get(p.file, len(order)), p.line or 0))

