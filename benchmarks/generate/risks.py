"""risks.csv: each authority's strategic risk register, quarter by quarter."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.generate.scales import Scale, quarter_labels

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
