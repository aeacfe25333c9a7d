"""Durations like 2y, 18m and 10wd, and calendar arithmetic at month ends and leap days."""

from datetime import date

import pytest

from alerting.model.calendar import england_and_wales
from alerting.model.durations import (
    Duration,
    WorkingDays,
    months_between,
    parse_duration,
    parse_rule_duration,
)


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


@pytest.mark.parametrize(("text", "amount"), [("10wd", 10), ("1wd", 1), (" 45 wd ", 45)])
def test_working_day_durations_are_their_own_type(text, amount):
    """`10wd` is a count of working days, not a span of calendar time."""
    parsed = parse_rule_duration(text)
    assert parsed == WorkingDays(amount)
    assert str(parsed) == f"{amount}wd"
    assert parsed.words == f"{amount} working day{'' if amount == 1 else 's'}"


def test_working_days_are_counted_in_a_calendar():
    """10wd after Fri 1 March 2024 is Fri 15 March; a start on/before 1 March has 10 by then."""
    calendar = england_and_wales()
    ten = WorkingDays(10)
    assert ten.after(date(2024, 3, 1), calendar) == date(2024, 3, 15)
    assert ten.elapsed(date(2024, 3, 1), date(2024, 3, 15), calendar)
    assert not ten.elapsed(date(2024, 3, 4), date(2024, 3, 15), calendar)
    assert ten.before(date(2024, 3, 15), calendar) == date(2024, 3, 3)
    # Over Easter 2024 (Good Friday 29 March, Easter Monday 1 April) it takes 2 days longer.
    assert ten.after(date(2024, 3, 22), calendar) == date(2024, 4, 9)


def test_rule_durations_still_take_calendar_units():
    """parse_rule_duration gives calendar durations for y, m, w and d, as before."""
    assert parse_rule_duration("2y") == Duration(2, "y")
    assert parse_rule_duration("30d").before(date(2019, 8, 31)) == date(2019, 8, 1)


@pytest.mark.parametrize(("bad", "says"), [
    ("0wd", "must be at least 1 working day"),
    ("-3wd", "must be at least 1 working day"),
    ("1.5wd", "whole number of working days"),
    ("10 working days", r"like 2y, 18m or 10wd \(working days\)"),
    ("wd", r"like 2y, 18m or 10wd \(working days\)"),
    (10, r"like 2y, 18m or 10wd \(working days\)"),
])
def test_bad_working_day_durations_say_what_is_wrong(bad, says):
    """0wd, -3wd and 1.5wd are refused with the reason."""
    with pytest.raises(ValueError, match=says):
        parse_rule_duration(bad)


def test_calendar_durations_alone_refuse_working_days():
    """Where only calendar time makes sense (silence --until), `10wd` is refused."""
    with pytest.raises(ValueError, match="must be a duration like 2y or 18m"):
        parse_duration("10wd")
