"""`python -m benchmarks.generate`: write one scale's files and say what was written."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from benchmarks.generate.dataset import GeneratedData, generate
from benchmarks.generate.scales import PUBLIC_SCALES, SCALES

DESCRIPTION = "Deterministic synthetic data in the data contract, for benchmarks: no real children."


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
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=DESCRIPTION)
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
