"""`alerting explain` and `alerting backtest` for the comparator and spc rule types, over a
store loaded from CSV (so comparator figures come from the stored comparator column).

    assessments (bigger is better), Glos, Jan-Aug 21: 86 86 85 84 82 81.1 81.1 86,
        good/outstanding authorities 84.8 throughout: below it Apr to Jul.
    re-referrals (smaller is better), Glos, Jan-20 to Aug-21: 50 52 50 52 ... (mean 51,
        limits 45.68 to 56.32), then 57 in Sep-21: above the upper limit, a concern.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from alerting.cli.main import main

MEASURES = """measures:
  - id: assessments
    title: Assessments in 45 days
    polarity: bigger_is_better
    unit: percent
    frequency: monthly
    tolerance: {relative: 5%}
  - id: re-referrals
    title: Re-referrals
    polarity: smaller_is_better
    unit: number
    frequency: monthly
"""
RULES = """rules:
  - id: below-good-outstanding
    type: comparator
    comparator: good_outstanding
    select: {measures: [assessments]}
  - id: spc-concern
    type: spc
    select: {measures: [re-referrals]}
"""
ASSESSMENTS = [86, 86, 85, 84, 82, 81.1, 81.1, 86]
MONTHS_21 = ["Jan-21", "Feb-21", "Mar-21", "Apr-21", "May-21", "Jun-21", "Jul-21", "Aug-21"]
SPC_MONTHS = [f"{2020 + i // 12}-{i % 12 + 1:02d}" for i in range(21)]  # Jan-20 to Sep-21
SPC_VALUES = [50, 52] * 10 + [57]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("comparator-spc")
    (root / "rules").mkdir()
    (root / "rules" / "measures.yaml").write_text(MEASURES)
    (root / "rules" / "rules.yaml").write_text(RULES)
    rows = ["measure_id,period,area,value,target,good_outstanding"]
    rows += [f"assessments,{m},Glos,{v},85,84.8" for m, v in zip(MONTHS_21, ASSESSMENTS,
                                                                 strict=True)]
    rows += [f"re-referrals,{m},Glos,{v},," for m, v in zip(SPC_MONTHS, SPC_VALUES, strict=True)]
    (root / "observations.csv").write_text("\n".join(rows) + "\n")
    service = root / "service.yaml"
    service.write_text(f"database_url: sqlite:///{root / 'db.sqlite3'}\n"
                       f"rules: [{root / 'rules'}]\n")
    assert main(["--config", str(service), "load", str(root / "observations.csv")]) == 0
    return service


def explain(config: Path, capsys: pytest.CaptureFixture[str], as_of: str, *args: str) -> str:
    assert main(["--config", str(config), "explain", "--as-of", as_of, *args]) == 0
    return capsys.readouterr().out


def test_explain_comparator_fired_and_quiet(config, capsys):
    """It names the comparator's stored figure, the margin and the verdict."""
    out = explain(config, capsys, "2021-07-31", "--rule", "below-good-outstanding",
                  "--subject", "assessments", "--area", "Glos")
    assert ("The latest value is 81.1% for Jul-21, below good/outstanding authorities "
            "(84.8%), bigger is better; there is no margin: any amount worse counts. It is "
            "worse by more than the margin, so it is a BREACH and the rule FIRED") in out
    out = explain(config, capsys, "2021-08-31", "--rule", "below-good-outstanding",
                  "--subject", "assessments", "--area", "Glos")
    assert "86.0% for Aug-21, above good/outstanding authorities (84.8%)" in out
    assert "the rule did not fire" in out


def test_explain_spc_gives_the_limits_and_the_signal(config, capsys):
    """The chart's mean and limits, the special cause at the latest point and its judgement."""
    out = explain(config, capsys, "2021-09-30", "--rule", "spc-concern",
                  "--subject", "re-referrals", "--area", "Glos")
    assert ("The chart runs from Jan-20 to Sep-21 (21 points); the mean and limits come from "
            "the first 20: mean 51, process limits 45.68 to 56.32, two-sigma lines 47.4533 and "
            "54.5467.") in out
    assert ("The latest point, 57 for Sep-21, shows a point beyond the process limits "
            "(above, a concern), so its variation is special cause concern.") in out
    assert "so it is a BREACH and the rule FIRED" in out
    out = explain(config, capsys, "2021-08-31", "--rule", "spc-concern",
                  "--subject", "re-referrals", "--area", "Glos")
    assert "shows no special cause: common cause variation" in out
    assert "the rule did not fire" in out


def test_backtest_replays_comparator_figures_and_spc_signals(config, capsys):
    """The comparator episode runs Apr-Jul (resolved in Aug); the spc one starts in Sep."""
    assert main(["--config", str(config), "backtest", "--from", "2021-01-01", "--to",
                 "2021-10-31", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    spans = {(e["rule"], e["started"], e["ended"]) for e in result["episodes"]}
    assert spans == {("below-good-outstanding", "2021-04-30", "2021-08-31"),
                     ("spc-concern", "2021-09-30", None)}


def test_backtest_fetches_comparator_figures_once_not_per_as_of_date(config, capsys):
    """The number of SQL statements is the same for 2 as-of dates as for 10."""
    counts = []
    for end in ("2021-02-28", "2021-10-31"):
        statements: list[str] = []

        def count(conn, cursor, statement, *args, _into=statements):
            _into.append(statement)

        sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
        try:
            assert main(["--config", str(config), "backtest", "--from", "2021-01-01",
                         "--to", end, "--format", "json"]) == 0
        finally:
            sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
        counts.append(len(statements))
    capsys.readouterr()
    assert counts[0] == counts[1]
