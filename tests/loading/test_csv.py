"""Loading CSV files by the data contract (DOMAIN.md), on both store backends."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from alerting.loading import SourceError, TableKind, load_path
from alerting.model.records import ObservationExtras
from alerting.store import SaveCounts, Store
from alerting.store.schema import case_records, observations, rejected_rows, risk_scores

# The exact heading row of Ofsted Annex A List 7 (as in examples/cases/annex_a_list7.csv).
ANNEX_A_HEADINGS = (
    "Child Unique ID,Child Protection Plan Start Date,Child Protection Plan End Date,"
    "Initial Category of Abuse,Latest Category of Abuse,"
    "Number of Previous Child Protection Plans,Allocated Team,Allocated Worker,"
    "Date of the Last Statutory Visit"
)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in tmp_path so sources are named as users would type them (`bad.csv`)."""
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rows_of(store: Store, table: sa.Table, *order: str) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        query = sa.select(table).order_by(*(table.c[c] for c in order))
        return [dict(r._mapping) for r in conn.execute(query)]


def only_observation(store: Store) -> tuple[float, Any]:
    """(value, extras) of the single stored observation."""
    frame = store.observation_frame()
    assert len(frame) == 1
    row_id = int(frame.row_id[0])
    # a row with nothing more stored has no entry: its extras are all empty
    return float(frame.value[0]), store.observation_extras([row_id]).get(row_id,
                                                                         ObservationExtras())


# --- the tidy contract ------------------------------------------------------------------------

TIDY = {
    "observations.csv": (
        "measure_id,period,area,value,target\n"
        "cp-visits,Aug-21,Cheltenham,80,75\n"
        "cp-visits,Sep-21,Cheltenham,82,75\n"
        "cp-visits,Sep-21,Stroud,70,75\n",
        TableKind.OBSERVATIONS, "observations", 3),
    "risks.csv": (
        "risk_id,period,score,likelihood,impact,level,inherent_score,owner,title\n"
        "SR7.5,Jun-21,8,2,4,Moderate,25,\"Spencer, Chris\",Drift and delay\n"
        "SR7.5,Sep-21,12,3,4,Moderate,25,\"Spencer, Chris\",Drift and delay\n",
        TableKind.RISKS, "risk_scores", 2),
    "cases.csv": (
        "child_id,plan_type,start_date,end_date,team,locality,worker,category,previous_plans\n"
        "C100001,CP,2019-08-01,,Stroud Safeguarding,Stroud,Worker 1,Neglect,0\n"
        "C100002,CP,2018-05-21,2019-07-06,Stroud Safeguarding,Stroud,Worker 2,Multiple,1\n"
        "C100003,CIN,2019-02-11,,Cheltenham CIN,Cheltenham,Worker 3,,\n",
        TableKind.CASES, "case_records", 3),
}


@pytest.mark.parametrize("name", list(TIDY))
def test_tidy_contract_file_loads_every_row(store: Store, tmp_path: Path, name: str) -> None:
    """A tidy observations/risks/cases CSV is recognised and every row is stored."""
    text, kind, table, expected = TIDY[name]
    [report] = load_path(store, write(tmp_path, name, text))
    assert report.source == name
    assert report.kind is kind
    assert report.rejected == ()
    assert report.counts == SaveCounts(inserted=expected)
    assert report.loaded == expected
    counts = store.counts()
    assert counts[table] == expected
    assert sum(counts.values()) == expected


def test_tidy_observation_fields_are_stored(store: Store, tmp_path: Path) -> None:
    """Observation columns land in the store with their parsed values and period."""
    load_path(store, write(tmp_path, "obs.csv",
                           "measure_id,period,area,value,target,numerator,denominator\n"
                           "cp-visits,Q3 2016/17,Gloucestershire,82.5,80,33,40\n"))
    [row] = rows_of(store, observations, "id")
    assert (row["measure_id"], row["area"], row["period_end"], row["period_kind"]) == (
        "cp-visits", "Gloucestershire", date(2016, 12, 31), "quarter")
    assert (row["value"], row["target"], row["numerator"], row["denominator"]) == (
        82.5, 80.0, 33.0, 40.0)
    assert (row["source"], row["revision"]) == ("obs.csv", 1)


