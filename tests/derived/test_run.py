"""`alerting run` derives the shipped measures from loaded events before evaluating, so the
shipped tolerance and decline rules fire on them; `alerting derive` again changes nothing."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from alerting.cli.main import main
from alerting.model.calendar import england_and_wales
from alerting.store import Store
from tests.conftest import ROOT

MEASURE = "initial-visits-within-10wd"


def visits_csv(path: Path) -> None:
    """Stroud's initial visits in time: May 100%, June 67%, July 50%, August 0%."""
    cal = england_and_wales()
    in_time = {5: [True], 6: [True, True, False], 7: [True, False], 8: [False]}
    rows = []
    for month, outcomes in in_time.items():
        referral = date(2024, month, 6)
        for n, ok in enumerate(outcomes):
            visit = cal.add_working_days(referral, 10 if ok else 11)
            rows.append({"child_id": f"C05{month:02d}{n:02d}", "kind": "assessment",
                         "start_date": referral, "locality": "Stroud",
                         "referral_date": referral, "initial_visit": visit})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_a_run_derives_the_measures_and_the_shipped_rules_fire_on_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red against the 85% target for Gloucestershire and Stroud, and a third month of decline
    in Stroud; `alerting derive` afterwards finds every figure unchanged."""
    monkeypatch.chdir(ROOT)
    data = tmp_path / "data"
    (data / "cases").mkdir(parents=True)
    visits_csv(data / "cases" / "events.csv")
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    monkeypatch.setenv("CSC_ALERTING_DATABASE_URL", database)
    monkeypatch.setenv("CSC_ALERTING_DATA", str(data))
    monkeypatch.setenv("CSC_ALERTING_NOTICES_FOLDER", str(tmp_path / "notices"))
    main(["run", "--as-of", "2024-08-31"])  # the other sources are missing: a degraded run
    capsys.readouterr()

    assert main(["evaluate", "--as-of", "2024-08-31", "--format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)
    mine = sorted((f["rule"], f["area"], f["status"]) for f in findings
                  if f["subject"] == MEASURE)
    assert mine == [("significantly-worse-than-target", "Gloucestershire", "red"),
                    ("significantly-worse-than-target", "Stroud", "red"),
                    ("three-period-decline", "Gloucestershire", "breach"),
                    ("three-period-decline", "Stroud", "breach")]
    with Store.open(database) as store:
        assert store.revisions(MEASURE, "Stroud", date(2024, 6, 30)) == []

    assert main(["derive"]) == 0
    out = capsys.readouterr().out
    assert f"derived {MEASURE}: 8 figure(s) (0 new, 0 revised, 0 updated, 8 unchanged)" in out


def test_loading_events_derives_and_loading_them_again_does_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`alerting load` of changed events re-computes the derived measures; the same file
    again changes no event, so nothing is re-computed."""
    monkeypatch.chdir(ROOT)
    visits_csv(tmp_path / "events.csv")
    monkeypatch.setenv("CSC_ALERTING_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert main(["load", str(tmp_path / "events.csv")]) == 0
    out = capsys.readouterr().out
    assert f"derived {MEASURE}: 8 figure(s) (8 new, 0 revised, 0 updated, 0 unchanged)" in out
    assert main(["load", str(tmp_path / "events.csv")]) == 0
    assert "derived" not in capsys.readouterr().out


def test_a_failure_to_derive_is_a_problem_of_the_run_not_the_end_of_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """If deriving fails the loaded figures are still evaluated and the run says why."""
    import alerting.pipeline

    def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(alerting.pipeline, "derive_stored", broken)
    monkeypatch.setenv("CSC_ALERTING_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    monkeypatch.setenv("CSC_ALERTING_NOTICES_FOLDER", str(tmp_path / "notices"))
    main(["run", "--as-of", "2021-09-30"])
    out = capsys.readouterr().out
    assert "problem: derived measures were not computed: RuntimeError: disk on fire" in out
    assert "1471 rows loaded, 0 rejected" in out and "notices queued" in out
