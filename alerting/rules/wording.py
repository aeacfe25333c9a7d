"""Plain-English pieces shared by rule messages, so findings read like report sentences."""

from __future__ import annotations

from collections.abc import Mapping

from alerting.model.catalogue import Frequency, Measure, Polarity

_ORDINALS = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh",
             "eighth", "ninth", "tenth", "eleventh", "twelfth"]

COMPARATOR_NAMES = {
    "england": "England",
    "stat_neighbours": "statistical neighbours",
    "comparator_group": "comparator group",
    "peer_group": "peer group",
    "good_outstanding": "good/outstanding authorities",
    "region": "region",
}


def ordinal(number: int) -> str:
    if 0 <= number < len(_ORDINALS):
        return _ORDINALS[number]
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def period_noun(frequency: Frequency) -> str:
    return {"monthly": "month", "quarterly": "quarter", "annual": "year"}[frequency.value]


def subject_line(measure: Measure, area: str | None) -> str:
    return f"{measure.display_title} ({area})" if area else measure.display_title


def comparator_phrase(measure: Measure, value: float, comparators: Mapping[str, float]) -> str:
    """'better than England 21.0%, worse than statistical neighbours 20.0%' (polarity-aware)."""
    if measure.polarity not in (Polarity.BIGGER_IS_BETTER, Polarity.SMALLER_IS_BETTER):
        return ""
    parts = []
    for key, other in comparators.items():
        name = COMPARATOR_NAMES.get(key, key.replace("_", " "))
        if value == other:
            verdict = "in line with"
        else:
            bigger = measure.polarity is Polarity.BIGGER_IS_BETTER
            better = value > other if bigger else value < other
            verdict = "better than" if better else "worse than"
        parts.append(f"{verdict} {name} {measure.unit.format_value(other)}")
    return ", ".join(parts)
