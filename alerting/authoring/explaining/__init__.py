"""`alerting explain` in words, for a performance lead: one module per rule type.

Each rule type's function retells one look (a rule, a subject, an area, an as-of date) from
the finding the real engine produced, its details and the stored periods: the values used,
the threshold, the polarity, the comparison and the verdict, with numbers in the measure's
unit as notices print them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from alerting.authoring.explaining.facts import Look
from alerting.authoring.explaining.words import (
    fired,
    no_data,
    not_selected,
    opening,
    plural_kind,
    quiet,
    selection_mismatch,
    silence_sentence,
)

# Each module named after a rule type defines explain_<type>(look); found at import, as the
# rule types themselves are, so a new one needs no edit here.
EXPLAINERS: dict[str, Callable[[Look], str]] = {}
for _module in pkgutil.iter_modules(__path__):
    if _module.name not in {"facts", "words"}:
        EXPLAINERS[_module.name] = getattr(
            importlib.import_module(f"{__name__}.{_module.name}"), f"explain_{_module.name}")


def explain_generic(look: Look) -> str:
    """A rule type without its own sentences: the engine's message, or that it found nothing."""
    if look.finding is not None and look.finding.exception:
        return f"{look.finding.message}, {fired(look, look.finding.status.value.upper())}."
    return f"It found nothing here, so {quiet(look)}."


def explain(look: Look) -> str:
    """The whole paragraph for one look (without silences)."""
    reasons = selection_mismatch(look)
    if reasons:
        return f"{opening(look)} {not_selected(look, reasons)}"
    if look.measure is not None and look.area is not None and not look.points:
        return (f"{opening(look)} {no_data(look, look.other_areas)} The rule looks only at "
                f"the areas a measure has data for, so {quiet(look)}.")
    body = EXPLAINERS.get(look.rule.rule_type, explain_generic)(look)
    return f"{opening(look)} {body}"


__all__ = ["EXPLAINERS", "Look", "explain", "plural_kind", "selection_mismatch",
           "silence_sentence"]
