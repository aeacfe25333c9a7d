"""Deterministic synthetic data in the data contract, for benchmarks: no real children.

Writes observations.csv, risks.csv, cases.csv, a measure catalogue (measures.yaml) and a
starter rule pack (rules.yaml) into a folder. Everything comes from one seeded numpy
Generator and a fixed final period, so the same scale and seed give byte-identical files.

    python -m benchmarks.generate --scale council|region|national --out DIR [--seed N]

One module per job: `scales` (how much, over which periods), `areas`, `catalogue` and
`rules` (the YAML files), `series` (the observation values), the table writers
`observations`, `risks` and `cases`, `dataset` (`generate`, running them in order) and `cli`.
"""

from __future__ import annotations

from benchmarks.generate.cli import main
from benchmarks.generate.dataset import GeneratedData, generate
from benchmarks.generate.scales import AS_OF, PUBLIC_SCALES, SCALES, Scale

__all__ = ["AS_OF", "PUBLIC_SCALES", "SCALES", "GeneratedData", "Scale", "generate", "main"]
