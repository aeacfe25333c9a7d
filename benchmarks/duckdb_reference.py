"""`python -m benchmarks.duckdb_reference`: a yardstick for the engine's evaluation speed.

    python -m benchmarks.duckdb_reference --scale national [--data DIR] [--seed N]

DuckDB reads the benchmark's observations CSV (generated into DIR, or reused when DIR
already holds it) and, for every series (measure, area), computes what the starter pack's
`significantly-worse-than-target` and `three-period-decline` rules compute: whether the
latest value is worse than target by more than the measure's tolerance, and how many
periods running it has deteriorated (a breach at 3, a warning at 2). It prints the seconds
and what it found, so the figure can be set beside `python -m benchmarks` ("read the
store as columns" plus the two rule types) knowing both did the same work.

Polarity and tolerance come from the generated catalogue, read by the engine's own
catalogue loader. Same semantics as the rules: plan-is-best counts distance either side as
worse; a missing value or target is never a breach; a gap in the months, a missing value
or an unchanged value breaks a run. Needs the `bench` extra: pip install -e ".[bench]".
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.generate import AS_OF, PUBLIC_SCALES, SCALES, generate

# The starter pack's decline rule: a breach after 3 periods, a warning at 2.
DECLINE_PERIODS, DECLINE_WARN_AT = 3, 2
# As the tolerance rule: values this close to the edge (relative to target) are at the edge.
EPSILON = 1e-9
_COMPLETE = ".complete"  # written beside the generated files once they are all there


@dataclass(frozen=True)
class ReferenceResult:
    """What DuckDB found, and how long each step took."""

    rows: int
    series: int
    tolerance_breaches: int
    decline_breaches: int
    decline_warnings: int
    read_seconds: float
    tolerance_seconds: float
    decline_seconds: float
    value_sum: float = 0.0  # checks on the data read (not timed): sums of value and target
    target_sum: float = 0.0

    @property
    def seconds(self) -> float:
        return self.read_seconds + self.tolerance_seconds + self.decline_seconds


def measure_rows(catalogue: Path) -> list[tuple[str, float | None, bool, float, float]]:
    """(measure id, good direction: 1, -1 or None, plan-is-best, absolute and relative
    tolerance) for each measure, as the engine reads the catalogue."""
    from alerting.config.ruleset import load_rules
    from alerting.model.catalogue import Polarity

    loaded = load_rules([catalogue])
    if loaded.problems:
        raise SystemExit(f"the catalogue {catalogue} has problems: {loaded.problems}")
    good = {Polarity.BIGGER_IS_BETTER: 1.0, Polarity.SMALLER_IS_BETTER: -1.0}
    rows = []
    for measure in loaded.catalogue.measures.values():
        tolerance = measure.tolerance
        rows.append((measure.id, good.get(measure.polarity),
                     measure.polarity is Polarity.PLAN_IS_BEST,
                     (tolerance.absolute or 0.0) if tolerance else 0.0,
                     (tolerance.relative or 0.0) if tolerance else 0.0))
    return rows


READ_SQL = """
CREATE TABLE observations AS
SELECT measure_id, area,
       CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1
           AS month,
       value, target
FROM read_csv(?, header = true, auto_detect = false,
              columns = {'measure_id': 'VARCHAR', 'period': 'VARCHAR', 'area': 'VARCHAR',
                         'value': 'DOUBLE', 'target': 'DOUBLE'})
"""

# Each series' latest row up to the as-of month, rated as the tolerance rule's red band.
TOLERANCE_SQL = """
WITH latest AS (
    SELECT o.*, m.good, m.plan, m.absolute + m.relative * abs(o.target) AS tolerance
    FROM observations o JOIN measures m USING (measure_id)
    WHERE o.month <= $as_of
    QUALIFY row_number() OVER (PARTITION BY o.measure_id, o.area ORDER BY o.month DESC) = 1
)
SELECT count(*) AS series,
       count(*) FILTER (
           WHERE (good IS NOT NULL OR plan) AND value IS NOT NULL AND target IS NOT NULL
             AND CASE WHEN plan THEN -abs(value - target) ELSE (value - target) * good END
                 < -tolerance - $epsilon * greatest(1.0, abs(target))) AS breaches
FROM latest
"""

# A bad step: worse than the row before, one month on. The run at the latest row is its
# position less that of the last row that was not a bad step (a series' first row never is).
DECLINE_SQL = """
WITH steps AS (
    SELECT o.measure_id, o.area,
           row_number() OVER w AS position,
           coalesce(o.month - lag(o.month) OVER w = 1 AND CASE
               WHEN m.plan THEN abs(o.value - o.target) > lag(abs(o.value - o.target)) OVER w
               ELSE (o.value - lag(o.value) OVER w) * -m.good > 0 END, false) AS bad
    FROM observations o JOIN measures m USING (measure_id)
    WHERE o.month <= $as_of
    WINDOW w AS (PARTITION BY o.measure_id, o.area ORDER BY o.month)
), runs AS (
    SELECT max(position) - max(position) FILTER (WHERE NOT bad) AS run
    FROM steps GROUP BY measure_id, area
)
SELECT count(*) FILTER (WHERE run >= $periods) AS breaches,
       count(*) FILTER (WHERE run >= $warn_at AND run < $periods) AS warnings
