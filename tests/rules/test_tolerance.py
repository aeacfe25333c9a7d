"""`tolerance`: banding against target under both RAG schemes, with the boundaries."""

from datetime import date

import pytest

from alerting.model.findings import Status
from alerting.rules import RagScheme
from tests.helpers import data, measure, rule, run, series

AS_OF = date(2021, 9, 30)
TWT = RagScheme.TARGET_WITH_TOLERANCE
BAND = RagScheme.TOLERANCE_BAND


def rate_one(value, target, *, polarity="bigger_is_better", tolerance=None, scheme=TWT):
    m = measure("m", polarity=polarity, tolerance=tolerance or {"relative": "5%"})
    d = data([m], series("m", "Glos", [("Sep-21", value)], target=target))
    findings = run(rule("tolerance"), d, AS_OF, scheme=scheme, include_all=True)
    assert len(findings) == 1
    return findings[0]


@pytest.mark.parametrize(("value", "target", "polarity", "expected"), [
    # 5% of 85 is 4.25: 80.75 is exactly at tolerance, so still amber.
    (85.0, 85.0, "bigger_is_better", Status.GREEN),
    (90.0, 85.0, "bigger_is_better", Status.GREEN),
    (80.75, 85.0, "bigger_is_better", Status.AMBER),
    (80.74, 85.0, "bigger_is_better", Status.RED),
    (69.5, 85.0, "bigger_is_better", Status.RED),
    # smaller is better: 5% of 22.5 is 1.125
    (22.5, 22.5, "smaller_is_better", Status.GREEN),
    (23.625, 22.5, "smaller_is_better", Status.AMBER),
    (23.7, 22.5, "smaller_is_better", Status.RED),
    (20.0, 22.5, "smaller_is_better", Status.GREEN),
    # plan is best: 5% of 28 is 1.4, either side counts as worse
    (28.0, 28.0, "plan_is_best", Status.GREEN),
    (29.4, 28.0, "plan_is_best", Status.AMBER),
    (26.6, 28.0, "plan_is_best", Status.AMBER),
    (29.5, 28.0, "plan_is_best", Status.RED),
    (26.5, 28.0, "plan_is_best", Status.RED),
])
def test_target_with_tolerance_scheme(value, target, polarity, expected):
    """Green on or better than target, amber within tolerance, red beyond it."""
    assert rate_one(value, target, polarity=polarity).status is expected


@pytest.mark.parametrize(("value", "target", "polarity", "expected"), [
    (90.0, 85.0, "bigger_is_better", Status.BETTER_THAN_TOLERANCE),
    (89.25, 85.0, "bigger_is_better", Status.WITHIN_TOLERANCE),  # exactly at tolerance above
    (85.0, 85.0, "bigger_is_better", Status.WITHIN_TOLERANCE),
    (80.75, 85.0, "bigger_is_better", Status.WITHIN_TOLERANCE),  # exactly at tolerance below
    (80.0, 85.0, "bigger_is_better", Status.WORSE_THAN_TOLERANCE),
    (20.0, 22.5, "smaller_is_better", Status.BETTER_THAN_TOLERANCE),
    (24.0, 22.5, "smaller_is_better", Status.WORSE_THAN_TOLERANCE),
    (26.0, 28.0, "plan_is_best", Status.WORSE_THAN_TOLERANCE),  # below plan: never 'better'
    (30.0, 28.0, "plan_is_best", Status.WORSE_THAN_TOLERANCE),
    (27.0, 28.0, "plan_is_best", Status.WITHIN_TOLERANCE),
])
def test_tolerance_band_scheme(value, target, polarity, expected):
    """Better than / within / worse than tolerance; plan-is-best is never better."""
    assert rate_one(value, target, polarity=polarity, scheme=BAND).status is expected


def test_absolute_tolerance_in_points():
    """An absolute tolerance of 2 points: 83 vs 85 is amber, 82.9 is red."""
    assert rate_one(83.0, 85.0, tolerance={"absolute": 2}).status is Status.AMBER
    assert rate_one(82.9, 85.0, tolerance={"absolute": 2}).status is Status.RED