# --- rejected rows ----------------------------------------------------------------------------

OBS_HEAD = "measure_id,period,area,value,target,commentary"
OBS_FIRST = 'cp-visits,Aug-21,Cheltenham,80,75,"Rose because:\n- more staff\n- fewer referrals"'
OBS_LAST = "cp-visits,Oct-21,Cheltenham,82,75,"
RISK_HEAD = "risk_id,period,score,likelihood,impact,title"
RISK_FIRST = 'SR7.5,Jun-21,8,2,4,"Drift and delay\nfor children\nin situations of harm"'
RISK_LAST = "SR7.5,Dec-21,Moderate 12,,,"
CASE_HEAD = "child_id,plan_type,start_date,end_date,team,notes"
CASE_FIRST = 'C100001,CP,2021-01-04,,Stroud Safeguarding,"Stepped up\nfrom CIN\nin January"'
CASE_LAST = "C100003,CP,2021-03-01,,Stroud Safeguarding,"

OBS = (OBS_HEAD, OBS_FIRST, OBS_LAST, TableKind.OBSERVATIONS)
RISK = (RISK_HEAD, RISK_FIRST, RISK_LAST, TableKind.RISKS)
CASE = (CASE_HEAD, CASE_FIRST, CASE_LAST, TableKind.CASES)

BAD_ROWS = [
    pytest.param(OBS, "cp-visits,Sep-21,Cheltenham,eighty,75,",
                 "value must be a number or a missing-value marker, got 'eighty'",
                 id="non-numeric-value"),
    pytest.param(OBS, "cp-visits,Sep-21,Cheltenham,80,seventy,",
                 "target must be a number or a missing-value marker, got 'seventy'",
                 id="non-numeric-target"),
    pytest.param(OBS, "cp-visits,Quarter 5,Cheltenham,80,75,",
                 "period: 'Quarter 5' is not a period label this service understands",
                 id="unparseable-period"),
    pytest.param(OBS, "cp-visits,2021/23,Cheltenham,80,75,",
                 "period: '2021/23' is not a financial year: 23 does not follow 2021",
                 id="financial-year-that-skips"),
    pytest.param(OBS, ",Sep-21,Cheltenham,80,75,", "measure_id is blank",
                 id="blank-measure-id"),
    pytest.param(OBS, "cp-visits,Sep-21,  ,80,75,", "area is blank", id="blank-area"),
    pytest.param(OBS, "cp-visits,Sep-21,Cheltenham,80,75,fine,stray,cells",
                 "row has 8 cells but the heading row has 6", id="more-cells-than-headings"),
    pytest.param(OBS, "cp-visits,2021-08,Cheltenham,99,75,",
                 "repeats the row on line 2 (same measure, area and period); "
                 "the first one was kept", id="duplicate-measure-area-period"),
    pytest.param(RISK, "SR7.5,Sep-21,26,,,", "score must be between 1 and 25 "
                 "(likelihood x impact), got 26", id="risk-score-above-25"),
    pytest.param(RISK, "SR7.5,Sep-21,0,,,", "score must be between 1 and 25 "
                 "(likelihood x impact), got 0", id="risk-score-zero"),
    pytest.param(RISK, "SR7.5,Sep-21,12,3,3,", "score 12 is not likelihood 3 x impact 3",
                 id="likelihood-times-impact-not-score"),
    pytest.param(RISK, "SR7.5,Sep-21,Severe,,,",
                 "score must be a score like 12 or 'Moderate 12', got 'Severe'",
                 id="risk-score-not-a-number"),
    pytest.param(RISK, ",Sep-21,8,,,", "risk_id is blank", id="blank-risk-id"),
    pytest.param(RISK, "SR7.5,Jun-21,9,,,",
                 "repeats the row on line 2 (same risk and period); the first one was kept",
                 id="duplicate-risk-period"),
    pytest.param(CASE, "C100002,CP,2021-06-01,2021-05-31,Stroud Safeguarding,",
                 "end_date 2021-05-31 is before start_date 2021-06-01",
                 id="end-before-start"),
    pytest.param(CASE, "C100002,CP,31/02/2021,,Stroud Safeguarding,",
                 "start_date must be a date like 2019-08-31 or 31/08/2019, got '31/02/2021'",
                 id="impossible-date"),
    pytest.param(CASE, "C100002,CP,2021-02-01,last week,Stroud Safeguarding,",
                 "end_date must be a date like 2019-08-31 or 31/08/2019, got 'last week'",
                 id="unreadable-end-date"),
    pytest.param(CASE, "C100002,,2021-02-01,,Stroud Safeguarding,", "plan_type is blank",
                 id="blank-plan-type"),
    pytest.param(CASE, "C100002,CP,2021-02-01,,,", "team is blank", id="blank-team"),
    pytest.param(CASE, "C100002,CP,,,Stroud Safeguarding,", "start_date is blank",
                 id="blank-start-date"),
]


