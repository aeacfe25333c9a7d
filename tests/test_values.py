"""Cell values: numbers as councils write them, every missing-value marker, dates."""

from datetime import date, datetime

import pytest

from alerting.model.values import (
    ValueParseError,
    is_missing,
    parse_date,
    parse_int,
    parse_number,
    strip_html,
)


@pytest.mark.parametrize("marker", ["", " ", "?", "n/a", "N/A", "Not published", "not published",
                                    "IN DEVELOPMENT", "<p>IN DEVELOPMENT</p>", "..", "-", "x",
                                    "c", None, float("nan")])
def test_missing_value_markers_mean_no_value(marker):
    """Every marker in DOMAIN.md (and GSS symbols) reads as no value, not an error."""
    assert is_missing(marker)
    assert parse_number(marker) is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("69.5", 69.5), ("69.5%", 69.5), (" 12 ", 12.0), ("1,234", 1234.0), ("£1,200", 1200.0),
    ("-3.5", -3.5), (7, 7.0), (0.25, 0.25), (".5", 0.5),
])
def test_numbers_parse_without_rescaling_percentages(raw, expected):
    """Percent signs and thousands separators are dropped; 69.5% stays 69.5."""
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "12..5", "1 2", "85% (Mar)", True])
def test_non_numbers_are_refused(raw):
    """Text that is neither a number nor a marker is an error naming the field."""
    with pytest.raises(ValueParseError, match="target"):
        parse_number(raw, "target")


def test_whole_numbers_only_where_required():
    """previous_plans must be whole."""
    assert parse_int("3", "previous_plans") == 3
    with pytest.raises(ValueParseError, match="whole number"):
        parse_int("2.5", "previous_plans")


@pytest.mark.parametrize(("raw", "expected"), [
    ("2019-08-31", date(2019, 8, 31)), ("31/08/2019", date(2019, 8, 31)),
    ("31-08-2019", date(2019, 8, 31)), ("31 Aug 2019", date(2019, 8, 31)),
    (datetime(2019, 8, 31, 0, 0), date(2019, 8, 31)), ("2019-08-31 00:00:00", date(2019, 8, 31)),
    ("", None), (None, None),
])
def test_dates_in_iso_uk_and_spreadsheet_forms(raw, expected):
    """ISO, UK dd/mm/yyyy and spreadsheet date cells are all understood."""
    assert parse_date(raw, "start_date") == expected


def test_ambiguous_or_bad_dates_are_refused():
    """A US-style or impossible date is an error, not a silent misreading."""
    with pytest.raises(ValueParseError, match="start_date"):
        parse_date("08/31/2019", "start_date")


@pytest.mark.parametrize(("raw", "expected"), [
    ("<p>IN DEVELOPMENT</p>", "IN DEVELOPMENT"), ("<b>22.1%</b> (Mar 23)", "22.1% (Mar 23)"),
    ("<p>12</p><p>13</p>", "12 13"), ("n/a&nbsp;", "n/a"), ("Q&amp;A <!-- note -->", "Q&A"),
    ("<5", "<5"), (" 12 ", "12"),
])
def test_strip_html_reads_a_cell_as_a_browser_shows_it(raw, expected):
    """Tags and comments go (each still a word break), entities decode, whitespace trims."""
    assert strip_html(raw) == expected
