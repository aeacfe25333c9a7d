"""Acceptance: with the bundled examples and starter rules, the service finds by itself the
exceptions the seed reports' authors wrote by hand."""

import csv
import json
from pathlib import Path

import pytest

from alerting.cli.main import main
from tests.conftest import EXAMPLES, ROOT

DATA = [
    EXAMPLES / "scorecard_q2_2021-22" / "observations.csv",
    EXAMPLES / "scorecard_q2_2021-22" / "risks.csv",
    EXAMPLES / "performance_report_august_2019" / "observations.csv",
    EXAMPLES / "dashboard_march_2024" / "observations.csv",
    EXAMPLES / "cases" / "cp_plans.csv",
]


@pytest.fixture
def loaded(tmp_path, monkeypatch, capsys):
    """A database holding every bundled example file, and a runner for the CLI."""
    monkeypatch.chdir(ROOT)
    url = f"sqlite:///{tmp_path / 'acceptance.sqlite3'}"
    assert main(["--database", url, "load", *map(str, DATA)]) == 0
    capsys.readouterr()

    def evaluate(*args: str) -> list[dict]:
        code = main(["--database", url, "evaluate", "--format", "json", *args])
        out = capsys.readouterr().out
        assert code == 0
        return json.loads(out)

    return evaluate


def test_q2_scorecard_rated_exactly_as_its_own_symbols(loaded):
    """Every measure of the Q2 2021/22 scorecard gets the scorecard's ★ ● ▲ rating."""
    findings = loaded("--as-of", "2021-09-30", "--all")
    rated = {f["subject"]: f for f in findings if f["rule"] == "significantly-worse-than-target"}
    with (EXAMPLES / "scorecard_q2_2021-22" / "expected_ratings.csv").open() as handle:
        expected = {row["measure"]: row["rating"] for row in csv.DictReader(handle)}
    assert len(expected) == 27
    assert {m: rated[m]["status"] for m in expected} == expected
    no_value = [m for m, f in rated.items() if f["status"] == "no_value" and m.endswith("-q")]
    assert no_value == ["fewer-than-3-social-workers-q"]


def test_json_output_has_the_documented_fields(loaded):
    """Each finding carries rule, type, subject, area, period, status, severity, value, target,
    message."""
    findings = loaded("--as-of", "2021-09-30")
    required = {"rule", "type", "subject", "area", "period", "status", "severity", "value",
                "target", "message"}
    assert findings and all(required <= set(f) for f in findings)
    visits = next(f for f in findings if f["subject"] == "initial-visits-in-time-q"
                  and f["type"] == "tolerance")
    assert visits["period"] == "2021-09-30"
    assert visits["message"] == ("% Initial visits in time (Gloucestershire): 69.5% in Sep-21, "
                                 "worse than target 85.0% by more than tolerance — red")


def test_only_sr75_risk_rise_is_found(loaded):
    """SR7.5 rose from Moderate 8 to Moderate 12; no other risk is reported."""
    findings = loaded("--as-of", "2021-09-30")
    risks = [f for f in findings if f["type"] == "risk_rise"]
    assert [(f["subject"], f["value"]) for f in risks] == [("SR7.5", 12.0)]
    assert "from Moderate 8 in Jun-21 to Moderate 12 in Sep-21" in risks[0]["message"]


def test_august_2019_report_exceptions_are_found(loaded):
    """The 2019 report's hand-written exceptions: third-month declines, Cotswolds, 31 children."""
    findings = loaded("--as-of", "2019-08-31")
    messages = [f["message"] for f in findings]
    assert any("(Gloucestershire): declined for the third month running, from 84.0% in May-19 "
               "to 73.0% in Aug-19" in m for m in messages)
    assert any("(Gloucestershire): increased for the third month running, from 20.0% in May-19 "
               "to 35.0% in Aug-19" in m for m in messages)
    cin = [f for f in findings if f["type"] == "tolerance" and f["area"] == "Cotswolds"
           and f["subject"].startswith("cin-visits")]
    assert [(f["value"], f["status"]) for f in cin] == [(63.0, "red")]
    over_two_years = [f for f in findings if f["rule"] == "cp-over-2y" and f["status"] == "breach"]
    assert len(over_two_years) == 31
    assert all(set(f) >= {"subject", "area"} and f["subject"].startswith("C")
               for f in over_two_years)


def test_august_2019_report_comparisons_with_good_outstanding_authorities(loaded):
    """'81.1% ... within tolerance of target (85%) ... good/outstanding authorities (84.8%)',
    and the report's 'higher than in Good and Outstanding LAs' for CP plans over two years."""
    findings = loaded("--as-of", "2019-08-31")
    compared = {f["subject"]: f["message"] for f in findings
                if f["rule"] == "worse-than-good-outstanding"}
    assert compared["single-assessments-45-days-m"].endswith(
        "81.1% in Aug-19, within tolerance of target (85.0%) but below good/outstanding "
        "authorities (84.8%)")
    assert compared["cp-plans-2-years-plus-m"].endswith(
        "4.3% in Aug-19, above good/outstanding authorities (2.6%)")


def test_table_output_is_readable(tmp_path, monkeypatch, capsys):
    """The default table prints one line per finding with its RAG symbol and a count."""
    monkeypatch.chdir(ROOT)
    url = f"sqlite:///{tmp_path / 'table.sqlite3'}"
    main(["--database", url, "load", str(DATA[1])])
    capsys.readouterr()
    assert main(["--database", url, "evaluate", "--as-of", "2021-09-30"]) == 0
    out = capsys.readouterr().out
    assert "▲  breach" in out and "SR7.5" in out
    assert out.strip().endswith("exception(s)")


def test_examples_data_files_are_all_loadable():
    """Every CSV under examples/ that is in the data contract loads without rejected rows."""
    from alerting.loading.contract import detect_kind
    from alerting.loading.sources import read_csv

    for path in sorted(Path(EXAMPLES).rglob("*.csv")):
        table = read_csv(path)
        if path.name == "expected_ratings.csv":
            assert detect_kind(table.headers) is None
            continue
        assert detect_kind(table.headers) is not None, path