@pytest.mark.parametrize(("table", "bad", "reason"), BAD_ROWS)
def test_bad_row_is_reported_with_line_and_reason_and_the_rest_load(
        store: Store, tmp_path: Path, table: tuple[str, str, str, TableKind], bad: str,
        reason: str) -> None:
    """A bad row after a 3-line quoted cell is rejected as line 5; both good rows still load."""
    head, first, last, kind = table
    # line 1 heading, lines 2-4 one row with a multi-line quoted cell, line 5 bad, line 6 good
    path = write(tmp_path, "bad.csv", "\n".join([head, first, bad, last]) + "\n")
    [report] = load_path(store, path)
    assert report.kind is kind
    assert report.counts == SaveCounts(inserted=2)
    [rejected] = report.rejected
    assert (rejected.source, rejected.line, rejected.kind) == ("bad.csv", 5, kind.value)
    assert reason in rejected.reason
    assert str(rejected).startswith("bad.csv:5: ")


def test_duplicate_row_keeps_the_first_value(store: Store, tmp_path: Path) -> None:
    """Of two rows for the same measure, area and period, the first one's value is stored."""
    path = write(tmp_path, "dup.csv", "measure_id,period,area,value,target\n"
                                      "cp-visits,Sep-21,Stroud,70,75\n"
                                      "cp-visits,Sep-21,Cheltenham,80,75\n"
                                      "cp-visits,2021-09,Stroud,99,75\n")
    [report] = load_path(store, path)
    assert report.counts == SaveCounts(inserted=2)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (4, "repeats the row on line 2 (same measure, area and period); "
            "the first one was kept")]
    stored = {r["area"]: r["value"] for r in rows_of(store, observations, "id")}
    assert stored == {"Stroud": 70.0, "Cheltenham": 80.0}


def test_blank_lines_are_skipped_but_still_counted(store: Store, tmp_path: Path) -> None:
    """Blank lines do not load as rows, and lines after them keep their true numbers."""
    path = write(tmp_path, "gaps.csv", "measure_id,period,area,value,target\n"
                                       "cp-visits,Aug-21,Stroud,70,75\n"
                                       "\n"
                                       ",,,,\n"
                                       "cp-visits,Sep-21,Stroud,lots,75\n")
    [report] = load_path(store, path)
    assert report.counts == SaveCounts(inserted=1)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (5, "value must be a number or a missing-value marker, got 'lots'")]


