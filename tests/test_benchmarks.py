"""The benchmarks run from a checkout (figures are not asserted: they are recorded in docs)."""

from __future__ import annotations

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
                  "validate 100 rule files", "600 rules, 0 errors", "peak memory (RSS)"):
        assert stage in out, stage
    assert " 0 rejected" in out and "rejected" in out