@pytest.mark.parametrize(("value", "target", "expected"), [
    (None, 84.4, Status.NO_VALUE),
    (26.6, None, Status.MISSING_TARGET),
    (None, None, Status.NO_INFORMATION),
])
def test_no_value_and_no_target_are_never_breaches(value, target, expected):
    """Missing value or target is reported as such and is not an exception."""
    finding = rate_one(value, target)
    assert finding.status is expected
    assert finding.exception is False


def test_only_worst_band_fires_by_default_and_amber_on_request():
    """Exceptions are red only; include_amber adds amber."""
    m = measure("m", tolerance={"relative": "5%"})
    obs = (series("m", "A", [("Sep-21", 69.5)], 85.0) + series("m", "B", [("Sep-21", 83.0)], 85.0)
           + series("m", "C", [("Sep-21", 90.0)], 85.0))
    d = data([m], obs)
    assert [f.area for f in run(rule("tolerance"), d, AS_OF)] == ["A"]
    amber = run(rule("tolerance", include_amber=True), d, AS_OF)
    assert sorted(f.area for f in amber) == ["A", "B"]


def test_rates_only_the_latest_period_up_to_as_of():
    """The latest period on or before the as-of date is rated; later rows are ignored."""
    m = measure("m", tolerance={"relative": "5%"})
    d = data([m], series("m", "Glos", [("Jun-21", 60.0), ("Sep-21", 90.0)], 85.0))
    assert run(rule("tolerance"), d, date(2021, 9, 30)) == []
    assert [f.period_label for f in run(rule("tolerance"), d, date(2021, 8, 31))] == ["Jun-21"]


def test_catalogue_targets_fill_gaps_in_the_data():
    """A target given per period in the catalogue is used where the row has none."""
    m = measure("m", tolerance={"relative": "5%"}, targets={"Jun-21": 88.0})
    d = data([m], series("m", "Glos", [("Jun-21", 89.0)], None))
    [finding] = run(rule("tolerance"), d, date(2021, 6, 30), include_all=True)
    assert (finding.status, finding.target) == (Status.GREEN, 88.0)


def test_measures_without_polarity_are_not_rated():
    """Volumes have no good direction, so the tolerance rule leaves them alone."""
    m = measure("m", polarity="none")
    d = data([m], series("m", "Glos", [("Sep-21", 700.0)], 500.0))
    assert run(rule("tolerance"), d, AS_OF, include_all=True) == []


def test_message_reads_like_the_report_sentence():
    """The issue's example sentence, word for word."""
    m = measure("iv", title="% Initial visits in time", tolerance={"relative": "5%"})
    d = data([m], series("iv", "Gloucestershire", [("Sep-21", 69.5)], 85.0))
    [finding] = run(rule("tolerance"), d, AS_OF)
    assert finding.message == ("% Initial visits in time (Gloucestershire): 69.5% in Sep-21, "
                               "worse than target 85.0% by more than tolerance — red")
    assert finding.identity == "test-tolerance|iv|Gloucestershire"
    assert finding.labels["area"] == "Gloucestershire"


def test_selection_by_tag_and_area_glob():
    """select: tags and area globs narrow what a rule rates."""
    a = measure("a", tags=["scorecard"], tolerance={"relative": "5%"})
    b = measure("b", tags=["dashboard"], tolerance={"relative": "5%"})
    obs = (series("a", "Cotswolds", [("Sep-21", 1.0)], 85.0)
           + series("a", "Stroud", [("Sep-21", 1.0)], 85.0)
           + series("b", "Cotswolds", [("Sep-21", 1.0)], 85.0))
    chosen = rule("tolerance", select={"tags": "scorecard", "areas": ["cots*"]})
    assert [(f.subject, f.area) for f in run(chosen, data([a, b], obs), AS_OF)] == [
        ("a", "Cotswolds")]
