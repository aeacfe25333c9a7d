"""`python -m benchmarks`: time every stage at one scale, in one process, and print a table.

    python -m benchmarks --scale council|region|national [--store sqlite|postgresql]

Stages: generate the synthetic data; load it from CSV into the store (rows/s); read it back
as columns; evaluate the starter pack (total and per rule type); update alert state; render
and deliver notices to a loopback SMTP server and a loopback HTTP server, each in a process
of its own (notices/s); `validate` 100 rule files; a backtest of 24 monthly as-of dates as
`alerting backtest` runs it; peak memory (RSS). Then the DuckDB reference on the same CSV,
in the same process: each comparable stage's seconds on both sides and the ratio, and checks
that both sides hold the same data (rows, sums of values and targets) and find the same
breaches; the command exits 1 if they disagree. PostgreSQL needs a URL in
CSC_ALERTING_BENCH_POSTGRES_URL (a scratch database: its tables are emptied).
Needs the test extras (aiosmtpd): pip install -e ".[test]".
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.backtest_stage import backtest_months
from benchmarks.generate import SCALES, generate
from benchmarks.loopback import http_server, smtp_server

REFERENCE_RUNS = 3  # DuckDB's side is run this many times; each stage's fastest is used


@dataclass
class Table:
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # by stage, for the ratios
    ratios: dict[str, float] = field(default_factory=dict)  # ours / DuckDB's
    stored: tuple[int, float, float] = (0, 0.0, 0.0)  # rows, sum of values, of targets
    found: Counter[tuple[str, str]] = field(default_factory=Counter)
    disagreements: list[str] = field(default_factory=list)

    def add(self, stage: str, seconds: float, detail: str = "") -> None:
        self.rows.append((stage, f"{seconds:.2f}", detail))
        print(f"  {stage:<44} {seconds:>8.2f} s  {detail}", flush=True)


@contextmanager
def timed() -> Iterator[list[float]]:
    box = [0.0]
    started = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _empty(store: Any) -> None:
    import sqlalchemy as sa

    from alerting.store.schema import metadata

    with store.engine.begin() as conn:  # as a new database: TRUNCATE leaves no dead rows
        names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        conn.execute(sa.text(f"TRUNCATE {names}"))


def run(scale: str, backend: str, notices: int, seed: int,  # noqa: PLR0915 (one stage after another)
        say: Callable[[str], None] = print) -> Table:
    from alerting.config.ruleset import load_rules
    from alerting.config.settings import Settings
    from alerting.loading import load_path
    from alerting.model.findings import Finding
    from alerting.pipeline import commit_notice_pass, evaluate_data, notice_pass, read_data
    from alerting.service.logs import configure_logging
    from alerting.store import Store

    configure_logging(0)
    table = Table()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        say(f"scale {scale}, store {backend}, seed {seed}")
        with timed() as t:
            data = generate(scale, work / "data", seed)
        total_rows = data.observation_rows + data.risk_rows + data.case_rows
        table.add("generate synthetic data", t[0], f"{total_rows:,} rows")

        if backend == "sqlite":
            url = f"sqlite:///{work / 'bench.sqlite3'}"
        else:
            url = os.environ.get("CSC_ALERTING_BENCH_POSTGRES_URL", "")
            if not url:
                raise SystemExit("set CSC_ALERTING_BENCH_POSTGRES_URL to a scratch database")
        with Store.open(url) as store:
            if backend != "sqlite":
                _empty(store)
            for name, path, rows in (("observations", data.observations, data.observation_rows),
                                     ("risks", data.risks, data.risk_rows),
                                     ("cases", data.cases, data.case_rows)):
                with timed() as t:
                    reports = load_path(store, path)
                rejected = sum(len(r.rejected) for r in reports)
                table.add(f"load {name} from CSV", t[0],
                          f"{rows / t[0]:,.0f} rows/s, {rejected} rejected, "
                          f"peak RSS so far {peak_rss_mb():,.0f} MB")
                table.seconds[f"load {name}"] = t[0]
            with timed() as t:
                reports = load_path(store, data.observations)
            table.add("re-load observations (all unchanged)", t[0],
                      f"{sum(r.counts.unchanged for r in reports):,} unchanged")
            table.seconds["re-load observations"] = t[0]
            table.stored = stored_sums(store)

            ruleset = load_rules([data.catalogue, data.rules])
            assert not ruleset.errors, ruleset.errors
            with timed() as t:
                frames = read_data(store, ruleset)
            table.add("read the store as columns", t[0],
                      f"{len(frames.observations.value):,} observations, "
                      f"peak RSS so far {peak_rss_mb():,.0f} MB")

            settings = Settings(database_url=url)
            by_type: dict[str, float] = defaultdict(float)
            findings: list[Finding] = []
            with timed() as whole:
                for rule in ruleset.enabled():
                    started = time.perf_counter()
                    result = evaluate_data(ruleset, frames, data.as_of, settings.rag_scheme,
                                           only={rule.id})
                    by_type[rule.rule_type] += time.perf_counter() - started
                    findings.extend(result.exceptions)
            table.add("evaluate the starter pack", whole[0], f"{len(findings):,} exceptions")
            for kind, seconds in sorted(by_type.items()):
                table.add(f"  of which {kind}", seconds)
            table.seconds.update({f"evaluate {k}": v for k, v in by_type.items()})
            table.found = Counter((f.rule, f.status.value) for f in findings)

            now = datetime(2026, 10, 1, 7, tzinfo=UTC)
            with timed() as t:
                done = notice_pass({}, findings, evaluated={r.id for r in ruleset.enabled()},
                                   known={r.id for r in ruleset.rules}, now=now, routing=None,
                                   log={}, rule_titles=ruleset.rule_titles())
                commit_notice_pass(store, done, now)
            table.add("update and store alert state", t[0], f"{len(done.updates):,} alerts")

            deliver_notices(store, findings[:notices], ruleset, now, table)

            validate_files(data, work / "validate", table)

            figures = backtest_months(store, ruleset, data.as_of, work / "backtest")
            table.add(f"backtest {figures.as_of_dates} monthly as-of dates", figures.seconds,
                      f"{figures.episodes:,} episodes, {figures.notices:,} notices")
        table.add("peak memory (RSS)", 0.0, f"{peak_rss_mb():,.0f} MB")
        # Last, so the peak above is the service's own; on the same files, in this process.
        beside_duckdb(data, table, say)
    return table


def stored_sums(store: Any) -> tuple[int, float, float]:
    """Rows in the store's observations, and the sums of their values and targets."""
    import sqlalchemy as sa

    from alerting.store.schema import observations

    query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(observations.c.value), 0),
                      sa.func.coalesce(sa.func.sum(observations.c.target), 0))
    with store.engine.connect() as conn:
        count, values, targets = conn.execute(query).one()
    return int(count), float(values), float(targets)