def test_several_bad_rows_are_each_reported(store: Store, tmp_path: Path) -> None:
    """Every bad row is reported, a multi-line row at the line it starts on."""
    path = write(tmp_path, "many.csv",
                 "measure_id,period,area,value,target,commentary\n"       # 1
                 "cp-visits,Jun-21,Stroud,lots,75,\n"                     # 2
                 'cp-visits,Jul-21,Stroud,many,75,"two\nlines"\n'         # 3-4
                 "cp-visits,Aug-21,,72,75,\n"                             # 5
                 'cp-visits,Sep-21,Stroud,73,75,"a\nb\nc"\n'              # 6-8
                 "cp-visits,Oct-21,Stroud,74,75,\n"                       # 9
                 "cp-visits,Never,Stroud,75,75,\n")                       # 10
    [report] = load_path(store, path)
    assert report.counts == SaveCounts(inserted=2)
    assert [r.line for r in report.rejected] == [2, 3, 5, 10]


# --- whole-table problems ---------------------------------------------------------------------

MISSING_COLUMN = [
    pytest.param("child_id,start_date,end_date,team\nC1,2021-01-04,,Stroud Safeguarding\n",
                 None, TableKind.CASES, "cases table is missing column(s): plan_type",
                 id="cases-without-plan-type"),
    pytest.param("measure_id,period,area,target\ncp-visits,Sep-21,Stroud,75\n",
                 TableKind.OBSERVATIONS, TableKind.OBSERVATIONS,
                 "observations table is missing column(s): value",
                 id="observations-without-value-kind-given"),
    pytest.param("risk_id,period,level\nSR7.5,Sep-21,Moderate\n",
                 TableKind.RISKS, TableKind.RISKS, "risks table is missing column(s): score",
                 id="risks-without-score-kind-given"),
    pytest.param("child_id,plan_type,start_date\nC1,CP,2021-01-04\n",
                 TableKind.CASES, TableKind.CASES, "cases table is missing column(s): team",
                 id="cases-without-team-kind-given"),
    pytest.param("measure_id,period,area,target\ncp-visits,Sep-21,Stroud,75\n",
                 None, TableKind.OBSERVATIONS,
                 "observations table is missing column(s): value",
                 id="observations-without-value-detected"),
    pytest.param("Measure ID,Area,Target\ncp-visits,Stroud,75\n",
                 None, TableKind.OBSERVATIONS,
                 "observations table is missing column(s): period, value",
                 id="observations-without-period-and-value-detected"),
    pytest.param("risk_id,period,level\nSR7.5,Sep-21,Moderate\n",
                 None, TableKind.RISKS, "risks table is missing column(s): score",
                 id="risks-without-score-detected"),
    pytest.param("child_id,plan_type,start_date\nC1,CP,2021-01-04\n",
                 None, TableKind.CASES, "cases table is missing column(s): team",
                 id="cases-without-team-detected"),
]


@pytest.mark.parametrize(("text", "given", "kind", "reason"), MISSING_COLUMN)
def test_missing_required_column_rejects_the_whole_table(
        store: Store, tmp_path: Path, text: str, given: TableKind | None, kind: TableKind,
        reason: str) -> None:
    """A table missing a required column loads nothing and names the column."""
    [report] = load_path(store, write(tmp_path, "table.csv", text), given)
    assert report.kind is kind
    assert report.counts == SaveCounts()
    [rejected] = report.rejected
    assert (rejected.source, rejected.line, rejected.reason) == ("table.csv", 1, reason)
    assert store.counts() == {"observations": 0, "risk_scores": 0, "case_records": 0,
                              "rejected_rows": 1}


def test_unrecognised_headings_are_rejected(store: Store, tmp_path: Path) -> None:
    """A table whose headings match no contract loads nothing and says what was expected."""
    path = write(tmp_path, "notes.csv", "Note,Author\nRemember the audit,Chris\n")
    [report] = load_path(store, path)
    assert report.kind is None
    assert report.counts == SaveCounts()
    [rejected] = report.rejected
    assert (rejected.source, rejected.line, rejected.kind) == ("notes.csv", 1, "unknown")
    assert rejected.reason.startswith("headings not recognised: expected observations "
                                      "(measure_id, period, area, value)")
    assert store.counts()["rejected_rows"] == 1


