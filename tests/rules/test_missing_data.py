"""`missing_data`: no value for the latest expected period, or data older than frequency allows."""

from datetime import date

from tests.helpers import data, measure, rule, run, series


def test_blank_latest_period_is_reported_with_the_last_value():
    """Sep-21 blank, Jun-21 83.8%: the quarterly measure is missing Sep-21."""
    m = measure("sw", title="% fewer than 3 SWs", frequency="quarterly")
    d = data([m], series("sw", "Glos", [("Jun-21", 83.8), ("Sep-21", None)], 84.4))
    [finding] = run(rule("missing_data"), d, date(2021, 9, 30))
    assert finding.message == ("% fewer than 3 SWs (Glos): no value for Sep-21; the latest value "
                               "is 83.8% for Jun-21")


def test_stale_series_is_reported_once_the_next_period_has_passed():
    """Monthly data last for July is overdue at the end of August, not before."""
    m = measure("m", frequency="monthly")
    d = data([m], series("m", "Glos", [("Jul-19", 80.0)]))
    assert run(rule("missing_data"), d, date(2019, 8, 30)) == []
    [finding] = run(rule("missing_data"), d, date(2019, 8, 31))
    assert "no value for Aug-19" in finding.message


def test_grace_allows_for_reporting_lag():
    """grace: 1m lets August's value arrive until the end of September."""
    m = measure("m", frequency="monthly")
    d = data([m], series("m", "Glos", [("Jul-19", 80.0)]))
    assert run(rule("missing_data", grace="1m"), d, date(2019, 9, 29)) == []
    assert len(run(rule("missing_data", grace="1m"), d, date(2019, 9, 30))) == 1


def test_catalogue_measure_without_any_data_is_reported():
    """A measure in the catalogue with no rows at all: its source has stopped or never came."""
    d = data([measure("m"), measure("other")], series("other", "Glos", [("Aug-19", 1.0)]))
    findings = run(rule("missing_data", select={"measures": "m"}), d, date(2019, 8, 31))
    assert [f.message for f in findings] == ["M: no data loaded for any period up to 2019-08-31"]


def test_up_to_date_series_is_quiet():
    """A value for the current period means nothing is missing."""
    m = measure("m", frequency="monthly")
    d = data([m], series("m", "Glos", [("Aug-19", 80.0)]))
    assert run(rule("missing_data"), d, date(2019, 8, 31)) == []
