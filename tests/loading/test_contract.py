"""The data contract's pure parts: heading names, table kinds and parsing one row."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from alerting.loading.contract import (
    RowError,
    TableKind,
    canonical_header,
    detect_kind,
    is_protection_list,
    missing_columns,
    natural_key,
    parse_case,
    parse_observation,
    parse_risk,
)
from alerting.model.periods import PeriodKind, month_period
from alerting.model.records import CaseRecord, ObservationRecord, RiskRecord

ANNEX_A = ("Child Unique ID", "Child Protection Plan Start Date",
           "Child Protection Plan End Date", "Initial Category of Abuse",
           "Latest Category of Abuse", "Number of Previous Child Protection Plans",
           "Allocated Team", "Allocated Worker", "Date of the Last Statutory Visit")


@pytest.mark.parametrize(("header", "name"), [
    ("measure_id", "measure_id"),
    ("\ufeffmeasure_id", "measure_id"),
    ("  Measure ID ", "measure_id"),
    ("Stat Neighbours", "stat_neighbours"),
    ("Good/Outstanding", "good_outstanding"),
    ("Comparator - Foo", "comparator_foo"),
    ("Value (%)", "value"),
    (None, ""),
    ("Child Unique ID", "child_id"),
    ("Child  Protection Plan\nStart Date", "start_date"),
    ("CHILD PROTECTION PLAN END DATE", "end_date"),
    ("Initial Category of Abuse", "initial_category"),
    ("Latest Category of Abuse", "category"),
    ("Number of Previous Child Protection Plans", "previous_plans"),
    ("Allocated Team", "team"),
    ("Allocated Worker", "worker"),
    ("Date of the Last Statutory Visit", "last_statutory_visit"),
    ("LAchildID", "child_id"),
    ("CPPstartDate", "start_date"),
    ("CPPendDate", "end_date"),
    ("NumberOfPreviousCPP", "previous_plans"),
])
def test_canonical_header(header: str | None, name: str) -> None:
    """Headings map to contract names: Annex A / CIN census names, else snake_case."""
    assert canonical_header(header) == name


@pytest.mark.parametrize(("headers", "kind"), [
    (("measure_id", "period", "area", "value", "target"), TableKind.OBSERVATIONS),
    (("Measure ID", "Period", "Area", "Value"), TableKind.OBSERVATIONS),
    (("risk_id", "period", "score"), TableKind.RISKS),
    (("child_id", "plan_type", "start_date", "end_date", "team"), TableKind.CASES),
    (("child_id", "start_date", "team"), TableKind.CASES),
    (ANNEX_A, TableKind.CASES),
    (("LAchildID", "CPPstartDate", "CPPendDate", "NumberOfPreviousCPP", "Team"),
     TableKind.CASES),
    (("measure_id", "period", "area"), None),
    (("LAchildID", "CPPstartDate", "CPPendDate"), None),
    (("Note", "Author"), None),
    ((), None),
])
def test_detect_kind(headers: tuple[str, ...], kind: TableKind | None) -> None:
    """A table's kind is the contract whose required columns it has; else None."""
    assert detect_kind(headers) is kind


@pytest.mark.parametrize(("headers", "kind"), [
    (("measure_id", "period", "area", "value"), TableKind.OBSERVATIONS),
    (("measure_id", "period", "area", "target"), TableKind.OBSERVATIONS),
    (("Measure ID",), TableKind.OBSERVATIONS),
    (("risk_id", "period", "level"), TableKind.RISKS),
    (("child_id", "plan_type", "start_date"), TableKind.CASES),
    (("LAchildID", "CPPstartDate"), TableKind.CASES),
    (("Note", "Author"), None),
    (("period", "area", "value"), None),
])
def test_detect_kind_by_id_column(headers: tuple[str, ...], kind: TableKind | None) -> None:
    """With by_id_column, a table missing a required column is still known by its id column."""
    assert detect_kind(headers, by_id_column=True) is kind


