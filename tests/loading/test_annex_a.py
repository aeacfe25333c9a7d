"""Loading Ofsted Annex A workbooks as they come: every list, title rows, Ofsted's headings."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from alerting.cli.main import main
from alerting.loading import SourceError, TableKind, load_path
from alerting.model.events import EventKind
from alerting.store import SaveCounts, Store
from alerting.store.schema import case_records, child_events, rejected_rows
from benchmarks.generate.annex_a import write_annex_a
from tests.loading.test_xlsx import Sheet, workbook


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in tmp_path so sources are named as users type them (`annex.xlsx[List 3]`)."""
    monkeypatch.chdir(tmp_path)


def stored_text(store: Store) -> str:
    """Everything the events, cases and quarantine tables hold, as one text."""
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for t in (child_events, case_records, rejected_rows)
                for r in conn.execute(sa.select(t))]
    return json.dumps(rows, default=str)


LIST7_HEADINGS = ["Child Unique ID", "Gender", "Date of Birth",
                  "Child Protection Plan Start Date", "Latest Category of Abuse",
                  "Date of the Last Statutory Visit", "Child Protection Plan End Date",
                  "Number of Previous Child Protection Plans", "Allocated Team",
                  "Allocated Worker"]


def list7(*rows: list[Any]) -> Sheet:
    return [["List 7: Child Protection"], LIST7_HEADINGS, *rows]


def test_generated_workbook_loads_every_list(store: Store, tmp_path: Path) -> None:
    """A generated Annex A workbook (title row, published headings) loads without editing:
    the events per list match what the generator wrote, with nothing rejected."""
    counts = write_annex_a(tmp_path / "annex.xlsx", children=150, seed=7)
    reports = load_path(store, tmp_path / "annex.xlsx")
    assert [r.source for r in reports] == [f"annex.xlsx[List {n}]" for n in range(1, 11)]
    assert all(r.kind is TableKind.EVENTS and r.rejected == () for r in reports)
    loaded = {int(r.source.split()[-1].rstrip("]")): r.counts.inserted for r in reports}
    expected = dict(counts.rows)
    expected[5] += counts.events["icpc"]  # List 5 also gives an ICPC per conference held
    assert loaded == expected
    assert store.event_counts() == counts.events
    assert set(counts.events) == {k.value for k in EventKind}
    assert store.counts()["case_records"] == counts.rows[7]
    assert reports[6].cases == SaveCounts(inserted=counts.rows[7])


def test_reloading_the_same_workbook_changes_nothing(store: Store, tmp_path: Path) -> None:
    """A second load of the same workbook finds every event unchanged."""
    write_annex_a(tmp_path / "annex.xlsx", children=60, seed=3)
    first = load_path(store, tmp_path / "annex.xlsx")
    before = stored_text(store)
    again = load_path(store, tmp_path / "annex.xlsx")
    assert [r.counts.unchanged for r in again] == [r.counts.inserted for r in first]
    assert all(r.counts.inserted == r.counts.updated == 0 for r in again)
    assert stored_text(store) == before


def test_a_later_extract_updates_events_by_key(store: Store, tmp_path: Path) -> None:
    """A plan that has since ended, with a new worker and visit, updates the stored event
    (child, kind, start date) in place; a new plan is added."""
    workbook(tmp_path / "june.xlsx", {"List 7": list7(
        ["C1", "a) Male", datetime(2015, 1, 2), datetime(2023, 1, 5), "a) Neglect",
         datetime(2023, 5, 30), None, 0, "Stroud Safeguarding", "Worker 1"])})
    workbook(tmp_path / "july.xlsx", {"List 7": list7(
        ["C1", "a) Male", datetime(2015, 1, 2), datetime(2023, 1, 5), "a) Neglect",
         datetime(2023, 6, 28), datetime(2023, 7, 10), 0, "Stroud Safeguarding", "Worker 9"],
        ["C2", "b) Female", datetime(2016, 3, 4), datetime(2023, 7, 1), "a) Neglect",
         None, None, 1, "Stroud Safeguarding", "Worker 9"])})
    load_path(store, tmp_path / "june.xlsx")
    [report] = load_path(store, tmp_path / "july.xlsx")
    assert report.counts == SaveCounts(inserted=1, updated=1)
    frame = store.event_frame([EventKind.CP_PLAN])
    assert frame.child_id == ["C1", "C2"]
    assert frame.end_date == [date(2023, 7, 10), None]
    assert frame.worker == ["Worker 9", "Worker 9"]
    assert frame.date("last_visit") == [date(2023, 6, 28), None]
    assert frame.detail("previous_plans") == ["0", "1"]
    with store.engine.connect() as conn:
        plans = conn.execute(sa.select(case_records.c.child_id, case_records.c.end_date)
                             .order_by(case_records.c.child_id)).all()
    assert [tuple(p) for p in plans] == [("C1", date(2023, 7, 10)), ("C2", None)]