UNREADABLE = [
    pytest.param(b"", "empty.csv: is empty (no heading row)", id="empty-file"),
    pytest.param("measure_id,period,area,value\nm,Sep-21,A,1\n".encode("utf-16"),
                 "it contains NUL bytes", id="utf-16-export"),
    pytest.param(b"measure_id,period,area,value\nm,Sep-21,A\x00,1\n",
                 "it contains NUL bytes", id="nul-byte-in-row"),
    pytest.param(b"measure_id,period,area,value\n" + b"m,Sep-21,Stroud,1\n" * 400
                 + b"m,Oct-21,Stroud\x00,2\n", "it contains NUL bytes",
                 id="nul-byte-after-the-first-4kb"),
]


@pytest.mark.parametrize(("data", "message"), UNREADABLE)
def test_unreadable_file_raises_source_error(store: Store, tmp_path: Path, data: bytes,
                                             message: str) -> None:
    """An empty file or one with NUL bytes is a SourceError, not a set of bad rows."""
    path = tmp_path / "empty.csv"
    path.write_bytes(data)
    with pytest.raises(SourceError, match=r"empty\.csv") as caught:
        load_path(store, path)
    assert message in str(caught.value)
    assert store.counts()["observations"] == 0


def test_missing_file_raises_source_error(store: Store, tmp_path: Path) -> None:
    """A path that does not exist is a SourceError naming it."""
    with pytest.raises(SourceError, match=r"nowhere\.csv: does not exist"):
        load_path(store, tmp_path / "nowhere.csv")


def test_folder_loads_every_table_and_skips_other_files(store: Store, tmp_path: Path) -> None:
    """Loading a folder loads each contract table (subfolders too) and skips the rest."""
    folder = tmp_path / "drop"
    (folder / "q2").mkdir(parents=True)
    write(folder, "observations.csv", "measure_id,period,area,value,target\n"
                                      "cp-visits,Sep-21,Stroud,70,75\n")
    write(folder, "notes.csv", "Note,Author\nRemember the audit,Chris\n")
    write(folder, "readme.txt", "not data\n")
    write(folder / "q2", "risks.csv", "risk_id,period,score\nSR7.5,Sep-21,Moderate 12\n")
    reports = load_path(store, folder)
    assert [(r.source, r.kind, r.skipped, r.counts) for r in reports] == [
        ("drop/notes.csv", None, True, SaveCounts()),
        ("drop/observations.csv", TableKind.OBSERVATIONS, False, SaveCounts(inserted=1)),
        ("drop/q2/risks.csv", TableKind.RISKS, False, SaveCounts(inserted=1)),
    ]
    assert store.counts() == {"observations": 1, "risk_scores": 1, "case_records": 0,
                              "rejected_rows": 0}


def test_folder_reports_a_recognisable_table_missing_a_column(store: Store,
                                                              tmp_path: Path) -> None:
    """In a folder, a table with its id column but missing another is rejected, not skipped."""
    folder = tmp_path / "drop"
    folder.mkdir()
    write(folder, "observations.csv", "measure_id,period,area,target\n"
                                      "cp-visits,Sep-21,Stroud,75\n")
    [report] = load_path(store, folder)
    assert not report.skipped
    assert [(r.line, r.reason) for r in report.rejected] == [
        (1, "observations table is missing column(s): value")]


# --- encodings --------------------------------------------------------------------------------