@pytest.mark.parametrize(("kind", "headers", "missing"), [
    (TableKind.OBSERVATIONS, ("measure_id", "period", "area", "value"), []),
    (TableKind.OBSERVATIONS, ("measure_id", "area"), ["period", "value"]),
    (TableKind.RISKS, ("risk_id", "period"), ["score"]),
    (TableKind.CASES, ("child_id", "start_date", "team"), ["plan_type"]),
    (TableKind.CASES, ("child_id", "plan_type", "start_date"), ["team"]),
    (TableKind.CASES, ANNEX_A, []),
    (TableKind.CASES, ("LAchildID", "CPPstartDate"), ["team"]),
])
def test_missing_columns(kind: TableKind, headers: tuple[str, ...], missing: list[str]) -> None:
    """Missing required columns are listed in contract order; List 7 needs no plan_type."""
    assert missing_columns(kind, headers) == missing


@pytest.mark.parametrize(("headers", "expected"), [
    (ANNEX_A, True),
    (("LAchildID", "CPPstartDate", "team"), True),
    (("child_id", "plan_type", "start_date", "team"), False),
    (("child_id", "start_date", "Allocated Team"), True),
])
def test_is_protection_list(headers: tuple[str, ...], expected: bool) -> None:
    """Annex A List 7 and CIN census headings mark a file whose rows are all CP plans."""
    assert is_protection_list(headers) is expected


# --- observations -----------------------------------------------------------------------------

OBS = {"measure_id": "cp-visits", "period": "Sep-21", "area": "Stroud", "value": "70",
       "target": "75"}


def test_parse_observation_full_row() -> None:
    """Every observation column is parsed into the record."""
    record = parse_observation({
        **OBS, "value": "69.5%", "target": "75%", "numerator": "139", "denominator": "200",
        "england": "60.1", "stat_neighbours": "n/a", "comparator_group": "22.1% (March 23)",
        "commentary": "  Up   from\nlast month ", "owner": "ignored extra column",
    })
    assert record == ObservationRecord(
        measure_id="cp-visits", period=month_period(2021, 9), area="Stroud", value=69.5,
        target=75.0, comparators={"england": 60.1, "comparator_group": 22.1},
        numerator=139.0, denominator=200.0, commentary="Up from last month", raw_value=None)


@pytest.mark.parametrize(("period", "end", "kind"), [
    ("Sep-21", date(2021, 9, 30), PeriodKind.MONTH),
    ("Aug 19", date(2019, 8, 31), PeriodKind.MONTH),
    ("March 24", date(2024, 3, 31), PeriodKind.MONTH),
    ("2016/17", date(2017, 3, 31), PeriodKind.FINANCIAL_YEAR),
    ("Q3 (2016/17)", date(2016, 12, 31), PeriodKind.QUARTER),
    ("Q3 2016/17", date(2016, 12, 31), PeriodKind.QUARTER),
    ("Academic Year Ending 2019", date(2019, 8, 31), PeriodKind.ACADEMIC_YEAR),
    ("2021-09", date(2021, 9, 30), PeriodKind.MONTH),
    ("2021-09-30", date(2021, 9, 30), PeriodKind.DAY),
])
def test_parse_observation_period_labels(period: str, end: date, kind: PeriodKind) -> None:
    """Every DOMAIN.md period label form is accepted in the period column."""
    record = parse_observation({**OBS, "period": period})
    assert (record.period.end, record.period.kind) == (end, kind)


@pytest.mark.parametrize(("cell", "value", "raw_value"), [
    (None, None, None),
    ("", None, None),
    ("?", None, "?"),
    ("n/a", None, "n/a"),
    ("Not published", None, "Not published"),
    ("IN DEVELOPMENT", None, "IN DEVELOPMENT"),
    ("<p>IN DEVELOPMENT</p>", None, "IN DEVELOPMENT"),
    ("1,234", 1234.0, None),
    ("£1,200", 1200.0, None),
    (12, 12.0, None),
    (69.5, 69.5, None),
])
def test_parse_observation_values(cell: Any, value: float | None,
                                  raw_value: str | None) -> None:
    """Numbers parse; missing-value markers give None and keep the marker text."""
    record = parse_observation({**OBS, "value": cell})
    assert (record.value, record.raw_value) == (value, raw_value)


