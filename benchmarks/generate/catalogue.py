"""The synthetic measure catalogue: topics, measures drawn from them, and measures.yaml."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    unit: str  # percent | count | rate_per_10000 | days
    polarity: str  # bigger_is_better | smaller_is_better | plan_is_best | none
    low: float  # target (or, without polarity, authority-level volume) drawn from low..high
    high: float
    service_area: str
    tag: str


# Ordered so any five consecutive measures mix all polarities (the tiny scale relies on it).
TOPICS = (
    Topic("initial-visits-in-time", "% of initial visits within 10 working days",
          "percent", "bigger_is_better", 82, 95, "contact_activity", "referrals"),
    Topic("re-referrals-12-months", "% of referrals that are re-referrals within 12 months",
          "percent", "smaller_is_better", 15, 25, "contact_activity", "referrals"),
    Topic("cic-rate", "Rate per 10,000 of children in care",
          "rate_per_10000", "plan_is_best", 40, 70, "children_in_care", "children-in-care"),
    Topic("contacts-received", "Number of contacts received",
          "count", "none", 1500, 3000, "contact_activity", "contacts"),
    Topic("assessments-45-days", "% of single assessments completed within 45 working days",
          "percent", "bigger_is_better", 80, 92, "children_in_need", "assessments"),
    Topic("cp-second-subsequent", "% of CP plans starting that are a second or subsequent plan",
          "percent", "smaller_is_better", 18, 25, "child_protection", "child-protection"),
    Topic("days-care-to-adoption", "Average days from entering care to an adoptive placement",
          "days", "smaller_is_better", 350, 450, "children_in_care", "adoption"),
    Topic("icpc-15-days", "% of initial child protection conferences within 15 working days",
          "percent", "bigger_is_better", 80, 95, "child_protection", "child-protection"),
    Topic("cp-visits-in-time", "% of children on CP plans visited within 10 working days",
          "percent", "bigger_is_better", 85, 95, "child_protection", "child-protection"),
    Topic("cic-3-placements", "% of children in care with 3 or more placements in 12 months",
          "percent", "smaller_is_better", 8, 12, "children_in_care", "children-in-care"),
    Topic("referrals-received", "Number of referrals received",
          "count", "none", 300, 700, "contact_activity", "referrals"),
    Topic("cp-rate", "Rate per 10,000 of children subject to a CP plan",
          "rate_per_10000", "plan_is_best", 35, 50, "child_protection", "child-protection"),
    Topic("cic-reviews-in-time", "% of children in care reviewed within timescales",
          "percent", "bigger_is_better", 85, 95, "children_in_care", "children-in-care"),
    Topic("care-leavers-accommodation", "% of care leavers aged 19-21 in suitable accommodation",
          "percent", "bigger_is_better", 85, 92, "care_leavers", "care-leavers"),
    Topic("care-leavers-neet", "% of care leavers aged 19-21 not in education or employment",
          "percent", "smaller_is_better", 30, 40, "care_leavers", "care-leavers"),
    Topic("children-on-cp-plans", "Number of children subject to a CP plan",
          "count", "none", 300, 600, "child_protection", "child-protection"),
    Topic("health-assessments-in-time", "% of children in care with health assessments in time",
          "percent", "bigger_is_better", 80, 92, "children_in_care", "health"),
    Topic("cin-12-months-plus", "% of children in need on a plan for 12 months or more",
          "percent", "smaller_is_better", 20, 30, "children_in_need", "children-in-need"),
    Topic("cin-rate", "Rate per 10,000 of children in need",
          "rate_per_10000", "plan_is_best", 300, 350, "children_in_need", "children-in-need"),
    Topic("audits-good-or-better", "% of case audits judged good or better",
          "percent", "bigger_is_better", 60, 80, "quality_assurance", "quality"),
    Topic("agency-social-workers", "% of social workers employed through agencies",
          "percent", "smaller_is_better", 10, 20, "workforce", "workforce"),
    Topic("children-in-care", "Number of children in care",
          "count", "none", 500, 900, "children_in_care", "children-in-care"),
    Topic("peps-up-to-date", "% of children in care with an up-to-date personal education plan",
          "percent", "bigger_is_better", 85, 95, "children_in_care", "education"),
    Topic("cic-missing-12-months", "% of children in care missing in the last 12 months",
          "percent", "smaller_is_better", 8, 12, "children_in_care", "missing"),
)
_PERCENT_TOLERANCES = ("absolute: 2", "absolute: 3", "absolute: 5", "relative: 5%",
                       "relative: 10%")
_OTHER_TOLERANCES = ("relative: 5%", "relative: 10%")
_BASIS = {"percent": "monthly", "count": "monthly", "rate_per_10000": "snapshot",
          "days": "rolling_year"}


@dataclass(frozen=True)
class MeasureSpec:
    id: str
    title: str
    topic: Topic
    tolerance: str | None  # as written in the catalogue, e.g. 'relative: 5%'
    target: float  # in the first financial year; for volumes, the authority-level volume
    target_step: float  # change each April


def measure_specs(rng: np.random.Generator, count: int) -> list[MeasureSpec]:
    specs = []
    for i in range(count):
        topic, variant = TOPICS[i % len(TOPICS)], i // len(TOPICS)
        title = topic.title + (f" (cohort {variant + 1})" if variant else "")
        target = float(np.round(rng.uniform(topic.low, topic.high)))
        step = {"bigger_is_better": 0.5, "smaller_is_better": -0.5}.get(topic.polarity, 0.0)
        step *= float(rng.integers(0, 3))  # 0, 0.5 or 1 point a year, in the good direction
        if topic.unit == "days":
            step *= 10
        tolerance = None
        if topic.polarity != "none":
            choices = _PERCENT_TOLERANCES if topic.unit == "percent" else _OTHER_TOLERANCES
            tolerance = choices[int(rng.integers(len(choices)))]
        specs.append(MeasureSpec(f"m{i + 1:03d}-{topic.slug}", title, topic, tolerance,
                                 target, step))
    return specs


def catalogue_yaml(specs: Sequence[MeasureSpec]) -> str:
    # The comment names the module as it was before it became a package: kept, so the same
    # seed still gives byte-identical files.
    lines = ["# Synthetic measure catalogue written by benchmarks/generate.py (no real data).",
             "measures:"]
    for spec in specs:
        topic = spec.topic
        lines += [
            f"  - id: {spec.id}",
            f"    title: {json.dumps(spec.title)}",
            f"    polarity: {topic.polarity}",
            f"    unit: {topic.unit}",
            "    frequency: monthly",
            f"    basis: {_BASIS[topic.unit]}",
            f"    service_area: {topic.service_area}",
            f"    tags: [synthetic, {topic.tag}{', volume' if topic.polarity == 'none' else ''}]",
        ]
        if spec.tolerance:
            lines.append(f"    tolerance: {{{spec.tolerance}}}")
    return "\n".join(lines) + "\n"
