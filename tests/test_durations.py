"""Durations like 2y and 18m, and calendar arithmetic at month ends and leap days."""

from datetime import date

import pytest

from alerting.model.durations import months_between, parse_duration


@pytest.mark.parametrize(("text", "as_of", "expected"), [
    ("2y", date(2019, 8, 31), date(2017, 8, 31)),
    ("21m", date(2019, 8, 31), date(2017, 11, 30)),
    ("9m", date(2019, 8, 31), date(2018, 11, 30)),
    ("2y", date(2020, 2, 29), date(2018, 2, 28)),
    ("6w", date(2019, 8, 31), date(2019, 7, 20)),
    ("30d", date(2019, 8, 31), date(2019, 8, 1)),
])
def test_duration_before_steps_by_calendar(text, as_of, expected):
    """Years and months step by calendar (clamped at month end); weeks and days by days."""
    assert parse_duration(text).before(as_of) == expected


@pytest.mark.parametrize("bad", ["2 years", "2", "y", "1.5y", "", 2])
def test_bad_durations_say_the_expected_form(bad):
    """The error is the one performance leads see in validate output."""
    with pytest.raises(ValueError, match="must be a duration like 2y or 18m"):
        parse_duration(bad)


def test_months_between_counts_whole_months():
    """Time on plan: a month is complete only once the day of month is reached."""
    assert months_between(date(2017, 8, 31), date(2019, 8, 31)) == 24
    assert months_between(date(2017, 9, 1), date(2019, 8, 31)) == 23
