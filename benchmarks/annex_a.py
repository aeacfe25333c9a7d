"""`python -m benchmarks.annex_a`: load an Annex A workbook of 50,000 invented children.

    python -m benchmarks.annex_a [--children 50000] [--store sqlite|postgresql] [--seed N]

Writes the workbook with `benchmarks.generate.annex_a` (lists 1-10, title row, Ofsted's
headings), then loads it in a fresh process, as `alerting load` would, timing the load and
taking that process's peak memory (RSS), then loads it again (nothing changes). PostgreSQL
needs a scratch database in CSC_ALERTING_BENCH_POSTGRES_URL (its tables are emptied).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _load(path: Path, url: str) -> dict[str, float | int]:
    """Load the workbook twice into an empty store; seconds, rows and peak RSS (MB)."""
    from alerting.loading import load_path
    from alerting.service.logs import configure_logging
    from alerting.store import Store
    from alerting.store.schema import metadata

    configure_logging(0)
    with Store.open(url) as store:
        with store.engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
        started = time.perf_counter()
        reports = load_path(store, path)
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = load_path(store, path)
        second = time.perf_counter() - started
    return {
        "seconds": first, "reload_seconds": second,
        "events": sum(r.counts.total for r in reports),
        "rejected": sum(len(r.rejected) for r in reports),
        "reload_unchanged": sum(r.counts.unchanged for r in again),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=50_000)
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--load-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_only:
        print(json.dumps(_load(args.load_only, args.url)))
        return 0
    from benchmarks.generate.annex_a import write_annex_a

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        book = work / "annex_a.xlsx"
        started = time.perf_counter()
        counts = write_annex_a(book, args.children, args.seed)
        written = time.perf_counter() - started
        rows = sum(counts.rows.values())
        print(f"children {args.children:,}, store {args.store}")
        print(f"  write workbook (openpyxl write-only)   {written:8.2f} s  {rows:,} rows, "
              f"{book.stat().st_size / 1e6:.1f} MB")
        if args.store == "sqlite":
            url = f"sqlite:///{work / 'bench.sqlite3'}"
        else:
            url = os.environ.get("CSC_ALERTING_BENCH_POSTGRES_URL", "")
            if not url:
                raise SystemExit("set CSC_ALERTING_BENCH_POSTGRES_URL to a scratch database")
        out = subprocess.run([sys.executable, "-m", "benchmarks.annex_a", "--load-only",
                              str(book), "--url", url], check=True, capture_output=True,
                             text=True).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        print(f"  load the workbook                      {figures['seconds']:8.2f} s  "
              f"{figures['events']:,} events ({figures['events'] / figures['seconds']:,.0f}/s)"
              f", {figures['rejected']} rejected")
        print(f"  load it again (nothing changes)        {figures['reload_seconds']:8.2f} s  "
              f"{figures['reload_unchanged']:,} unchanged")
        print(f"  peak memory of the loading process     {figures['peak_rss_mb']:8.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