def test_cp1252_file_with_pound_and_accent_loads(store: Store, tmp_path: Path) -> None:
    """A Windows-1252 CSV (as Excel saves it) loads with £ and é intact."""
    path = write(tmp_path, "spend.csv",
                 "measure_id,period,area,value,target,commentary\n"
                 'placement-spend,Sep-21,Forest of Dean,"£1,200",£1000,Café meeting costs £40\n',
                 encoding="cp1252")
    assert b"\xa3" in path.read_bytes()  # really cp1252, not UTF-8
    [report] = load_path(store, path)
    assert report.rejected == ()
    [row] = rows_of(store, observations, "id")
    assert (row["value"], row["target"]) == (1200.0, 1000.0)
    assert row["commentary"] == "Café meeting costs £40"


def test_utf8_bom_does_not_spoil_the_first_heading(store: Store, tmp_path: Path) -> None:
    """A UTF-8 BOM before `measure_id` is ignored, so the table is recognised."""
    path = write(tmp_path, "bom.csv", "measure_id,period,area,value,target\n"
                                      "cp-visits,Sep-21,Stroud,70,75\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    [report] = load_path(store, path)
    assert report.kind is TableKind.OBSERVATIONS
    assert report.counts == SaveCounts(inserted=1)
    assert store.observation_frame().measure_ids == ("cp-visits",)


def test_utf8_bom_on_annex_a_headings(store: Store, tmp_path: Path) -> None:
    """A BOM before `Child Unique ID` still maps it and marks the file as CP plans."""
    path = write(tmp_path, "list7.csv", ANNEX_A_HEADINGS + "\n"
                 "C743779,01/08/2016,,Neglect,Neglect,0,Cheltenham Safeguarding,Worker 41,\n",
                 encoding="utf-8-sig")
    [report] = load_path(store, path)
    assert report.counts == SaveCounts(inserted=1)
    [row] = rows_of(store, case_records, "id")
    assert (row["child_id"], row["plan_type"]) == ("C743779", "CP")


# --- values -----------------------------------------------------------------------------------

MISSING_MARKERS = [
    pytest.param("", None, id="blank"),
    pytest.param("?", "?", id="question-mark"),
    pytest.param("n/a", "n/a", id="n/a"),
    pytest.param("Not published", "Not published", id="not-published"),
    pytest.param("IN DEVELOPMENT", "IN DEVELOPMENT", id="in-development"),
    pytest.param("<p>IN DEVELOPMENT</p>", "IN DEVELOPMENT", id="in-development-html"),
    pytest.param("  n/a ", "n/a", id="padded-n/a"),
]


@pytest.mark.parametrize(("cell", "raw_value"), MISSING_MARKERS)
def test_missing_value_marker_loads_as_no_value(store: Store, tmp_path: Path, cell: str,
                                                raw_value: str | None) -> None:
    """Each DOMAIN.md missing-value marker stores value None and keeps the marker text."""
    path = write(tmp_path, "markers.csv", "measure_id,period,area,value,target\n"
                                          f'cp-visits,Sep-21,Stroud,"{cell}",75\n')
    [report] = load_path(store, path)
    assert report.rejected == ()
    value, extras = only_observation(store)
    assert math.isnan(value)
    assert extras.raw_value == raw_value
    [row] = rows_of(store, observations, "id")
    assert row["value"] is None


NUMBERS = [
    pytest.param("69.5%", 69.5, id="percent"),
    pytest.param('"1,234"', 1234.0, id="thousands-comma"),
    pytest.param('"£1,200.50"', 1200.5, id="pounds"),
    pytest.param(" 12 ", 12.0, id="padded"),
    pytest.param("-3.25", -3.25, id="negative"),
    pytest.param(".5", 0.5, id="leading-point"),
]


@pytest.mark.parametrize(("cell", "expected"), NUMBERS)
def test_formatted_numbers_parse(store: Store, tmp_path: Path, cell: str,
                                 expected: float) -> None:
    """Values written as scorecards print them (`69.5%`, `1,234`) are stored as numbers."""
    path = write(tmp_path, "numbers.csv", "measure_id,period,area,value,target\n"
                                          f"cp-visits,Sep-21,Stroud,{cell},75\n")
    [report] = load_path(store, path)
    assert report.rejected == ()
    value, extras = only_observation(store)
    assert value == expected
    assert extras.raw_value is None


def test_comparator_columns_are_stored_as_comparators(store: Store, tmp_path: Path) -> None:
    """england, stat_neighbours, comparator_group and comparator_* go into comparators."""
    path = write(tmp_path, "comparators.csv",
                 "measure_id,period,area,value,target,England,stat_neighbours,"
                 "comparator_group,comparator_foo,region,numerator,denominator,commentary\n"
                 'cp-visits,Sep-21,Stroud,70,75,60.1,55%,"22.1% (March 23)",7,,'
                 '14,20,"<p>Better than <b>last</b> month</p>"\n')
    [report] = load_path(store, path)
    assert report.rejected == ()
    _, extras = only_observation(store)
    assert extras.comparators == {"england": 60.1, "stat_neighbours": 55.0,
                                  "comparator_group": 22.1, "comparator_foo": 7.0}
    assert (extras.numerator, extras.denominator) == (14.0, 20.0)
    assert extras.commentary == "<p>Better than <b>last</b> month</p>"


def test_unreadable_comparator_rejects_the_row(store: Store, tmp_path: Path) -> None:
    """A comparator cell with no leading number rejects its row, naming the column."""
    path = write(tmp_path, "comparators.csv",
                 "measure_id,period,area,value,target,england\n"
                 "cp-visits,Sep-21,Stroud,70,75,60\n"
                 "cp-visits,Sep-21,Cheltenham,70,75,about average\n")
    [report] = load_path(store, path)
    assert report.counts == SaveCounts(inserted=1)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "england must be a number or a missing-value marker, got 'about average'")]


