"""The benchmarks run from a checkout (figures are not asserted: they are recorded in docs)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from benchmarks import worker_cycles


def test_worker_cycles_runs_and_reports_memory(capsys: pytest.CaptureFixture[str]) -> None:
    assert worker_cycles.main(["--cycles", "2"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["cycle", "rss", "MB", "seconds", "outcome", "notices"]
    first, second = lines[1].split(), lines[2].split()
    assert first[0] == "1" and first[3] == "ok" and first[4] == "49"  # the README's 49
    assert second[0] == "2" and second[4] == "0"  # nothing new: nobody is told twice
    assert "2 cycles in" in lines[-1] and "RSS after cycle 1" in lines[-1]


def test_annex_a_benchmark_loads_a_small_workbook(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m benchmarks.annex_a` writes, loads and re-loads a workbook, with peak RSS."""
    from benchmarks import annex_a

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)  # the loading process imports
    assert annex_a.main(["--children", "40"]) == 0
    out = capsys.readouterr().out
    for stage in ("write workbook", "load the workbook", "0 rejected",
                  "load it again (nothing changes)", "peak memory of the loading process"):
        assert stage in out, stage


def test_the_benchmark_runs_every_stage_at_tiny_scale(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """`python -m benchmarks` completes and prints every figure the issue asks for."""
    from benchmarks.__main__ import main

    assert main(["--scale", "tiny", "--notices", "20"]) == 0
    out = capsys.readouterr().out
    for stage in ("generate synthetic data", "load observations from CSV", "rows/s",
                  "read the store as columns", "evaluate the starter pack",
                  "of which tolerance", "of which decline", "of which case_duration",
                  "of which risk_rise", "of which missing_data", "update and store alert state",
                  "plan and render", "notices/s", "to a loopback SMTP server",
                  "to a loopback HTTP server", "SMTP connection(s)", "HTTP posts",
                  "validate 100 rule files", "600 rules, 0 errors",
                  "backtest 24 monthly as-of dates", "episodes", "peak memory (RSS)"):
        assert stage in out, stage
    assert " 0 rejected" in out and "rejected" in out
    # Beside DuckDB, on the same data: seconds, ratios, and the checks that both agree.
    for line in ("beside DuckDB", "load observations (DuckDB: read the CSV)",
                 "evaluate tolerance + decline", "re-load observations (all unchanged)"):
        assert line in out, line
    assert "DISAGREE" not in out and out.count(" same") >= 6
    # The loopback servers run in processes of their own, and one SMTP connection serves all.
    assert "20 emails over 1 SMTP connection(s)" in out
    assert "20 HTTP posts" in out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_duckdb_reference_finds_what_the_engine_finds(tmp_path: Path, seed: int) -> None:
    """The DuckDB yardstick counts the same tolerance breaches, decline breaches and decline
    warnings as the engine's starter rules, so its timing is of the same work."""
    pytest.importorskip("duckdb", reason="the DuckDB reference needs the bench extra")
    from alerting.config.ruleset import load_rules
    from alerting.loading import load_path
    from alerting.pipeline import evaluate_stored
    from alerting.store import Store
    from benchmarks.duckdb_reference import run_reference
    from benchmarks.generate import SCALES, generate

    data = generate("tiny", tmp_path, seed=seed)
    store = Store.open("sqlite://")
    load_path(store, data.out)
    findings = evaluate_stored(store, load_rules([data.out]), data.as_of).exceptions
    engine = Counter((f.rule, f.status.value) for f in findings)
    result = run_reference(data.observations, data.catalogue, data.as_of)
    assert result.series == SCALES["tiny"].measures * SCALES["tiny"].areas
    assert result.tolerance_breaches == engine["significantly-worse-than-target", "red"]
    assert result.decline_breaches == engine["three-period-decline", "breach"]
    assert result.decline_warnings == engine["three-period-decline", "warning"]
    assert result.tolerance_breaches + result.decline_breaches > 0


def test_duckdb_reference_prints_seconds_and_counts_and_reuses_the_data(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command generates the data once, then reuses it; it prints timings and counts."""
    pytest.importorskip("duckdb", reason="the DuckDB reference needs the bench extra")
    from benchmarks.duckdb_reference import main

    for expected in ("generated", "reusing"):
        assert main(["--scale", "tiny", "--data", str(tmp_path)]) == 0
        out = capsys.readouterr().out
        assert out.startswith(expected)
        for words in ("read the CSV", "worse than target by more than tolerance",
                      "breaches (3+ periods)", "warnings (2)", "total"):
            assert words in out, words


def test_the_benchmark_fails_loudly_when_duckdb_disagrees(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A difference in rows, sums or breaches between the two sides is reported, and the
    command then exits 1."""
    pytest.importorskip("duckdb", reason="the DuckDB reference needs the bench extra")
    from benchmarks import __main__ as bench
    from benchmarks import duckdb_reference
    from benchmarks.generate import generate

    data = generate("tiny", tmp_path, seed=1)
    duck = duckdb_reference.run_reference(data.observations, data.catalogue, data.as_of)
    monkeypatch.setattr(duckdb_reference, "run_reference", lambda *_args: duck)
    found = Counter({("significantly-worse-than-target", "red"): duck.tolerance_breaches,
                     ("three-period-decline", "breach"): duck.decline_breaches,
                     ("three-period-decline", "warning"): duck.decline_warnings + 1})
    table = bench.Table(seconds=dict.fromkeys(("load observations", "re-load observations"),
                                              1.0),
                        stored=(duck.rows, duck.value_sum, duck.target_sum), found=found)
    bench.beside_duckdb(data, table, print)
    assert table.disagreements == [
        f"decline warnings: ours {duck.decline_warnings + 1}, DuckDB {duck.decline_warnings}"]
    assert "DISAGREE" in capsys.readouterr().out

    monkeypatch.setattr(bench, "run", lambda *_args: table)
    assert bench.main(["--scale", "tiny"]) == 1
    assert "the two sides disagree" in capsys.readouterr().err


def test_deadlines_benchmark_evaluates_the_timeliness_rules(capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    """`python -m benchmarks.deadlines` times each timeliness rule and reports peak RSS."""
    from benchmarks import deadlines

    assert deadlines.main(["--events", "500"]) == 0
    out = capsys.readouterr().out
    for stage in ("invent 500 open events", "event frame", "evaluate cp-visit-10wd",
                  "evaluate all 7 timeliness rules", "peak memory (RSS)"):
        assert stage in out, stage