@pytest.mark.parametrize(("row", "reason"), [
    ({"value": "seventy"}, "value must be a number or a missing-value marker, got 'seventy'"),
    ({"value": True}, "value must be a number, got True"),
    ({"target": "high"}, "target must be a number or a missing-value marker, got 'high'"),
    ({"numerator": "some"}, "numerator must be a number"),
    ({"measure_id": " "}, "measure_id is blank"),
    ({"area": None}, "area is blank"),
    ({"period": ""}, "period is blank"),
    ({"period": "Smarch-21"}, "period: 'Smarch-21' is not a period label"),
    ({"period": "2016/18"}, "period: '2016/18' is not a financial year: 18 does not follow 2016"),
    ({"period": "2021-02-30"}, "period: '2021-02-30' is not a real date"),
    ({"england": "(March 23) 22.1%"},
     "england must be a number or a missing-value marker, got '(March 23) 22.1%'"),
])
def test_parse_observation_rejects(row: dict[str, Any], reason: str) -> None:
    """A bad observation cell raises RowError saying which column and what was found."""
    with pytest.raises(RowError) as caught:
        parse_observation({**OBS, **row})
    assert reason in str(caught.value)


@pytest.mark.parametrize(("cell", "number"), [
    ("22.1% (March 23)", 22.1),
    ("<b>22.1%</b> (Mar 23)", 22.1),
    ("£1,200 (2022)", 1200.0),
    ("-3.5 pts", -3.5),
    ("55", 55.0),
])
def test_comparator_takes_the_leading_number(cell: str, number: float) -> None:
    """A comparator cell with a note after its figure keeps the figure."""
    assert parse_observation({**OBS, "comparator_foo": cell}).comparators == {
        "comparator_foo": number}


# --- risks ------------------------------------------------------------------------------------

RISK = {"risk_id": "SR7.5", "period": "Q2 2021/22", "score": "12"}


def test_parse_risk_full_row() -> None:
    """Every risk column is parsed; `High 25` as inherent score is 25."""
    record = parse_risk({**RISK, "likelihood": "3", "impact": "4", "level": "Moderate",
                         "inherent_score": "High 25", "owner": "Spencer, Chris",
                         "title": "Drift and delay"})
    assert record == RiskRecord(
        risk_id="SR7.5", period=record.period, score=12.0, likelihood=3, impact=4,
        level="Moderate", inherent_score=25.0, owner="Spencer, Chris", title="Drift and delay")
    assert (record.period.end, record.period.kind) == (date(2021, 9, 30), PeriodKind.QUARTER)


@pytest.mark.parametrize(("cell", "score", "level"), [
    ("Moderate 12", 12.0, "Moderate"),
    ("moderate 8", 8.0, "Moderate"),
    ("High 16", 16.0, "High"),
    ("Low 6", 6.0, "Low"),
    ("7", 7.0, "Moderate"),
    ("13", 13.0, "High"),
    ("1", 1.0, "Low"),
    ("25", 25.0, "High"),
    (12, 12.0, "Moderate"),
])
def test_parse_risk_score_and_level(cell: Any, score: float, level: str) -> None:
    """Scores may carry their level word; the level follows Low 1-6, Moderate 7-12, High 13-25."""
    record = parse_risk({**RISK, "score": cell})
    assert (record.score, record.level) == (score, level)


@pytest.mark.parametrize(("row", "reason"), [
    ({"score": ""}, "score is blank"),
    ({"score": "26"}, "score must be between 1 and 25 (likelihood x impact), got 26"),
    ({"score": "0"}, "score must be between 1 and 25 (likelihood x impact), got 0"),
    ({"score": "Moderate"}, "score must be a score like 12 or 'Moderate 12', got 'Moderate'"),
    ({"score": "12", "likelihood": "3", "impact": "3"},
     "score 12 is not likelihood 3 x impact 3"),
    ({"likelihood": "2.5", "impact": "4"}, "likelihood must be a whole number, got '2.5'"),
    ({"impact": "big"}, "impact must be a number or a missing-value marker, got 'big'"),
    ({"risk_id": ""}, "risk_id is blank"),
    ({"inherent_score": "Severe"},
     "inherent_score must be a score like 12 or 'Moderate 12', got 'Severe'"),
    pytest.param({"score": "24", "likelihood": "6", "impact": "4"},
                 "likelihood must be between 1 and 5, got 6", id="likelihood-above-5"),
])
def test_parse_risk_rejects(row: dict[str, Any], reason: str) -> None:
    """A bad risk row raises RowError with a reason a performance officer can act on."""
    with pytest.raises(RowError) as caught:
        parse_risk({**RISK, **row})
    assert reason in str(caught.value)