def beside_duckdb(data: Any, table: Table, say: Callable[[str], None]) -> None:
    """The DuckDB reference (`duckdb_reference.py`) on the same CSV, stage by stage beside
    ours with the ratio; then the checks that both sides had the same data and found the
    same breaches. Each disagreement is added to `table.disagreements`."""
    try:
        from benchmarks.duckdb_reference import kept_load_seconds, run_reference
    except ImportError:  # pragma: no cover - duckdb is in the test and bench extras
        say("DuckDB is not installed (pip install -e '.[bench]'): no side-by-side figures")
        return
    runs = [run_reference(data.observations, data.catalogue, data.as_of)
            for _ in range(REFERENCE_RUNS)]
    duck = replace(  # DuckDB at its fastest: the ratio errs against us
        runs[0], read_seconds=min(r.read_seconds for r in runs),
        tolerance_seconds=min(r.tolerance_seconds for r in runs),
        decline_seconds=min(r.decline_seconds for r in runs))
    ours = table.seconds
    tolerance = ours.get("evaluate tolerance", 0.0)
    decline = ours.get("evaluate decline", 0.0)
    say(f"beside DuckDB (same CSV, same process; DuckDB's fastest of {REFERENCE_RUNS} runs):")
    say(f"  {'stage':<44} {'ours':>8} {'DuckDB':>8} {'ratio':>7}")
    for stage, mine, theirs in (
            ("load observations (DuckDB: read the CSV)", ours["load observations"],
             duck.read_seconds),
            ("re-load observations (DuckDB: read again)", ours["re-load observations"],
             duck.read_seconds),
            ("evaluate tolerance", tolerance, duck.tolerance_seconds),
            ("evaluate decline", decline, duck.decline_seconds),
            ("evaluate tolerance + decline", tolerance + decline,
             duck.tolerance_seconds + duck.decline_seconds)):
        ratio = mine / theirs if theirs else float("inf")
        table.ratios[stage] = ratio
        say(f"  {stage:<44} {mine:>7.2f}s {theirs:>7.2f}s {ratio:>6.1f}x")
    with tempfile.TemporaryDirectory() as folder:
        kept = min(kept_load_seconds(data.observations, Path(folder))
                   for _ in range(REFERENCE_RUNS))
    stage = "  context: DuckDB into a keyed database file"
    say(f"{stage:<46} {ours['load observations']:>7.2f}s {kept:>7.2f}s "
        f"{ours['load observations'] / kept:>6.1f}x")
    count, values, targets = table.stored
    found = table.found
    checks = (
        ("observations stored / read", count, duck.rows),
        ("sum of values", values, duck.value_sum),
        ("sum of targets", targets, duck.target_sum),
        ("tolerance breaches", found["significantly-worse-than-target", "red"],
         duck.tolerance_breaches),
        ("decline breaches", found["three-period-decline", "breach"], duck.decline_breaches),
        ("decline warnings", found["three-period-decline", "warning"], duck.decline_warnings),
    )
    for what, mine_found, theirs_found in checks:
        # sums are added in another order on each side: equal to 1e-9 of their size
        same = math.isclose(mine_found, theirs_found, rel_tol=1e-9, abs_tol=1e-6)
        say(f"  {what:<44} {mine_found:>16,.6g} {theirs_found:>16,.6g}  "
            f"{'same' if same else 'DISAGREE'}")
        if not same:
            table.disagreements.append(f"{what}: ours {mine_found}, DuckDB {theirs_found}")


