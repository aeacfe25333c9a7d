"""Deterministic synthetic data in the data contract, for benchmarks: no real children.

Writes observations.csv, risks.csv, cases.csv, a measure catalogue (measures.yaml) and a
starter rule pack (rules.yaml) into a folder. Everything comes from one seeded numpy
Generator and a fixed final period, so the same scale and seed give byte-identical files.

    python -m benchmarks.generate --scale council|region|national --out DIR [--seed N]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# The last monthly period and the run date that sees it: fixed so output never depends on today.
END_YEAR, END_MONTH = 2026, 9
AS_OF = date(2026, 9, 30)


@dataclass(frozen=True)
class Scale:
    """How much to generate. Plans are a total across authorities; risks are per register."""

    authorities: int
    localities: int  # per authority; 0 = authority level only
    measures: int
    periods: int  # months ending END_YEAR-END_MONTH
    open_plans: int
    risks: int  # per authority's risk register
    quarters: int

    @property
    def areas(self) -> int:
        return self.authorities * (1 + self.localities)

    @property
    def observation_rows(self) -> int:
        return self.measures * self.areas * self.periods

    @property
    def closed_plans(self) -> int:
        return self.open_plans // 4

    @property
    def case_rows(self) -> int:
        return self.open_plans + self.closed_plans

    @property
    def risk_rows(self) -> int:
        return self.authorities * self.risks * self.quarters


SCALES = {
    "council": Scale(authorities=1, localities=7, measures=150, periods=60, open_plans=1_000,
                     risks=8, quarters=20),
    "region": Scale(authorities=15, localities=7, measures=150, periods=60, open_plans=1_000,
                    risks=8, quarters=20),
    "national": Scale(authorities=153, localities=0, measures=200, periods=60,
                      open_plans=50_000, risks=8, quarters=20),
    "tiny": Scale(authorities=2, localities=2, measures=5, periods=12, open_plans=30,
                  risks=2, quarters=4),  # for tests; not offered on the command line
}
PUBLIC_SCALES = ("council", "region", "national")


@dataclass(frozen=True)
class GeneratedData:
    """What `generate` wrote: the files and how many rows each table holds."""

    scale: str
    seed: int
    out: Path
    as_of: date
    observations: Path
    risks: Path
    cases: Path
    catalogue: Path
    rules: Path
    observation_rows: int
    risk_rows: int
    case_rows: int


# Invented place names: 17 prefixes x 9 suffixes; i -> (i % 17, i % 9) gives 153 distinct names.
_PREFIXES = ("Ash", "Birch", "Bram", "Cal", "Dun", "Elm", "Fern", "Glen", "Hol", "Kes", "Lin",
             "Mar", "Nor", "Oak", "Pen", "Rook", "Wil")
_SUFFIXES = ("dale", "ford", "field", "borough", "ton", "wick", "mouth", "bury", "shire")
_LOCALITIES = ("North", "South", "East", "West", "Central", "Rural", "Other")


def authority_names(count: int) -> list[str]:
    limit = len(_PREFIXES) * len(_SUFFIXES)
    if count > limit:
        raise ValueError(f"at most {limit} authorities can be named, asked for {count}")
    return [_PREFIXES[i % len(_PREFIXES)] + _SUFFIXES[i % len(_SUFFIXES)] for i in range(count)]


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


RULES_YAML = """\
# Starter rules for the synthetic catalogue (benchmarks/generate.py): the shipped pack's
# rule types and thresholds, selecting the generated measures by tag or all of them.
rules:
  - id: significantly-worse-than-target
    type: tolerance
    title: Significantly worse than target
    description: The latest value is worse than target by more than the measure's tolerance.
    severity: high
    include_amber: false
    labels:
      team: performance

  - id: three-period-decline
    type: decline
    title: Declined for the third period running
    description: Three consecutive periods of deterioration; a warning at the second.
    severity: medium
    periods: 3
    warn_at: 2

  - id: volumes-rising
    type: decline
    title: Volume rising for the third month
    description: Volumes have no polarity, so this rule says that increases count.
    severity: low
    direction: increase
    periods: 3
    select:
      tags: [volume]

  - id: data-missing
    type: missing_data
    title: Value missing or overdue
    description: No value for the latest expected period of a measure.
    severity: medium
    grace: 0d
    select:
      tags: [synthetic]

  - id: risk-score-rise
    type: risk_rise
    title: Strategic risk residual score rose
    description: The residual score is higher than in the previous period.
    severity: high
    at_least: 1
    only_on_level_change: false

  - id: cp-over-2y
    type: case_duration
    title: Children on a child protection plan for two years or more
    description: The current CP plan started two or more years ago and has not ended.
    severity: high
    older_than: 2y
    warn_after: 21m
    select:
      plan_types: [CP]