def test_names_dates_of_birth_and_addresses_are_never_stored(store: Store,
                                                            tmp_path: Path) -> None:
    """Columns not kept (name, date of birth, address, postcode) stay out of the events and
    out of the quarantine, even for a rejected row."""
    workbook(tmp_path / "annex.xlsx", {"List 8": [
        ["List 8: Children in Care"],
        ["Child Unique ID", "Child Name", "Date of Birth", "Home Address",
         "Date Started to be Looked After", "Placement postcode", "Allocated Team"],
        ["C1", "Jane Example", datetime(2011, 2, 3), "1 Acacia Avenue", datetime(2022, 1, 1),
         "GL50 9ZZ", "Gloucester Children in Care"],
        ["C2", "John Example", datetime(2012, 4, 5), "2 Acacia Avenue", "not a date",
         "GL51 8ZZ", "Gloucester Children in Care"],
    ]})
    [report] = load_path(store, tmp_path / "annex.xlsx")
    assert report.counts.inserted == 1
    assert [r.line for r in report.rejected] == [4]
    text = stored_text(store)
    for private in ("Example", "Acacia", "GL50", "GL51", "2011-02-03", "2012-04-05"):
        assert private not in text
    assert "C2" in text  # the rejected row is kept, by child id only


def test_title_rows_spacing_case_variants_and_date_formats(store: Store,
                                                          tmp_path: Path) -> None:
    """Two title rows, trailing spaces, other case, '(DD/MM/YYYY)' suffixes, 'Child ID', and
    dates as cells, UK text, ISO text and '3 Apr 2023' all load."""
    workbook(tmp_path / "annex.xlsx", {"Referrals": [
        ["Annex A"], ["List 3 - referrals in the last 12 months"], None,
        ["CHILD ID ", "date of referral (DD/MM/YYYY)", "Referral NFA? ", "allocated team"],
        ["C1", datetime(2023, 4, 3), "b) No", "Stroud"],
        ["C2", "03/04/2023", "b) No", "Stroud"],
        ["C3", "2023-04-03", "a) Yes", "Stroud"],
        ["C4", "3 Apr 2023", "b) No", "Stroud"],
    ]})
    [report] = load_path(store, tmp_path / "annex.xlsx")
    assert (report.kind, report.rejected, report.counts.inserted) == (TableKind.EVENTS, (), 4)
    assert report.note == "Annex A List 3 (referrals)"
    frame = store.event_frame(["referral"])
    assert frame.start_date == [date(2023, 4, 3)] * 4
    assert frame.team == ["Stroud"] * 4
    assert frame.detail("referral_nfa") == ["b) No", "b) No", "a) Yes", "b) No"]


def test_unknown_sheets_are_reported_and_skipped(store: Store, tmp_path: Path) -> None:
    """A contents sheet and List 11 (adopters, no child events) are skipped with a reason;
    the lists around them load."""
    workbook(tmp_path / "annex.xlsx", {
        "Contents": [["Annex A template"], ["Sheet", "What"], ["List 1", "Contacts"]],
        "List 1": [["List 1: Contacts"], ["Child Unique ID", "Date of Contact"],
                   ["C1", datetime(2023, 5, 1)]],
        "List 11": [["List 11: Adopters"], ["Individual adopter identifier",
                                            "Date enquiry received"], ["A1", "01/05/2023"]],
        "List 9": [["List 9: Care leavers"], ["Child Unique ID", "Allocated Worker",
                                              "Latest Pathway Plan Review Date"],
                   ["C9", "Worker 2", "01/03/2023"]],
    })
    reports = load_path(store, tmp_path / "annex.xlsx")
    assert [(r.source, r.skipped) for r in reports] == [
        ("annex.xlsx[Contents]", True), ("annex.xlsx[List 1]", False),
        ("annex.xlsx[List 11]", True), ("annex.xlsx[List 9]", False)]
    assert reports[0].note is not None and "no heading row" in reports[0].note
    assert store.event_counts() == {"contact": 1, "care_leaver": 1}
    [leaver] = store.event_frame(["care_leaver"]).records()
    assert (leaver.start_date, leaver.dates) == (None, {"latest_review": date(2023, 3, 1)})


def test_bad_dates_are_rejected_with_sheet_row_and_reason(store: Store,
                                                         tmp_path: Path) -> None:
    """A bad start date or an end before the start rejects its row; a bad extra date drops
    only that cell; every other row loads."""
    workbook(tmp_path / "annex.xlsx", {"List 7": list7(
        ["C1", None, None, "31/02/2023", None, None, None, 0, "Team A", "W1"],      # 3
        ["C2", None, None, "01/02/2023", None, "soon", None, 0, "Team A", "W1"],    # 4
        ["C3", None, None, "01/02/2023", None, None, "01/01/2023", 0, "Team A", "W1"],  # 5
        [None, None, None, "01/02/2023", None, None, None, 0, "Team A", "W1"],     # 6
        ["C5", None, None, "01/02/2023", None, None, None, 0, "Team A", "W1"],     # 7
    )})
    [report] = load_path(store, tmp_path / "annex.xlsx")
    got = [(r.source, r.line, r.reason) for r in report.rejected]
    assert got == [
        ("annex.xlsx[List 7]", 3, "Child Protection Plan Start Date must be a date like "
         "2019-08-31 or 31/08/2019, got '31/02/2023'"),
        ("annex.xlsx[List 7]", 4, "Date of the Last Statutory Visit must be a date like "
         "2019-08-31 or 31/08/2019, got 'soon'; the row was loaded without it"),
        ("annex.xlsx[List 7]", 5, "Child Protection Plan End Date 2023-01-01 is before "
         "Child Protection Plan Start Date 2023-02-01"),
        ("annex.xlsx[List 7]", 6, "Child Unique ID is blank"),
    ]
    assert store.event_frame().child_id == ["C2", "C5"]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rejected_rows)
                            ).scalar_one() == 4