def validate_files(data: Any, folder: Path, table: Table) -> None:
    """What `alerting validate` does, over 100 rule files (and the catalogue)."""
    from alerting.config.ruleset import load_rules

    folder.mkdir()
    text = data.rules.read_text()
    for i in range(100):
        (folder / f"rules-{i:03d}.yaml").write_text(text.replace("- id: ", f"- id: f{i:03d}-"))
    with timed() as t:
        checked = load_rules([folder, data.catalogue])
    table.add("validate 100 rule files", t[0],
              f"{len(checked.rules)} rules, {len(checked.errors)} errors")


def deliver_notices(store: Any, findings: list[Any], ruleset: Any, now: datetime,
                    table: Table) -> None:
    """One notice per alert (`group: each`), made by the service's notice pass (as new
    alerts), committed to the outbox and delivered: once all by email to a loopback SMTP
    server, once all by webhook to a loopback HTTP server."""
    from datetime import timedelta

    from alerting.alerts.silences import Silences
    from alerting.config.settings import DeliverySettings, Settings
    from alerting.delivery.dispatch import dispatch, notifier_factory
    from alerting.pipeline import Notifying, notice_pass, renderer_for
    from alerting.rendering.render import Renderer, ServiceInfo
    from alerting.routing.routes import Receiver, Route, Routing

    rules = {f.rule for f in findings}
    with smtp_server() as smtp, http_server() as http:
        settings = Settings(
            database_url="sqlite://",
            notifiers={"email": {"host": "127.0.0.1", "port": smtp.port, "security": "none"},
                       "webhook": {"timeout": 10}},
            delivery=DeliverySettings(wait_for_retries=timedelta(0)))
        options = {c: settings.channel_options(c) for c in ("email", "webhook")}
        for channel, target, server in (("email", {"to": ["a@x.test"]}, "SMTP"),
                                        ("webhook", {"url": http.url}, "HTTP")):
            # Entitled to every team, so child-level alerts are notices too, one each.
            receiver = Receiver(name=f"by-{channel}", child_level_for=("*",),
                                channels={channel: target})
            routing = Routing({receiver.name: receiver},
                              Route.model_validate({"receiver": receiver.name, "group": "each"}))
            notifying = Notifying(routing, Silences(Path()), Renderer(None, ServiceInfo()),
                                  settings)
            started = time.perf_counter()
            done = notice_pass({}, findings, evaluated=rules, known=rules, now=now,
                               routing=routing, log={}, rule_titles=ruleset.rule_titles(),
                               render=renderer_for(notifying, now))
            rendered = time.perf_counter() - started
            notices = done.notices
            table.add(f"plan and render {len(notices)} notices ({channel})", rendered,
                      f"{len(notices) / rendered:,.0f} notices/s")
            store.commit_run([], [], notices, now=now)
            started = time.perf_counter()
            report = dispatch(store, notifier_factory(options), settings.delivery,
                              worker="bench", wait_for_retries=timedelta(0))
            took = time.perf_counter() - started
            extra = (f"{smtp.messages} emails over {smtp.connections} SMTP connection(s)"
                     if channel == "email" else f"{http.posts} HTTP posts")
            table.add(f"deliver {report.sent} notices to a loopback {server} server", took,
                      f"{report.sent / took:,.0f} notices/s; {extra}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--scale", choices=[*sorted(s for s in SCALES if s != "tiny"), "tiny"],
                        default="council")
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--notices", type=int, default=500,
                        help="notices to render and deliver (default 500)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    table = run(args.scale, args.store, args.notices, args.seed)
    if table.disagreements:
        print("FAILED: the two sides disagree on the data:\n  "
              + "\n  ".join(table.disagreements), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
