"""Checks that a test can both pass and fail: it names rules that exist and are switched on,
and expects only statuses the rule can raise as an exception under the scheme in force.

A test that evaluates nothing (`rules: []`, or only a switched-off rule) passes whatever the
rules do, and one expecting `green` from a tolerance rule fails whatever they do; both are
mistakes in the test, so they are reported as such rather than run.
"""

from __future__ import annotations

from alerting.authoring.testing.model import RuleTest
from alerting.config.ruleset import RuleSet
from alerting.model.findings import Status
from alerting.model.problems import PathKey, did_you_mean
from alerting.rules import RagScheme, Rule


def status_problem(rule: Rule, status: Status, scheme: RagScheme) -> str | None:
    """Why `rule` can never find `status` under `scheme`, or None when it can."""
    possible = rule.raises(scheme)  # each rule type says what it finds (alerting/rules/*.py)
    if not possible:
        return None
    option = possible.get(status, "")
    if option is None or (option and getattr(rule, option, None) not in (None, False)):
        return None
    in_force = rule.scheme_in_force(scheme)
    under = f" under the {in_force} scheme" if in_force else ""
    finds = " or ".join(
        s.value if needs is None else f"{s.value} (with {needs})"
        for s, needs in possible.items())
    if option:
        why = f"rule '{rule.id}' has no {option}, so it never finds {status.value}"
    else:
        why = f"a {rule.rule_type} rule never finds {status.value}{under}"
    return f"{why}; it finds {finds}, so this test could never pass"


def check_test(test: RuleTest, ruleset: RuleSet, scheme: RagScheme
                  ) -> list[tuple[PathKey, str]]:
    """(path within the test, message) for each way the test could never fail or pass."""
    found: list[tuple[PathKey, str]] = []
    by_id = {r.id: r for r in ruleset.rules}
    if test.rules == ():
        found.append((("rules",), "rules: is empty, so no rule is evaluated and the test can "
                      "never fail; list rule ids, or leave rules: out for every enabled rule"))
    named = test.rules or ()
    for index, rule_id in enumerate(named):
        if rule_id not in by_id:
            found.append((("rules", index), f"rules: there is no rule '{rule_id}' among the "
                          f"rules under test{did_you_mean(rule_id, by_id)}"))
    if named and all(rule_id in by_id and not by_id[rule_id].enabled for rule_id in named):
        found.append((("rules",), f"rules: {', '.join(named)} "
                      f"{'is' if len(named) == 1 else 'are'} switched off (enabled: false), so "
                      "no rule is evaluated and the test can never fail"))
    for index, expected in enumerate(test.expect):
        where: PathKey = ("expect", index, "rule")
        label = f"expect[{index}]"
        rule = by_id.get(expected.rule)
        if rule is None:
            found.append((where, f"{label}.rule: there is no rule '{expected.rule}' among the "
                          f"rules under test{did_you_mean(expected.rule, by_id)}"))
        elif test.rules is not None and expected.rule not in test.rules:
            found.append((where, f"{label}.rule: '{expected.rule}' is not in this test's "
                          "rules:, so it cannot fire"))
        elif not rule.enabled:
            found.append((where, f"{label}.rule: '{expected.rule}' is switched off "
                          "(enabled: false), so it cannot fire"))
        else:
            problem = status_problem(rule, expected.status, test.rag_scheme or scheme)
            if problem:
                found.append((("expect", index, "status"), f"{label}.status: {problem}"))
    return found