def test_duplicate_headings_and_rows_are_reported_and_the_rest_loads(store: Store,
                                                                    tmp_path: Path) -> None:
    """A heading given twice is reported (the first column is used); a repeated event is
    rejected naming the first row; a sheet without its start-date column is reported and
    the next sheet still loads."""
    workbook(tmp_path / "annex.xlsx", {
        "List 3": [["List 3: Referrals"],
                   ["Child Unique ID", "Date of referral", "Allocated Team", "Allocated Team "],
                   ["C1", "01/05/2023", "Team A", "Team B"],
                   ["C1", "01/05/2023", "Team A", "Team B"],
                   ["C2", "02/05/2023", "Team A", "Team B"]],
        "List 4": [["List 4: Assessments"], ["Child Unique ID", "Allocated Team"],
                   ["C1", "Team A"]],
        "List 1": [["List 1: Contacts"], ["Child Unique ID", "Date of Contact"],
                   ["C1", "30/04/2023"]],
    })
    referrals, assessments, contacts = load_path(store, tmp_path / "annex.xlsx")
    assert [(r.line, r.reason) for r in referrals.rejected] == [
        (2, "heading 'Allocated Team' in column D repeats 'Allocated Team' in column C: "
            "column C is used, column D ignored"),
        (4, "repeats the row on line 3 (same child, kind and start date); the first one "
            "was kept"),
    ]
    assert referrals.counts.inserted == 2
    [missing] = assessments.rejected
    assert missing.line == 2
    assert missing.reason.startswith("List 4 (assessments) has no column "
                                     "'Continuous Assessment Start Date'")
    assert contacts.counts.inserted == 1
    assert store.event_frame(["referral"]).team == ["Team A", "Team A"]


@pytest.mark.parametrize("content", [
    pytest.param(b"Child Unique ID,Date of Contact\nC1,01/01/2023\n", id="csv-renamed"),
    pytest.param(b"PK\x03\x04 truncated", id="broken-zip"),
])
def test_a_file_that_is_not_a_workbook_is_one_clear_error(store: Store, tmp_path: Path,
                                                         content: bytes) -> None:
    """Not a workbook: one SourceError naming the file, nothing loaded."""
    (tmp_path / "annex.xlsx").write_bytes(content)
    with pytest.raises(SourceError, match=r"^annex\.xlsx: is not a readable \.xlsx workbook"):
        load_path(store, tmp_path / "annex.xlsx")
    assert store.event_counts() == {}


def test_events_from_a_tidy_csv(store: Store, tmp_path: Path) -> None:
    """child_id, kind, start_date, ... load as events; extra dates by name are kept, other
    columns (a name) are not; a bad kind is rejected with its line."""
    (tmp_path / "events.csv").write_text(
        "child_id,kind,start_date,end_date,team,worker,referral_date,child_name\n"
        "C1,assessment,2023-05-02,2023-06-20,Stroud,W1,2023-05-01,Jane Example\n"
        "C1,Referral,01/05/2023,,Stroud,W1,,Jane Example\n"
        "C2,visit,2023-05-02,,Stroud,W1,,John Example\n", encoding="utf-8")
    [report] = load_path(store, tmp_path / "events.csv")
    assert (report.kind, report.counts.inserted) == (TableKind.EVENTS, 2)
    [bad] = report.rejected
    assert (bad.line, bad.reason.split(",")[0]) == (4, "kind must be one of contact")
    frame = store.event_frame(["assessment", "referral"])
    assert [k.value for k in frame.kind] == ["assessment", "referral"]
    assert frame.date("referral_date") == [date(2023, 5, 1), None]
    assert "Example" not in stored_text(store)


def test_load_command_prints_each_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    """`alerting load annex.xlsx` names each list, its counts and the CP plans as cases."""
    write_annex_a(tmp_path / "annex.xlsx", children=20, seed=1)
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert main(["--database", url, "load", "annex.xlsx"]) == 0
    out = capsys.readouterr().out
    assert "annex.xlsx[List 7]: events from Annex A List 7 (child protection plans): " in out
    assert "CP plan(s) as case records" in out
    assert "0 rejected" in out.splitlines()[-1]
