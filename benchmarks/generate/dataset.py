"""`generate`: one scale's synthetic data, catalogue and starter rules written into a folder,
each table from its own seeded stream."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from benchmarks.generate.areas import authority_names, make_areas
from benchmarks.generate.cases import write_cases
from benchmarks.generate.catalogue import catalogue_yaml, measure_specs
from benchmarks.generate.observations import write_observations
from benchmarks.generate.risks import write_risks
from benchmarks.generate.rules import RULES_YAML
from benchmarks.generate.scales import AS_OF, PUBLIC_SCALES, SCALES, month_labels
from benchmarks.generate.series import make_series


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
