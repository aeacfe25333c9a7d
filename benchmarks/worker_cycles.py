"""Memory over many consecutive runs in one process: does the worker leak?

Runs the service's full cycle (rules re-read, all bundled example sources loaded, every
rule evaluated, alert state, notices rendered and written to files, self-checks) N times
in one process against one SQLite file, with the clock moved on a day per run so repeat
notices fall due, and prints resident memory (RSS) as it goes.

    python -m benchmarks.worker_cycles [--cycles 200] [--as-of 2021-09-30]
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc; else the peak from getrusage)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2021, 9, 30))
    args = parser.parse_args(argv)

    from alerting.config.settings import load_settings
    from alerting.service.logs import configure_logging
    from alerting.service.run import Service
    from alerting.store import Store

    configure_logging(0)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        settings = load_settings(ROOT / "config" / "service.yaml")
        settings = settings.model_copy(update={
            "database_url": f"sqlite:///{work / 'alerting.sqlite3'}",
            "redirect_to_folder": str(work / "notices"),
            "rules": (str(ROOT / "rules"),),
            "recipients": str(ROOT / "config" / "recipients.yaml"),
            "silences": str(ROOT / "config" / "silences.yaml"),
            "templates": str(ROOT / "config" / "templates"),
            "sources": tuple(s.model_copy(update={"path": str(ROOT / "examples" / Path(
                s.path or "").name)}) for s in settings.sources),
        })
        with Store.open(settings.database_url) as store:
            now = [datetime(2026, 1, 1, 7, tzinfo=UTC)]
            service = Service(settings, store, worker="bench", clock=lambda: now[0])
            plan = service.plan(None, args.as_of)
            print(f"{'cycle':>6} {'rss MB':>8} {'seconds':>8} {'outcome':>9} {'notices':>8}")
            started = time.perf_counter()
            samples: dict[int, float] = {}
            for cycle in range(1, args.cycles + 1):
                now[0] += timedelta(days=1)
                began = time.perf_counter()
                run = service.run(plan)
                took = time.perf_counter() - began
                if run is None or run.outcome not in ("ok", "degraded"):
                    print(f"cycle {cycle} failed: {run}", file=sys.stderr)
                    return 1
                if cycle in (1, 2, 5, 10) or cycle % 25 == 0 or cycle == args.cycles:
                    gc.collect()
                    samples[cycle] = rss_mb()
                    print(f"{cycle:>6} {samples[cycle]:>8.1f} {took:>8.2f} {run.outcome:>9} "
                          f"{run.notices_queued:>8}")
    total = time.perf_counter() - started
    # Caches (SQLAlchemy's compiled statements, Jinja's templates, SQLite's pages) fill
    # during the first runs; a leak shows as growth after that.
    settled = max((c for c in samples if c <= args.cycles // 4), default=min(samples))
    first, last = samples[settled], samples[max(samples)]
    print(f"{args.cycles} cycles in {total:.0f} s ({total / args.cycles:.2f} s each); "
          f"RSS after cycle {settled}: {first:.1f} MB, after cycle {args.cycles}: "
          f"{last:.1f} MB (change {last - first:+.1f} MB); peak during warm-up "
          f"{max(samples.values()):.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
