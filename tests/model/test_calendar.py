"""The working-day calendar: England and Wales bank holidays, closures, and the counting
convention (the start is day 0; the deadline is the n-th working day after it)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from alerting.model.calendar import (
    BankHolidays,
    Closure,
    WorkingCalendar,
    england_and_wales,
    ordinals_to_days,
)

CALENDAR = england_and_wales()
SHUTDOWN = WorkingCalendar(closures=(Closure(date(2024, 12, 24), date(2025, 1, 1),
                                             "Christmas shutdown"),))


@pytest.mark.parametrize(("day", "why"), [
    (date(2024, 3, 29), "Good Friday"),
    (date(2024, 4, 1), "Easter Monday"),
    (date(2020, 12, 25), "Christmas Day"),
    (date(2020, 12, 28), "Boxing Day (observed)"),  # Boxing Day 2020 was a Saturday
    (date(2021, 12, 27), "Christmas Day (observed)"),  # Christmas 2021 was a Saturday
    (date(2021, 12, 28), "Boxing Day (observed)"),
    (date(2022, 1, 3), "New Year's Day (observed)"),
    (date(2022, 6, 2), "Spring Bank Holiday"),  # moved from Mon 30 May for the Jubilee
    (date(2022, 6, 3), "Platinum Jubilee of Elizabeth II"),
    (date(2022, 9, 19), "State Funeral of Queen Elizabeth II"),
    (date(2023, 5, 8), "Coronation of Charles III"),
    (date(2024, 3, 2), "weekend"),
])
def test_days_off_and_why(day, why):
    """Bank holidays, substitute days and the 2022-23 one-off days are not working days."""
    assert not CALENDAR.is_working_day(day)
    assert CALENDAR.day_off_reason(day) == why


@pytest.mark.parametrize("day", [
    date(2024, 2, 29),  # leap day, a Thursday
    date(2022, 5, 30),  # the usual Spring bank holiday Monday, moved to 2 June in 2022
    date(2020, 12, 29), date(2021, 12, 29), date(2024, 3, 28), date(2024, 4, 2),
])
def test_working_days(day):
    """Ordinary weekdays, the 2024 leap day and the 2022 moved bank holiday are working days."""
    assert CALENDAR.is_working_day(day)
    assert CALENDAR.day_off_reason(day) is None


@pytest.mark.parametrize(("start", "n", "deadline"), [
    # A plain fortnight: referral Fri 1 March 2024, 10 working days -> Fri 15 March.
    (date(2024, 3, 1), 10, date(2024, 3, 15)),
    # Weekends: a Saturday or Sunday start is day 0 too; the first working day is Monday.
    (date(2024, 3, 2), 1, date(2024, 3, 4)),
    (date(2024, 3, 3), 1, date(2024, 3, 4)),
    (date(2024, 3, 1), 1, date(2024, 3, 4)),
    (date(2024, 3, 2), 5, date(2024, 3, 8)),
    # Easter 2024: Good Friday 29 March and Easter Monday 1 April are skipped.
    (date(2024, 3, 28), 1, date(2024, 4, 2)),
    (date(2024, 3, 25), 10, date(2024, 4, 10)),
    # Leap year: 29 Feb 2024 is a working day.
    (date(2024, 2, 28), 1, date(2024, 2, 29)),
    (date(2024, 2, 29), 1, date(2024, 3, 1)),
    (date(2024, 2, 26), 5, date(2024, 3, 4)),
    # Christmas 2020: Fri 25 Dec, Boxing Day Sat 26 -> substitute Mon 28 Dec.
    (date(2020, 12, 24), 1, date(2020, 12, 29)),
    # Christmas 2021 on a weekend: substitutes Mon 27 and Tue 28; New Year -> Mon 3 Jan 2022.
    (date(2021, 12, 24), 1, date(2021, 12, 29)),
    (date(2021, 12, 31), 1, date(2022, 1, 4)),
    # Christmas 2022: Boxing Day Mon 26, Christmas substitute Tue 27.
    (date(2022, 12, 23), 1, date(2022, 12, 28)),
    # The 2022 extra holidays: Thu 2 and Fri 3 June (Jubilee), Mon 19 Sept (State Funeral).
    (date(2022, 6, 1), 1, date(2022, 6, 6)),
    (date(2022, 5, 27), 5, date(2022, 6, 7)),  # Mon 30 May counts: the holiday moved
    (date(2022, 9, 16), 1, date(2022, 9, 20)),
    # 2023: May Day Mon 1 May and the Coronation Mon 8 May.
    (date(2023, 4, 28), 5, date(2023, 5, 9)),
    # A deadline that would fall on Christmas Day moves on past both holidays: referral
    # Mon 11 Dec 2023 + 10 working days is Wed 27 Dec 2023, not Mon 25 Dec.
    (date(2023, 12, 11), 10, date(2023, 12, 27)),
    (date(2024, 3, 1), 0, date(2024, 3, 1)),
])
def test_deadline_is_the_nth_working_day_after_the_start(start, n, deadline):
    """add_working_days: exact deadlines across weekends, bank holidays and the leap day."""
    assert CALENDAR.add_working_days(start, n) == deadline
    if n:
        assert CALENDAR.working_days_between(start, deadline) == n
        assert CALENDAR.is_working_day(deadline)


def test_an_event_on_the_deadline_day_is_in_time_and_the_next_day_is_late():
    """Referral Mon 11 Dec 2023, within 10 working days: 27 Dec is day 10, 28 Dec day 11."""
    referral = date(2023, 12, 11)
    deadline = CALENDAR.add_working_days(referral, 10)
    assert CALENDAR.working_days_between(referral, deadline) == 10
    assert CALENDAR.working_days_between(referral, date(2023, 12, 28)) == 11
    # Over the holiday the count stands still: 22 Dec is day 9, and so are 23-26 Dec.
    assert [CALENDAR.working_days_between(referral, referral + timedelta(days=d))
            for d in range(11, 17)] == [9, 9, 9, 9, 9, 10]


@pytest.mark.parametrize(("start", "end", "count"), [
    (date(2024, 3, 1), date(2024, 3, 1), 0),  # the start day is day 0
    (date(2024, 3, 1), date(2024, 3, 4), 1),  # Fri -> Mon
    (date(2024, 3, 1), date(2024, 2, 20), 0),  # an end before the start
    (date(2024, 3, 28), date(2024, 4, 1), 0),  # Thu before Easter -> Easter Monday
    (date(2024, 1, 1), date(2024, 12, 31), 254),  # 2024: 262 weekdays less 8 bank holidays
    (date(2021, 12, 31), date(2022, 12, 31), 250),  # 2022: 260 weekdays less 10
])
def test_working_days_between_counts_after_the_start_up_to_the_end(start, end, count):
    """working_days_between: a whole year, a weekend, Easter, the start day itself."""
    assert CALENDAR.working_days_between(start, end) == count


def test_council_closures_are_days_off_too():
    """A Christmas shutdown 24 Dec 2024 - 1 Jan 2025 on top of the bank holidays."""
    assert SHUTDOWN.add_working_days(date(2024, 12, 23), 1) == date(2025, 1, 2)
    assert CALENDAR.add_working_days(date(2024, 12, 23), 1) == date(2024, 12, 24)
    assert SHUTDOWN.working_days_between(date(2024, 12, 20), date(2025, 1, 3)) == 3
    assert CALENDAR.working_days_between(date(2024, 12, 20), date(2025, 1, 3)) == 7
    assert SHUTDOWN.day_off_reason(date(2024, 12, 27)) == "Christmas shutdown"
    assert SHUTDOWN.day_off_reason(date(2024, 12, 25)) == "Christmas shutdown"
    one_day = WorkingCalendar(closures=(Closure(date(2024, 3, 4), date(2024, 3, 4)),))
    assert one_day.add_working_days(date(2024, 3, 1), 1) == date(2024, 3, 5)
    assert one_day.day_off_reason(date(2024, 3, 4)) == "council closure"


def test_without_bank_holidays_only_weekends_and_closures_are_days_off():
    """bank_holidays: none -> Christmas Day 2020 (a Friday) is a working day."""
    plain = WorkingCalendar(bank_holidays=BankHolidays.NONE)
    assert plain.add_working_days(date(2020, 12, 24), 1) == date(2020, 12, 25)
    assert plain.working_days_between(date(2024, 1, 1), date(2024, 12, 31)) == 261


def test_a_closure_must_not_end_before_it_starts():
    """Closure(first, last) with last < first is refused."""
    with pytest.raises(ValueError, match="before it starts"):
        Closure(date(2024, 12, 24), date(2024, 12, 20))


def test_counting_back_and_the_latest_start():
    """Negative n counts back; latest_start is the last start with n working days by end."""
    assert CALENDAR.add_working_days(date(2024, 4, 2), -1) == date(2024, 3, 28)
    assert CALENDAR.add_working_days(date(2024, 3, 2), -1) == date(2024, 3, 1)
    assert CALENDAR.latest_start(date(2024, 3, 4), 1) == date(2024, 3, 3)  # Mon <- Sun
    assert CALENDAR.latest_start(date(2024, 3, 6), 1) == date(2024, 3, 5)
    # A weekend start is day 0 like any other: Fri 1, Sat 2 and Sun 3 March all have 10
    # working days by Fri 15 March, so the latest such start is Sun 3 March.
    assert CALENDAR.latest_start(date(2024, 3, 15), 10) == date(2024, 3, 3)
    assert CALENDAR.working_days_between(date(2024, 3, 4), date(2024, 3, 15)) == 9
    assert CALENDAR.latest_start(date(2023, 12, 27), 10) == date(2023, 12, 11)


def test_the_calendar_is_frozen_and_compares_by_its_settings():
    """Two calendars with the same settings are equal (and hashable, for caching)."""
    assert WorkingCalendar() == CALENDAR
    assert hash(WorkingCalendar()) == hash(CALENDAR)
    assert SHUTDOWN != CALENDAR
    with pytest.raises(AttributeError):
        CALENDAR.closures = ()  # type: ignore[misc]


# --- the numpy versions give the same answers, day by day ---------------------------------

DAYS = [date(2019, 12, 1) + timedelta(days=i) for i in range(5 * 366)]  # through 2024
COLUMN = np.array(DAYS, dtype="datetime64[D]")


def by_walking(calendar: WorkingCalendar, start: date, n: int) -> date:
    """The deadline found the slow way, one day at a time (independent of numpy)."""
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        counted += calendar.is_working_day(day)
    return day


@pytest.mark.parametrize("calendar", [CALENDAR, SHUTDOWN], ids=["bank-holidays", "shutdown"])
@pytest.mark.parametrize("n", [1, 2, 5, 10, 15, 45])
def test_vectorised_versions_equal_the_scalar_ones(calendar, n):
    """Over every day of 2020-2024: arrays equal the scalar methods, which equal walking."""
    deadlines = calendar.add_working_days_array(COLUMN, n)
    assert deadlines.tolist() == [calendar.add_working_days(d, n) for d in DAYS]
    assert deadlines.tolist() == [by_walking(calendar, d, n) for d in DAYS]
    assert calendar.is_working_day_array(COLUMN).tolist() == [
        calendar.is_working_day(d) for d in DAYS]
    ends = COLUMN + np.timedelta64(n * 2, "D")
    counts = calendar.working_days_between_array(COLUMN, ends)
    assert counts.tolist() == [calendar.working_days_between(d, d + timedelta(days=n * 2))
                               for d in DAYS]
    assert calendar.working_days_between_array(deadlines, COLUMN).tolist() == [0] * len(DAYS)
    one_end = calendar.working_days_between_array(COLUMN, date(2022, 6, 30))
    assert one_end.tolist() == [calendar.working_days_between(d, date(2022, 6, 30))
                                for d in DAYS]


@pytest.mark.parametrize("n", [1, 3, 10, 45])
def test_latest_start_is_the_boundary_of_the_count(n):
    """For every end date: latest_start has n working days by end; the day after has fewer."""
    for end in DAYS[::3]:
        start = SHUTDOWN.latest_start(end, n)
        assert SHUTDOWN.working_days_between(start, end) >= n
        assert SHUTDOWN.working_days_between(start + timedelta(days=1), end) < n


def test_per_row_offsets_and_ordinal_columns():
    """n may differ per row; case-frame ordinals convert to datetime64 days."""
    starts = ordinals_to_days(np.array([date(2024, 3, 1).toordinal(),
                                        date(2023, 12, 11).toordinal()]))
    assert starts.tolist() == [date(2024, 3, 1), date(2023, 12, 11)]
    deadlines = CALENDAR.add_working_days_array(starts, np.array([10, 10]))
    assert deadlines.tolist() == [date(2024, 3, 15), date(2023, 12, 27)]
    mixed = CALENDAR.add_working_days_array(starts, np.array([0, -1]))
    assert mixed.tolist() == [date(2024, 3, 1), date(2023, 12, 8)]


def test_bank_holidays_are_computed_offline(monkeypatch):
    """The holidays package computes the dates itself: no network is touched."""
    import socket

    from alerting.model.calendar import bank_holidays

    def refuse(*_args, **_kwargs):
        raise AssertionError("the calendar tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    bank_holidays.cache_clear()
    try:
        days = bank_holidays(BankHolidays.ENGLAND_AND_WALES)
    finally:
        bank_holidays.cache_clear()
    assert date(2022, 9, 19) in days
    assert all(d.weekday() < 5 for d in days)