# --- cases ------------------------------------------------------------------------------------

CASE = {"child_id": "C1", "plan_type": "CP", "start_date": "2019-08-01", "end_date": "",
        "team": "Stroud Safeguarding"}


def test_parse_case_full_row() -> None:
    """Every case column is parsed into the record."""
    record = parse_case({**CASE, "end_date": "12/01/2021", "locality": "Stroud",
                         "worker": "Worker 7", "category": "Neglect", "previous_plans": "2"})
    assert record == CaseRecord(
        child_id="C1", plan_type="CP", start_date=date(2019, 8, 1), end_date=date(2021, 1, 12),
        team="Stroud Safeguarding", locality="Stroud", worker="Worker 7", category="Neglect",
        previous_plans=2)


@pytest.mark.parametrize(("cell", "expected"), [
    ("2019-08-01", date(2019, 8, 1)),
    ("01/08/2019", date(2019, 8, 1)),
    ("1/8/2019", date(2019, 8, 1)),
    ("01-08-2019", date(2019, 8, 1)),
    ("01/08/19", date(2019, 8, 1)),
    ("1 Aug 2019", date(2019, 8, 1)),
    ("1 August 2019", date(2019, 8, 1)),
    ("2019-08-01T00:00:00", date(2019, 8, 1)),
    ("01/08/2019 00:00", date(2019, 8, 1)),
    (date(2019, 8, 1), date(2019, 8, 1)),
])
def test_parse_case_date_forms(cell: Any, expected: date) -> None:
    """ISO, UK day-first and spreadsheet date forms all give the same start date."""
    assert parse_case({**CASE, "start_date": cell}).start_date == expected


def test_parse_case_same_day_end_is_allowed() -> None:
    """A plan that ends on the day it starts is not an error."""
    assert parse_case({**CASE, "end_date": "2019-08-01"}).end_date == date(2019, 8, 1)


def test_parse_case_default_plan_type_fills_blank_only() -> None:
    """The List 7 default plan type (CP) applies only where the row has none."""
    assert parse_case({**CASE, "plan_type": None}, "CP").plan_type == "CP"
    assert parse_case({**CASE, "plan_type": "CIN"}, "CP").plan_type == "CIN"


@pytest.mark.parametrize(("row", "reason"), [
    ({"start_date": ""}, "start_date is blank"),
    ({"start_date": "31/02/2019"},
     "start_date must be a date like 2019-08-31 or 31/08/2019, got '31/02/2019'"),
    ({"end_date": "soon"}, "end_date must be a date like 2019-08-31 or 31/08/2019, got 'soon'"),
    ({"end_date": "2019-07-31"}, "end_date 2019-07-31 is before start_date 2019-08-01"),
    ({"plan_type": ""}, "plan_type is blank"),
    ({"team": ""}, "team is blank"),
    ({"child_id": " "}, "child_id is blank"),
    ({"previous_plans": "1.5"}, "previous_plans must be a whole number, got '1.5'"),
    ({"previous_plans": "several"},
     "previous_plans must be a number or a missing-value marker, got 'several'"),
])
def test_parse_case_rejects(row: dict[str, Any], reason: str) -> None:
    """A bad case row raises RowError naming the column and the value found."""
    with pytest.raises(RowError) as caught:
        parse_case({**CASE, **row})
    assert reason in str(caught.value)


def test_natural_keys() -> None:
    """Records are keyed by (measure, area, period), (risk, period), (child, plan, start)."""
    assert natural_key(parse_observation({**OBS, "period": "2021-09"})) == (
        "cp-visits", "Stroud", date(2021, 9, 30))
    assert natural_key(parse_observation({**OBS, "period": "Sep-21"})) == natural_key(
        parse_observation({**OBS, "period": "September 2021"}))
    assert natural_key(parse_risk(RISK)) == ("SR7.5", date(2021, 9, 30))
    assert natural_key(parse_case(CASE)) == ("C1", "CP", date(2019, 8, 1))
