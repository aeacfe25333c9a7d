"""`comparator`: worse than a named comparator by more than a margin, or newly worse."""

from datetime import date

import pytest
from pydantic import ValidationError

from alerting.model.findings import Status
from alerting.model.periods import parse_period
from alerting.model.records import ObservationRecord
from alerting.rules import RagScheme
from tests.helpers import data, measure, rule, run

AUG = date(2019, 8, 31)


def obs(label, value, target=None, area="Glos", measure_id="m", **comparators):
    return ObservationRecord(measure_id, parse_period(label), area, value, target, comparators)


def found(rule_, records, *, polarity="bigger_is_better", as_of=AUG, include_all=False,
          scheme=RagScheme.TARGET_WITH_TOLERANCE, **fields):
    m = measure("m", polarity=polarity, title="% assessments in 45 days", **fields)
    return run(rule_, data([m], records), as_of, include_all=include_all, scheme=scheme)


def test_the_reports_sentence_within_tolerance_of_target_but_below_good_outstanding():
    """81.1% against target 85% (5% tolerance) and good/outstanding 84.8%: the report's words."""
    findings = found(rule("comparator", comparator="good_outstanding"),
                     [obs("Aug-19", 81.1, 85, good_outstanding=84.8)],
                     tolerance={"relative": "5%"})
    assert [f.status for f in findings] == [Status.BREACH]
    assert findings[0].message == (
        "% assessments in 45 days (Glos): 81.1% in Aug-19, within tolerance of target (85.0%) "
        "but below good/outstanding authorities (84.8%)")
    details = findings[0].details
    assert details["comparator_value"] == 84.8
    assert details["gap"] == pytest.approx(-3.7)
    assert details["target_status"] == "amber"


@pytest.mark.parametrize(("value", "polarity", "fires"), [
    (84.7, "bigger_is_better", True),
    (84.8, "bigger_is_better", False),  # in line is not worse
    (90.0, "bigger_is_better", False),
    (84.9, "smaller_is_better", True),
    (84.8, "smaller_is_better", False),
    (80.0, "smaller_is_better", False),
    (70.0, "plan_is_best", False),  # not compared
    (70.0, "none", False),
])
def test_polarity_decides_which_side_is_worse(value, polarity, fires):
    """Below is worse when bigger is better, above when smaller is better; others not compared."""
    findings = found(rule("comparator", comparator="england"),
                     [obs("Aug-19", value, england=84.8)], polarity=polarity)
    assert bool(findings) is fires


@pytest.mark.parametrize(("value", "margin", "fires"), [
    (82.0, {"absolute": 2}, False),   # 2 points below: exactly at the margin
    (81.9, {"absolute": 2}, True),
    (76.0, {"relative": "10%"}, False),  # 10% of 80 is 8 points
    (71.9, {"relative": "10%"}, True),
])
def test_absolute_and_relative_margins(value, margin, fires):
    """A margin in the measure's unit, or as a share of the comparator's figure."""
    comparator = 84.0 if "absolute" in margin else 80.0
    findings = found(rule("comparator", comparator="stat_neighbours", margin=margin),
                     [obs("Aug-19", value, stat_neighbours=comparator)])
    assert bool(findings) is fires


def test_statistical_neighbours_column_spelled_out_is_the_same_comparator():
    """Data with a `statistical_neighbours` column serves a rule on `stat_neighbours`."""
    findings = found(rule("comparator", comparator="stat_neighbours"),
                     [obs("Aug-19", 70.0, statistical_neighbours=80.0)])
    assert findings[0].message.endswith("below statistical neighbours (80.0%)")


def test_became_worse_fires_only_on_the_move_from_better_to_worse():
    """`when: became_worse`: last period on or better than the comparator, this one worse."""
    r = rule("comparator", comparator="england", when="became_worse")
    moved = [obs("Jul-19", 83.0, england=82.0), obs("Aug-19", 80.0, england=82.5)]
    stayed = [obs("Jul-19", 81.0, england=82.0, area="Stroud"),
              obs("Aug-19", 80.0, england=82.5, area="Stroud")]
    level = [obs("Jul-19", 82.0, england=82.0, area="Cotswolds"),
             obs("Aug-19", 80.0, england=82.5, area="Cotswolds")]
    gap = [obs("Jun-19", 83.0, england=82.0, area="Tewkesbury"),
           obs("Aug-19", 80.0, england=82.5, area="Tewkesbury")]
    findings = found(r, moved + stayed + level + gap)
    assert sorted(f.area for f in findings) == ["Cotswolds", "Glos"]
    glos = next(f for f in findings if f.area == "Glos")
    assert glos.message == ("% assessments in 45 days (Glos): 80.0% in Aug-19, below England "
                            "(82.5%), having been better than England in Jul-19")
    assert glos.details["previous"]["gap"] == pytest.approx(1.0)


def test_worse_than_target_too_reads_and():
    """Worse than target and the comparator: 'worse than target (85.0%) and below England'."""
    findings = found(rule("comparator", comparator="england"),
                     [obs("Aug-19", 53.3, 70, england=81.8)])
    assert "worse than target (70.0%) and below England (81.8%)" in findings[0].message


def test_no_comparator_figure_finds_nothing_and_include_all_rates_the_rest():
    """A row without the comparator is skipped; --all reports the others as ok."""
    r = rule("comparator", comparator="region")
    records = [obs("Aug-19", 90.0, region=80.0), obs("Aug-19", 50.0, area="Stroud")]
    assert found(r, records) == []
    everything = found(r, records, include_all=True)
    assert [(f.area, f.status, f.exception) for f in everything] == [
        ("Glos", Status.OK, False)]


def test_only_the_latest_period_up_to_as_of_counts():
    """An earlier breach, or a later one after as_of, is not seen."""
    r = rule("comparator", comparator="england")
    records = [obs("Jul-19", 70.0, england=80.0), obs("Aug-19", 85.0, england=80.0),
               obs("Sep-19", 60.0, england=80.0)]
    assert found(r, records) == []


def test_a_comparator_that_is_not_a_column_is_refused():
    """A typo in the comparator's name is a validation error, not a rule that never fires."""
    with pytest.raises(ValidationError, match="must be a comparator column"):
        rule("comparator", comparator="engand")
    assert rule("comparator", comparator="comparator_south_west").comparator == \
        "comparator_south_west"
