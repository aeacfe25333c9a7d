"""`python -m benchmarks.deadlines`: the timeliness starter rules over 50,000 open events.

    python -m benchmarks.deadlines [--events 50000] [--seed N] [--as-of 2024-06-28]

Invents open child-level events at national scale (every English local authority's teams,
see `benchmarks.generate.areas`): assessments with referral and visit dates, section 47
enquiries, CP plans with visits and reviews, children in care and CIN plans, in the mix the
starter rules read. Times building the event frame and evaluating each rule of
`rules/timeliness.yaml` (`case_deadline`) as the service does, and the process's peak memory
(RSS) before and after.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from alerting.model.events import EventFrame, EventKind, EventRecord

ROOT = Path(__file__).resolve().parent.parent
# The share of each kind among open events (roughly the national CIN census mix).
MIX = ((EventKind.ASSESSMENT, 0.30), (EventKind.S47, 0.10), (EventKind.CP_PLAN, 0.15),
       (EventKind.CIC, 0.25), (EventKind.CIN, 0.20))
AUTHORITIES = 153  # English local authorities with children's services
TEAMS_PER_AUTHORITY = 6


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def invent(count: int, as_of: date, seed: int = 2024) -> list[EventRecord]:
    """`count` open events (a few closed within the month), child ids E0000001..."""
    rng = random.Random(seed)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    events = []
    for number in range(1, count + 1):
        kind = rng.choices(kinds, weights)[0]
        authority = rng.randrange(AUTHORITIES)
        team = f"LA{authority:03} {kind.value} team {rng.randrange(TEAMS_PER_AUTHORITY) + 1}"
        span = {EventKind.ASSESSMENT: 120, EventKind.S47: 40}.get(kind, 900)
        start = as_of - timedelta(days=rng.randrange(1, span))
        dates: dict[str, date] = {}
        end = None
        if kind is EventKind.ASSESSMENT:
            dates["referral_date"] = start - timedelta(days=rng.randrange(0, 3))
            if rng.random() < 0.8:
                dates["initial_visit"] = min(start + timedelta(days=rng.randrange(0, 25)),
                                             as_of)
            if rng.random() < 0.1:
                end = as_of - timedelta(days=rng.randrange(0, 20))
                end = max(end, start)
        elif kind is EventKind.S47 and rng.random() < 0.5:
            dates["icpc_date"] = min(start + timedelta(days=rng.randrange(5, 30)), as_of)
        elif kind in (EventKind.CP_PLAN, EventKind.CIC, EventKind.CIN):
            if rng.random() < 0.9:
                dates["last_visit"] = as_of - timedelta(days=rng.randrange(0, 25))
            if rng.random() < 0.8:
                dates["latest_review"] = max(start, as_of - timedelta(days=rng.randrange(0, 220)))
        events.append(EventRecord(f"E{number:07}", kind, start, end, team,
                                  f"LA{authority:03}", f"Worker {rng.randrange(40) + 1}",
                                  dates))
    return events


def main(argv: list[str] | None = None) -> int:
    from alerting.config.ruleset import load_rules
    from alerting.model.calendar import england_and_wales
    from alerting.model.catalogue import Catalogue
    from alerting.model.frames import CaseFrame, ObservationFrame, RiskFrame
    from alerting.rules import EvaluationContext, EvaluationData
    from alerting.service.logs import configure_logging

    parser = argparse.ArgumentParser(prog="python -m benchmarks.deadlines")
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2024, 6, 28))
    args = parser.parse_args(argv)
    configure_logging(0)
    ruleset = load_rules([ROOT / "rules" / "timeliness.yaml"])
    calendar = england_and_wales()
    calendar.add_working_days(args.as_of, 1)  # the bank holidays load once, before timing
    started = time.perf_counter()
    records = invent(args.events, args.as_of, args.seed)
    invented = time.perf_counter() - started
    print(f"  {'invent ' + str(len(records)) + ' open events':<44} {invented:>8.2f} s", flush=True)
    rss_before = _rss_mb()
    started = time.perf_counter()
    frame = EventFrame.from_records(records)
    built = time.perf_counter() - started
    print(f"  {'event frame (columns)':<44} {built:>8.2f} s", flush=True)
    data = EvaluationData(Catalogue({}), ObservationFrame.from_records(()),
                          RiskFrame.from_records(()), CaseFrame.from_records(()), frame)
    context = EvaluationContext(args.as_of, calendar=calendar)
    total, found = 0.0, 0
    for rule in ruleset.rules:
        started = time.perf_counter()
        findings = rule.evaluate(data, context)
        seconds = time.perf_counter() - started
        total += seconds
        found += len(findings)
        statuses = Counter(f.status.value for f in findings)
        detail = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) or "none"
        print(f"  {'evaluate ' + rule.id:<44} {seconds:>8.2f} s  {detail}", flush=True)
    print(f"  {'evaluate all ' + str(len(ruleset.rules)) + ' timeliness rules':<44} "
          f"{total:>8.2f} s  {found} findings", flush=True)
    print(f"  peak memory (RSS): {rss_before:.0f} MB with the events invented, "
          f"{_rss_mb():.0f} MB after evaluating", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