"""


@dataclass(frozen=True)
class Areas:
    names: list[str]
    size: FloatArray  # per area, volumes relative to an average authority
    authority_size: FloatArray  # per authority, the same


def make_areas(rng: np.random.Generator, scale: Scale, authorities: Sequence[str]) -> Areas:
    sizes = rng.lognormal(0.0, 0.4, len(authorities))
    names: list[str] = []
    size: list[float] = []
    for a, authority in enumerate(authorities):
        names.append(authority)
        size.append(float(sizes[a]))
        shares: Sequence[float] = (rng.dirichlet(np.full(scale.localities, 8.0)).tolist()
                                   if scale.localities else [])
        for locality, share in zip(_LOCALITIES[:scale.localities], shares, strict=True):
            names.append(f"{authority} {locality}")
            size.append(float(sizes[a] * share))
    return Areas(names, np.asarray(size), sizes)


def month_labels(periods: int) -> tuple[list[str], IntArray]:
    """'YYYY-MM' labels of the `periods` months ending END_YEAR-END_MONTH, and their April-based
    financial year (year of the April that starts it)."""
    last = END_YEAR * 12 + END_MONTH - 1
    index = np.arange(last - periods + 1, last + 1, dtype=np.int64)
    labels = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in index.tolist()]
    return labels, (index - 3) // 12


def quarter_labels(quarters: int) -> list[str]:
    """Financial quarters (Q1 = Apr-Jun) ending with the one holding the last month."""
    last = (END_YEAR * 12 + END_MONTH - 1 - 3) // 3  # quarters since April of year 0
    labels = []
    for q in range(last - quarters + 1, last + 1):
        fy, number = q // 4, q % 4 + 1
        labels.append(f"Q{number} {fy}/{(fy + 1) % 100:02d}")
    return labels


@dataclass(frozen=True)
class Series:
    """Observation values (measure, area, period) before formatting."""

    value: FloatArray  # (M, A, T)
    target: FloatArray  # (M, T); nan where the measure has no target
    missing: BoolArray  # (M, A, T)


def _resolution(units: Sequence[str]) -> FloatArray:
    return np.asarray([1.0 if u in {"count", "days"} else 0.1 for u in units])


def make_series(rng: np.random.Generator, specs: Sequence[MeasureSpec], areas: Areas,
                fy: IntArray) -> Series:
    """Values drawn as a standardised distance from target z (1 = one tolerance), with trend and
    AR(1) noise; then some series are made to decline at the end, others to breach tolerance."""
    m_count, a_count, t_count = len(specs), len(areas.names), len(fy)
    polarity = [s.topic.polarity for s in specs]
    units = [s.topic.unit for s in specs]
    is_none = np.asarray([p == "none" for p in polarity])[:, None, None]
    good = np.asarray([-1.0 if p == "smaller_is_better" else 1.0 for p in polarity])
    target = (np.asarray([s.target for s in specs])[:, None]
              + np.asarray([s.target_step for s in specs])[:, None] * (fy - fy[0])[None, :])
    target = np.where(np.asarray([u == "percent" for u in units])[:, None],
                      np.clip(target, 0, 100), target)
    absolute = np.zeros(m_count)
    relative = np.zeros(m_count)
    for i, spec in enumerate(specs):
        kind, _, amount = (spec.tolerance or "relative: 0%").partition(": ")
        if kind == "absolute":
            absolute[i] = float(amount)
        else:
            relative[i] = float(amount.rstrip("%")) / 100
    tolerance = absolute[:, None] + relative[:, None] * np.abs(target)  # (M, T)
    volume = np.asarray([s.target for s in specs])[:, None] * areas.size[None, :]  # (M, A)
    # Volumes move by about 5% per unit of z.
    tol = np.where(is_none, 0.05 * volume[:, :, None], tolerance[:, None, :])  # (M, A, T)

    mean = np.where(is_none[:, :, 0], 0.0, np.where(
        np.asarray([p == "plan_is_best" for p in polarity])[:, None], 0.0, 0.6))
    z = rng.normal(mean, 1.0, (m_count, a_count))[:, :, None] + rng.normal(
        0, 0.01, (m_count, a_count))[:, :, None] * (np.arange(t_count) - (t_count - 1))
    noise = np.zeros((m_count, a_count))
    for t in range(t_count):
        noise = 0.6 * noise + rng.normal(0.0, 0.35, (m_count, a_count))
        z[:, :, t] += noise
    value = np.where(is_none, volume[:, :, None] + z * tol,
                     target[:, None, :] + good[:, None, None] * z * tol)
    value = _clip(value, units)

    res = _resolution(units)
    flat, flat_tol = value.reshape(-1, t_count), tol.reshape(-1, t_count)
    flat_target = np.broadcast_to(target[:, None, :], value.shape).reshape(-1, t_count)
    series_res = np.repeat(res, a_count)
    series_pol = np.repeat(np.asarray(polarity), a_count)
    declining = rng.random(flat.shape[0]) < 0.10
    declining[0] = True  # the first measure is bigger-is-better: one decline is guaranteed
    breaching = (rng.random(flat.shape[0]) < 0.08) & ~declining & (series_pol != "none")
    if m_count > 1:
        breaching[a_count] = True  # and the second measure's first area breaches tolerance
    _decline(rng, flat, flat_tol, flat_target, series_res, series_pol, declining)
    _breach(rng, flat, flat_tol, flat_target, series_res, series_pol, breaching)
    value = _clip(flat.reshape(value.shape), units)
    value = np.where(res[:, None, None] >= 1, np.rint(value), np.round(value, 1))

    missing = rng.random(value.shape) < 0.01
    protected = (declining | breaching).reshape(m_count, a_count)
    missing[:, :, -7:] &= ~protected[:, :, None]
    target = np.where(is_none[:, :, 0], np.nan, target)
    return Series(value, target, missing)


def _clip(value: FloatArray, units: Sequence[str]) -> FloatArray:
    upper = np.asarray([100.0 if u == "percent" else np.inf for u in units])[:, None, None]
    return np.clip(value, 0.0, upper)


def _bad_direction(flat: FloatArray, target: FloatArray, pol: npt.NDArray[np.str_],
                   column: IntArray, rng: np.random.Generator) -> FloatArray:
    """+1 or -1 per series: the direction a worse value moves in."""
    rows = np.arange(flat.shape[0])
    away = np.sign(flat[rows, column] - target[rows, column])
    away = np.where(away == 0, rng.choice([-1.0, 1.0], flat.shape[0]), away)
    return np.select([pol == "bigger_is_better", pol == "plan_is_best"], [-1.0, away], 1.0)


def _decline(rng: np.random.Generator, flat: FloatArray, tol: FloatArray, target: FloatArray,
             res: FloatArray, pol: npt.NDArray[np.str_], chosen: BoolArray) -> None:
    """The last 3-5 steps of the chosen series each worse by at least two rounding units."""
    t_count = flat.shape[1]
    run = rng.integers(3, 6, flat.shape[0])
    start = t_count - 1 - run
    direction = _bad_direction(flat, target, pol, start, rng)
    for j in range(1, 6):
        rows = np.flatnonzero(chosen & (run >= j))
        col = start[rows] + j
        step = np.maximum(rng.uniform(0.3, 0.8, rows.size) * tol[rows, col], 2 * res[rows])
        flat[rows, col] = flat[rows, col - 1] + direction[rows] * step


def _breach(rng: np.random.Generator, flat: FloatArray, tol: FloatArray, target: FloatArray,
            res: FloatArray, pol: npt.NDArray[np.str_], chosen: BoolArray) -> None:
    """The latest value of the chosen series beyond tolerance, clear of rounding."""
    last = flat.shape[1] - 1
    rows = np.flatnonzero(chosen)
    direction = _bad_direction(flat, target, pol, np.full(flat.shape[0], last), rng)[rows]
    size = np.maximum(rng.uniform(1.5, 2.5, rows.size) * tol[rows, last],
                      tol[rows, last] + 2 * res[rows])
    flat[rows, last] = target[rows, last] + direction * size


def _format(values: FloatArray, whole: bool) -> list[str]:
    if whole:
        return list(map(str, values.astype(np.int64).tolist()))
    return [f"{v:.1f}" for v in values.tolist()]


def write_observations(path: Path, specs: Sequence[MeasureSpec], areas: Areas,
                       periods: Sequence[str], series: Series) -> int:
    """One measure at a time: its rows are (area, period) in order, formatted as columns."""
    a_count, t_count = len(areas.names), len(periods)
    for name in [*areas.names, *(s.id for s in specs)]:
        if "," in name or '"' in name:
            raise ValueError(f"{name!r} would need CSV quoting")
    area_column = [a for a in areas.names for _ in range(t_count)]
    period_column = list(periods) * a_count
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("measure_id,period,area,value,target\n")
        for m, spec in enumerate(specs):
            whole = spec.topic.unit in {"count", "days"}
            values = _format(series.value[m].reshape(-1), whole)
            for i in np.flatnonzero(series.missing[m].reshape(-1)).tolist():
                values[i] = ""
            target = series.target[m]
            targets = [""] * t_count if np.isnan(target).all() else _format(target, whole)
            lines = map(",".join, zip([spec.id] * len(values), period_column, area_column,
                                      values, targets * a_count, strict=True))
            out.write("\n".join(lines))
            out.write("\n")
            rows += len(values)
    return rows


RISK_TITLES = (
    "Insufficient placements for children in care",
    "Recruitment and retention of social workers",
    "Drift and delay for children in situations of harm",
    "Demand at the front door exceeding capacity",
    "High-needs budget overspend",
    "Failure of multi-agency safeguarding arrangements",
    "Loss of the case management system",
    "Quality of practice not yet good",
)


def write_risks(rng: np.random.Generator, path: Path, scale: Scale,
                authorities: Sequence[str]) -> int:
    """Likelihood and impact walk by at most one step a quarter; about a fifth of risks (and
    always the first) rise in the latest quarter."""
    count, quarters = len(authorities) * scale.risks, scale.quarters
    likelihood = np.empty((count, quarters), dtype=np.int64)
    impact = np.empty((count, quarters), dtype=np.int64)
    likelihood[:, 0] = rng.integers(2, 5, count)
    impact[:, 0] = rng.integers(2, 6, count)
    for q in range(1, quarters):
        moves = rng.choice([-1, 0, 1], (2, count), p=[0.1, 0.8, 0.1])
        likelihood[:, q] = np.clip(likelihood[:, q - 1] + moves[0], 1, 5)
        impact[:, q] = np.clip(impact[:, q - 1] + np.where(rng.random(count) < 0.3, moves[1], 0),
                               1, 5)
    rising = rng.random(count) < 0.2
    rising[0] = True
    if quarters > 1:
        likelihood[rising, -2] = np.minimum(likelihood[rising, -2], 4)
        likelihood[rising, -1] = likelihood[rising, -2] + 1
        impact[rising, -1] = impact[rising, -2]
    score = likelihood * impact
    inherent = np.minimum(likelihood.max(axis=1, keepdims=True) + 1, 5) * 5  # >= residual
    labels = quarter_labels(quarters)
    level = np.select([score <= 6, score <= 12], ["Low", "Moderate"], "High")
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["risk_id", "period", "score", "likelihood", "impact", "level",
                         "inherent_score", "owner", "title"])
        for r in range(count):
            authority, number = divmod(r, scale.risks)
            risk_id = f"SR{authority + 1}.{number + 1}"
            owner = f"Director of Children's Services, {authorities[authority]}"
            title = RISK_TITLES[number % len(RISK_TITLES)]
            writer.writerows(
                (risk_id, labels[q], score[r, q], likelihood[r, q], impact[r, q], level[r, q],
                 inherent[r, 0], owner, title) for q in range(quarters))
    return count * quarters


_CATEGORIES = ("Neglect", "Emotional abuse", "Physical abuse", "Sexual abuse", "Multiple")


def _dates(ordinals: IntArray) -> list[str]:
    epoch = date(1970, 1, 1).toordinal()
    return (ordinals - epoch).astype("datetime64[D]").astype(str).tolist()  # type: ignore[no-any-return]


def write_cases(rng: np.random.Generator, path: Path, scale: Scale, areas: Areas,
                authorities: Sequence[str]) -> int:
    """Open plans started up to four years ago (about 14% over two years: truncated
    exponential, mean 400 days); closed plans ended in the last three years."""
    as_of = AS_OF.toordinal()
    n_open, n_closed = scale.open_plans, scale.closed_plans
    n = n_open + n_closed
    cap, mean = 4 * 365.25, 400.0
    u = rng.random(n_open)
    open_age = -mean * np.log(1 - u * (1 - np.exp(-cap / mean)))
    if n_open:
        open_age[0] = max(open_age[0], 2 * 365.25 + 30)  # one plan over two years, always
    ended_ago = rng.integers(1, 3 * 365, n_closed)
    length = np.minimum(30 + rng.exponential(300.0, n_closed), 1000)
    start = np.concatenate([as_of - np.floor(open_age),
                            as_of - ended_ago - np.floor(length)]).astype(np.int64)
    end = np.concatenate([np.zeros(n_open), as_of - ended_ago]).astype(np.int64)
    weights = areas.authority_size / areas.authority_size.sum()
    authority = rng.choice(len(authorities), n, p=weights)
    team = rng.integers(1, 4, n)
    worker = (team - 1) * 20 + rng.integers(1, 21, n)
    category = rng.integers(0, len(_CATEGORIES), n)
    previous = rng.choice([0, 1, 2], n, p=[0.75, 0.2, 0.05])
    locality = (rng.integers(0, scale.localities, n) if scale.localities
                else np.full(n, -1, dtype=np.int64))
    order = np.lexsort((np.arange(n), start))  # child ids follow plan start, oldest first
    starts, ends = _dates(start[order]), _dates(end[order])
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["child_id", "plan_type", "start_date", "end_date", "team", "locality",
                         "worker", "category", "previous_plans"])
        for row, i in enumerate(order.tolist()):
            name = authorities[authority[i]]
            writer.writerow((
                f"C{row + 1:06d}", "CP", starts[row], ends[row] if end[i] else "",
                f"{name} Safeguarding {team[i]}",
                f"{name} {_LOCALITIES[locality[i]]}" if locality[i] >= 0 else "",
                f"Worker {worker[i]}", _CATEGORIES[category[i]], previous[i]))
    return n


def generate(scale: str, out: Path, seed: int = 1) -> GeneratedData:
    """Write one scale's synthetic data, catalogue and starter rules into `out`."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(PUBLIC_SCALES)}, got {scale!r}")
    spec = SCALES[scale]
    out.mkdir(parents=True, exist_ok=True)
    # One stream per table, so changing how one table is drawn leaves the others as they were.
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    catalogue_rng, area_rng, series_rng, risk_rng, case_rng = streams
    authorities = authority_names(spec.authorities)
    specs = measure_specs(catalogue_rng, spec.measures)
    areas = make_areas(area_rng, spec, authorities)
    periods, fy = month_labels(spec.periods)
    series = make_series(series_rng, specs, areas, fy)
    paths = {name: out / name for name in ("observations.csv", "risks.csv", "cases.csv",
                                           "measures.yaml", "rules.yaml")}
    paths["measures.yaml"].write_text(catalogue_yaml(specs), encoding="utf-8")
    paths["rules.yaml"].write_text(RULES_YAML, encoding="utf-8")
    return GeneratedData(
        scale=scale, seed=seed, out=out, as_of=AS_OF,
        observations=paths["observations.csv"], risks=paths["risks.csv"],
        cases=paths["cases.csv"], catalogue=paths["measures.yaml"], rules=paths["rules.yaml"],
        observation_rows=write_observations(paths["observations.csv"], specs, areas, periods,
                                            series),
        risk_rows=write_risks(risk_rng, paths["risks.csv"], spec, authorities),
        case_rows=write_cases(case_rng, paths["cases.csv"], spec, areas, authorities),
    )


def _summary(data: GeneratedData, seconds: float, stream: TextIO) -> None:
    files: Iterable[tuple[str, Path, int | None]] = (
        ("observations", data.observations, data.observation_rows),
        ("risks", data.risks, data.risk_rows), ("cases", data.cases, data.case_rows),
        ("catalogue", data.catalogue, None), ("rules", data.rules, None))
    for name, path, rows in files:
        size = path.stat().st_size / 1_000_000
        counted = f"{rows:>10,} rows" if rows is not None else " " * 15
        print(f"{name:<13}{counted}  {size:8.2f} MB  {path}", file=stream)
    print(f"{data.scale} (seed {data.seed}) written in {seconds:.1f} s; evaluate as of "
          f"{data.as_of.isoformat()}", file=stream)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", required=True, metavar="{council,region,national}")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.scale not in SCALES:
        parser.error(f"--scale must be one of {', '.join(PUBLIC_SCALES)}")
    started = time.perf_counter()
    data = generate(args.scale, args.out, args.seed)
    _summary(data, time.perf_counter() - started, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
