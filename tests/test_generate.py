"""The synthetic benchmark data: deterministic, in the data contract, and firing every rule type."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from alerting.config.ruleset import load_rules
from alerting.loading import TableKind, load_path
from alerting.pipeline import evaluate_stored
from alerting.store import Store
from benchmarks.generate import SCALES, GeneratedData, generate, main

FILES = ("observations.csv", "risks.csv", "cases.csv", "measures.yaml", "rules.yaml")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> GeneratedData:
    return generate("tiny", tmp_path_factory.mktemp("tiny"), seed=1)


def _data_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def test_scale_table_matches_the_issue() -> None:
    """council, region and national hold the numbers the issue asks for."""
    council, region, national = SCALES["council"], SCALES["region"], SCALES["national"]
    assert (council.authorities, council.localities, council.measures, council.periods) == (
        1, 7, 150, 60)
    assert council.open_plans == 1_000 and (council.risks, council.quarters) == (8, 20)
    assert council.observation_rows == 8 * 150 * 60 == 72_000
    assert council.risk_rows == 8 * 20
    assert (region.authorities, region.localities) == (15, 7)
    assert region.observation_rows == 15 * 8 * 150 * 60
    assert region.open_plans == 1_000 and region.risk_rows == 15 * 8 * 20
    assert (national.authorities, national.localities, national.measures) == (153, 0, 200)
    assert national.observation_rows == 153 * 200 * 60 == 1_836_000
    assert national.open_plans == 50_000
    assert national.risk_rows == 153 * 8 * 20


def test_same_seed_gives_byte_identical_files(tiny: GeneratedData, tmp_path: Path) -> None:
    """Generating again with the same seed reproduces every file byte for byte."""
    again = generate("tiny", tmp_path / "again", seed=1)
    for name in FILES:
        assert (again.out / name).read_bytes() == (tiny.out / name).read_bytes(), name


def test_another_seed_gives_other_data(tiny: GeneratedData, tmp_path: Path) -> None:
    """A different seed draws different values, risks and plans."""
    other = generate("tiny", tmp_path / "other", seed=2)
    for name in ("observations.csv", "risks.csv", "cases.csv"):
        assert (other.out / name).read_bytes() != (tiny.out / name).read_bytes(), name


def test_row_counts_are_the_declared_counts(tiny: GeneratedData) -> None:
    """The files hold exactly the rows the scale declares, and GeneratedData says so."""
    scale = SCALES["tiny"]
    assert tiny.observation_rows == scale.observation_rows == _data_rows(tiny.observations)
    assert tiny.risk_rows == scale.risk_rows == _data_rows(tiny.risks)
    assert tiny.case_rows == scale.case_rows == _data_rows(tiny.cases)
    with tiny.cases.open(encoding="utf-8", newline="") as f:
        open_plans = sum(1 for row in csv.DictReader(f) if not row["end_date"])
    assert open_plans == scale.open_plans
    assert tiny.catalogue == tiny.out / "measures.yaml"


def test_files_load_with_the_real_loader_and_nothing_rejected(tiny: GeneratedData) -> None:
    """Every row of every table passes the data contract."""
    store = Store.open("sqlite://")
    reports = load_path(store, tiny.out)
    assert {r.kind for r in reports} == {TableKind.OBSERVATIONS, TableKind.RISKS,
                                         TableKind.CASES}  # no events in this dataset
    assert [r.rejected for r in reports] == [(), (), ()]
    loaded = {r.kind: r.loaded for r in reports}
    assert loaded == {TableKind.OBSERVATIONS: tiny.observation_rows,
                      TableKind.RISKS: tiny.risk_rows, TableKind.CASES: tiny.case_rows}


def test_catalogue_and_rules_load_without_problems(tiny: GeneratedData) -> None:
    """The generated catalogue and starter rules validate and cover every measure."""
    ruleset = load_rules([tiny.out])
    assert ruleset.problems == ()
    assert len(ruleset.catalogue) == SCALES["tiny"].measures
    assert {r.type for r in ruleset.rules} == {
        "tolerance", "decline", "missing_data", "risk_rise", "case_duration"}
    polarities = {m.polarity.value for m in ruleset.catalogue.measures.values()}
    assert polarities == {"bigger_is_better", "smaller_is_better", "plan_is_best", "none"}


def test_evaluation_finds_each_kind_of_exception(tiny: GeneratedData) -> None:
    """As of the last period the rules find a breach, a decline, a long plan and a risk rise."""
    store = Store.open("sqlite://")
    load_path(store, tiny.out)
    ruleset = load_rules([tiny.out])
    evaluation = evaluate_stored(store, ruleset, tiny.as_of)
    assert evaluation.failures == ()
    found = {f.rule_type for f in evaluation.exceptions if f.status.value in {"red", "breach"}}
    assert {"tolerance", "decline", "case_duration", "risk_rise"} <= found


def test_council_scale_generates(tmp_path: Path) -> None:
    """The council scale is written with its declared row counts (it takes well under a second)."""
    data = generate("council", tmp_path, seed=1)
    assert _data_rows(data.observations) == 72_000
    assert _data_rows(data.risks) == 160
    assert _data_rows(data.cases) == SCALES["council"].case_rows


def test_command_line_writes_and_reports(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m benchmarks.generate` writes the files and prints rows per table."""
    assert main(["--scale", "tiny", "--out", str(tmp_path), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "observations" in out and "360 rows" in out
    assert all((tmp_path / name).exists() for name in FILES)
    with pytest.raises(SystemExit):
        main(["--scale", "planet", "--out", str(tmp_path)])


def test_runs_as_a_module(tmp_path: Path) -> None:
    """`python -m benchmarks.generate` (the package's __main__) writes every file."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-m", "benchmarks.generate", "--scale", "tiny",
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "tiny (seed 1) written" in done.stdout
    assert all((tmp_path / name).exists() for name in FILES)
