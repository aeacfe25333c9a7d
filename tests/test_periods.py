"""Period labels: every form in DOMAIN.md, and clear errors for the rest."""

from datetime import date

import pytest

from alerting.model.periods import PeriodError, PeriodKind, parse_period


@pytest.mark.parametrize(
    ("label", "start", "end", "kind", "canonical"),
    [
        ("Sep-21", date(2021, 9, 1), date(2021, 9, 30), PeriodKind.MONTH, "Sep-21"),
        ("Mar-21", date(2021, 3, 1), date(2021, 3, 31), PeriodKind.MONTH, "Mar-21"),
        ("Aug 19", date(2019, 8, 1), date(2019, 8, 31), PeriodKind.MONTH, "Aug-19"),
        ("March 24", date(2024, 3, 1), date(2024, 3, 31), PeriodKind.MONTH, "Mar-24"),
        ("March24", date(2024, 3, 1), date(2024, 3, 31), PeriodKind.MONTH, "Mar-24"),
        ("Feb-24", date(2024, 2, 1), date(2024, 2, 29), PeriodKind.MONTH, "Feb-24"),
        ("Sept 2021", date(2021, 9, 1), date(2021, 9, 30), PeriodKind.MONTH, "Sep-21"),
        ("2016/17", date(2016, 4, 1), date(2017, 3, 31), PeriodKind.FINANCIAL_YEAR, "2016/17"),
        ("1999/00", date(1999, 4, 1), date(2000, 3, 31), PeriodKind.FINANCIAL_YEAR, "1999/00"),
        ("Q3 (2016/17)", date(2016, 10, 1), date(2016, 12, 31), PeriodKind.QUARTER, "Q3 2016/17"),
        ("Q3 2016/17", date(2016, 10, 1), date(2016, 12, 31), PeriodKind.QUARTER, "Q3 2016/17"),
        ("Q1 2021/22", date(2021, 4, 1), date(2021, 6, 30), PeriodKind.QUARTER, "Q1 2021/22"),
        ("Q4 2016/17", date(2017, 1, 1), date(2017, 3, 31), PeriodKind.QUARTER, "Q4 2016/17"),
        ("Academic Year Ending 2019", date(2018, 9, 1), date(2019, 8, 31),
         PeriodKind.ACADEMIC_YEAR, "AY 2018/19"),
        ("2021-09", date(2021, 9, 1), date(2021, 9, 30), PeriodKind.MONTH, "Sep-21"),
        ("2021-09-30", date(2021, 9, 30), date(2021, 9, 30), PeriodKind.DAY, "2021-09-30"),
        ("  sep-21 ", date(2021, 9, 1), date(2021, 9, 30), PeriodKind.MONTH, "Sep-21"),
    ],
)
def test_every_label_form_parses(label, start, end, kind, canonical):
    """Each label form in real scorecards maps to its dates, kind and report label."""
    period = parse_period(label)
    assert (period.start, period.end, period.kind) == (start, end, kind)
    assert period.label == canonical


@pytest.mark.parametrize("label", ["", "Sep", "Smarch-21", "2016/18", "Q5 2016/17",
                                   "2021-13", "2021-02-30", "Academic Year 2019", "21/22/23"])
def test_unknown_labels_are_refused_with_the_accepted_forms(label):
    """A label no form matches raises PeriodError saying what is accepted."""
    with pytest.raises(PeriodError) as error:
        parse_period(label)
    assert "blank" in str(error.value) or "2016/17" in str(error.value) or "real date" in str(
        error.value) or "financial year" in str(error.value)


def test_consecutive_months_differ_by_one_in_month_index():
    """Month indexes make 'consecutive at the measure's frequency' a subtraction."""
    assert parse_period("Jan-20").month_index - parse_period("Dec-19").month_index == 1
    assert parse_period("Sep-21").month_index - parse_period("Jun-21").month_index == 3