RISK_SCORES = [
    pytest.param("Moderate 12", 12.0, "Moderate", id="moderate-12"),
    pytest.param("12", 12.0, "Moderate", id="bare-12"),
    pytest.param("High 16", 16.0, "High", id="high-16"),
    pytest.param("low 4", 4.0, "Low", id="lower-case-low-4"),
    pytest.param("Moderate 7", 7.0, "Moderate", id="moderate-7"),
    pytest.param("6", 6.0, "Low", id="bare-6"),
]


@pytest.mark.parametrize(("cell", "score", "level"), RISK_SCORES)
def test_risk_score_as_registers_print_it(store: Store, tmp_path: Path, cell: str,
                                          score: float, level: str) -> None:
    """`Moderate 12` is score 12; with no level column the level follows the risk matrix."""
    path = write(tmp_path, "risks.csv", f"risk_id,period,score\nSR7.5,Sep-21,{cell}\n")
    [report] = load_path(store, path)
    assert report.rejected == ()
    [row] = rows_of(store, risk_scores, "id")
    assert (row["risk_id"], row["period_end"], row["score"], row["level"]) == (
        "SR7.5", date(2021, 9, 30), score, level)


# --- case record headings ---------------------------------------------------------------------


def test_annex_a_list7_loads_as_cp_plans(store: Store, tmp_path: Path) -> None:
    """Annex A List 7 headings and UK dates map onto the case contract as CP plans."""
    path = write(tmp_path, "list7.csv", ANNEX_A_HEADINGS + "\n"
                 "C743779,03/04/2019,,Neglect,Multiple,2,Cheltenham Safeguarding,Worker 41,"
                 "23/08/2019\n"
                 "C464798,31/08/2017,12/01/2019,Physical abuse,Physical abuse,0,"
                 "Gloucester Safeguarding,Worker 43,\n")
    [report] = load_path(store, path)
    assert report.kind is TableKind.CASES
    assert report.rejected == ()
    assert report.counts == SaveCounts(inserted=2)
    got = [(r["child_id"], r["plan_type"], r["start_date"], r["end_date"], r["team"],
            r["worker"], r["category"], r["previous_plans"], r["locality"])
           for r in rows_of(store, case_records, "child_id")]
    assert got == [
        ("C464798", "CP", date(2017, 8, 31), date(2019, 1, 12), "Gloucester Safeguarding",
         "Worker 43", "Physical abuse", 0, None),
        ("C743779", "CP", date(2019, 4, 3), None, "Cheltenham Safeguarding", "Worker 41",
         "Multiple", 2, None),
    ]