FROM runs
"""


def run_reference(observations: Path, catalogue: Path, as_of: date,
                  threads: int | None = None) -> ReferenceResult:
    """Read the CSV into DuckDB and compute both checks for every series, timing each."""
    import duckdb  # type: ignore[import-not-found, unused-ignore]  # the optional bench extra

    connection = duckdb.connect()
    try:
        if threads:
            connection.execute(f"SET threads = {int(threads)}")
        _create_measures(connection, measure_rows(catalogue))
        as_of_month = as_of.year * 12 + as_of.month - 1
        started = time.perf_counter()
        connection.execute(READ_SQL, [str(observations)])
        rows = _one(connection, "SELECT count(*) FROM observations", {})[0]
        read = time.perf_counter()
        series, breaches = _one(connection, TOLERANCE_SQL,
                                {"as_of": as_of_month, "epsilon": EPSILON})
        rated = time.perf_counter()
        declines, warnings = _one(connection, DECLINE_SQL,
                                  {"as_of": as_of_month, "periods": DECLINE_PERIODS,
                                   "warn_at": DECLINE_WARN_AT})
        done = time.perf_counter()
        sums = connection.execute(
            "SELECT coalesce(sum(value), 0), coalesce(sum(target), 0) FROM observations"
        ).fetchone()
    finally:
        connection.close()
    assert sums is not None
    return ReferenceResult(rows, series, breaches, declines, warnings,
                           read - started, rated - read, done - rated,
                           float(sums[0]), float(sums[1]))


KEPT_SQL = """
CREATE TABLE observations (measure_id VARCHAR, area VARCHAR, month INTEGER, value DOUBLE,
                           target DOUBLE, PRIMARY KEY (measure_id, area, month));
INSERT INTO observations
SELECT measure_id, area,
       CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1,
       value, target
FROM read_csv(?, header = true, auto_detect = false,
              columns = {'measure_id': 'VARCHAR', 'period': 'VARCHAR', 'area': 'VARCHAR',
                         'value': 'DOUBLE', 'target': 'DOUBLE'});
CHECKPOINT;
"""


def kept_load_seconds(observations: Path, folder: Path) -> float:
    """Context for the load ratio, not the yardstick: DuckDB reading the same CSV into a
    database file, keyed by (measure, area, month) as the store is, and checkpointed, so
    the rows are on disk and a repeat is refused, as the store's are. Seconds."""
    import duckdb  # type: ignore[import-not-found, unused-ignore]  # the optional bench extra

    path = folder / "kept.duckdb"
    path.unlink(missing_ok=True)
    connection = duckdb.connect(str(path))
    try:
        started = time.perf_counter()
        statements = [sql for sql in KEPT_SQL.split(";") if sql.strip()]
        for sql in statements:
            connection.execute(sql, [str(observations)] if "read_csv" in sql else [])
        return time.perf_counter() - started
    finally:
        connection.close()
        path.unlink(missing_ok=True)


def _create_measures(connection: Any, rows: list[tuple[str, float | None, bool, float, float]]
                     ) -> None:
    connection.execute("CREATE TABLE measures (measure_id VARCHAR, good DOUBLE, plan BOOLEAN, "
                       "absolute DOUBLE, relative DOUBLE)")
    connection.executemany("INSERT INTO measures VALUES (?, ?, ?, ?, ?)", rows)


def _one(connection: Any, sql: str, parameters: dict[str, Any]) -> tuple[int, ...]:
    row = connection.execute(sql, parameters).fetchone()
    assert row is not None  # an aggregate always gives one row
    return tuple(int(v or 0) for v in row)


def data_folder(scale: str, seed: int, folder: Path | None) -> tuple[Path, bool]:
    """The folder holding the scale's generated files, generating them unless a complete
    earlier generation is there; and whether it was reused."""
    folder = folder or Path(tempfile.gettempdir()) / "csc-alerting-bench" / f"{scale}-{seed}"
    stamp = folder / _COMPLETE
    if stamp.exists() and stamp.read_text() == f"{scale} {seed}\n":
        return folder, True
    generate(scale, folder, seed)
    stamp.write_text(f"{scale} {seed}\n")
    return folder, False


def report(result: ReferenceResult, scale: str) -> str:
    return "\n".join([
        f"DuckDB reference, {scale}: {result.rows:,} observations, {result.series:,} series",
        f"  read the CSV                      {result.read_seconds:8.2f} s",
        f"  tolerance at the latest period    {result.tolerance_seconds:8.2f} s  "
        f"{result.tolerance_breaches:,} worse than target by more than tolerance",
        f"  three-period declines             {result.decline_seconds:8.2f} s  "
        f"{result.decline_breaches:,} breaches (3+ periods), "
        f"{result.decline_warnings:,} warnings (2)",
        f"  total                             {result.seconds:8.2f} s",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.duckdb_reference",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", choices=[*PUBLIC_SCALES, "tiny"], default="national")
    parser.add_argument("--data", type=Path, default=None,
                        help="folder for the generated files (default: a folder per scale "
                             "and seed under the temporary directory, reused when complete)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None,
                        help="DuckDB threads (default: one per core)")
    args = parser.parse_args(argv)
    assert args.scale in SCALES
    folder, reused = data_folder(args.scale, args.seed, args.data)
    print(f"{'reusing' if reused else 'generated'} {folder}", flush=True)
    result = run_reference(folder / "observations.csv", folder / "measures.yaml", AS_OF,
                           args.threads)
    print(report(result, args.scale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
