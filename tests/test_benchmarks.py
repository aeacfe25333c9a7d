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