def test_annex_a_example_file_loads(store: Store) -> None:
    """The shipped Annex A List 7 example loads all 6 rows as CP plans."""
    example = Path(__file__).resolve().parents[2] / "examples" / "cases" / "annex_a_list7.csv"
    [report] = load_path(store, example)
    assert report.rejected == ()
    assert report.counts == SaveCounts(inserted=6)
    assert {r["plan_type"] for r in rows_of(store, case_records, "id")} == {"CP"}


def test_annex_a_bad_row_reports_contract_reason(store: Store, tmp_path: Path) -> None:
    """A List 7 row whose plan ends before it starts is rejected with its line."""
    path = write(tmp_path, "list7.csv", ANNEX_A_HEADINGS + "\n"
                 "C1,01/08/2016,,Neglect,Neglect,0,Stroud Safeguarding,Worker 1,\n"
                 "C2,01/08/2016,31/07/2016,Neglect,Neglect,0,Stroud Safeguarding,Worker 1,\n")
    [report] = load_path(store, path)
    assert report.counts == SaveCounts(inserted=1)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "end_date 2016-07-31 is before start_date 2016-08-01")]


def test_cin_census_headings_load_as_cp_plans(store: Store, tmp_path: Path) -> None:
    """CIN census item names (LAchildID, CPPstartDate, ...) map onto the case contract."""
    path = write(tmp_path, "cin.csv",
                 "LAchildID,CPPstartDate,CPPendDate,NumberOfPreviousCPP,Team\n"
                 "C2001,2020-11-30,2021-05-01,1,Tewkesbury Safeguarding\n"
                 "C2002,15/02/2021,,0,Stroud Safeguarding\n")
    [report] = load_path(store, path)
    assert report.kind is TableKind.CASES
    assert report.rejected == ()
    got = [(r["child_id"], r["plan_type"], r["start_date"], r["end_date"], r["previous_plans"],
            r["team"]) for r in rows_of(store, case_records, "child_id")]
    assert got == [
        ("C2001", "CP", date(2020, 11, 30), date(2021, 5, 1), 1, "Tewkesbury Safeguarding"),
        ("C2002", "CP", date(2021, 2, 15), None, 0, "Stroud Safeguarding"),
    ]


# --- the quarantine ---------------------------------------------------------------------------


def test_rejected_rows_go_to_the_quarantine_table(store: Store, tmp_path: Path) -> None:
    """Each rejected row is written to rejected_rows with source, line, kind, reason, cells."""
    path = write(tmp_path, "q.csv", "measure_id,period,area,value,target,commentary\n"
                                    'cp-visits,Aug-21,Stroud,70,75,"multi\nline"\n'
                                    "cp-visits,Sep-21,Stroud,high,75,\n"
                                    "cp-visits,Sep-21,,71,75,\n")
    load_path(store, path)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(rejected_rows).order_by(rejected_rows.c.line)).all()
    assert [(r.source, r.line, r.kind, r.reason) for r in rows] == [
        ("q.csv", 4, "observations",
         "value must be a number or a missing-value marker, got 'high'"),
        ("q.csv", 5, "observations", "area is blank"),
    ]
    assert json.loads(rows[0].raw) == {"measure_id": "cp-visits", "period": "Sep-21",
                                       "area": "Stroud", "value": "high", "target": "75",
                                       "commentary": ""}
    assert all(r.rejected_at is not None for r in rows)
    assert store.counts()["rejected_rows"] == 2
    assert store.counts()["observations"] == 1
