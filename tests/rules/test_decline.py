"""`decline`: consecutive deterioration at the measure's frequency; gaps and ties break runs."""

import calendar
from datetime import date

import pytest

from alerting.model.findings import Status
from tests.helpers import data, measure, rule, run, series

AUG = date(2019, 8, 31)


def declines(points, *, polarity="bigger_is_better", frequency="monthly", as_of=AUG,
             target=None, **options):
    m = measure("m", polarity=polarity, frequency=frequency)
    return run(rule("decline", **options), data([m], series("m", "Glos", points, target)), as_of)


def test_third_month_of_decline_fires_with_the_report_sentence():
    """84% in May to 73% in August: three declines in a row."""
    [finding] = declines([("May-19", 84), ("Jun-19", 82), ("Jul-19", 75), ("Aug-19", 73)])
    assert finding.status is Status.BREACH
    assert finding.details["periods"] == 3
    assert "declined for the third month running, from 84.0% in May-19 to 73.0% in Aug-19" in (
        finding.message)


def test_two_declines_do_not_fire_without_warn_at():
    """Only two consecutive declines: nothing at the default of three."""
    assert declines([("Jun-19", 84), ("Jul-19", 80), ("Aug-19", 73)]) == []


def test_warn_at_gives_an_earlier_warning():
    """warn_at: 2 warns at the second decline."""
    [finding] = declines([("Jun-19", 84), ("Jul-19", 80), ("Aug-19", 73)], warn_at=2)
    assert finding.status is Status.WARNING


def test_an_unchanged_value_breaks_the_run():
    """84, 80, 80, 75, 73: the tie resets the count, leaving two declines."""
    points = [("Apr-19", 84), ("May-19", 80), ("Jun-19", 80), ("Jul-19", 75), ("Aug-19", 73)]
    assert declines(points) == []


def test_a_gap_in_the_series_breaks_the_run():
    """No July row: May-June-August are not consecutive months."""
    points = [("Apr-19", 90), ("May-19", 84), ("Jun-19", 80), ("Aug-19", 73)]
    assert declines(points) == []


def test_a_missing_value_breaks_the_run():
    """A July row with no value breaks the run like a gap."""
    points = [("Apr-19", 90), ("May-19", 84), ("Jun-19", 80), ("Jul-19", None), ("Aug-19", 73)]
    assert declines(points) == []


def test_quarterly_measures_step_by_quarter():
    """Quarterly data: Dec, Mar, Jun, Sep are consecutive; monthly steps would not be."""
    points = [("Dec-20", 90), ("Mar-21", 85), ("Jun-21", 80), ("Sep-21", 70)]
    [finding] = declines(points, frequency="quarterly", as_of=date(2021, 9, 30))
    assert "third quarter running" in finding.message
    assert declines(points, frequency="monthly", as_of=date(2021, 9, 30)) == []


def test_smaller_is_better_deteriorates_upwards():
    """Second plans 20% -> 35%: increases are the bad direction."""
    points = [("May-19", 20), ("Jun-19", 24), ("Jul-19", 29), ("Aug-19", 35)]
    [finding] = declines(points, polarity="smaller_is_better")
    assert "increased for the third month running, from 20.0% in May-19 to 35.0%" in (
        finding.message)
    assert declines([("May-19", 35), ("Jun-19", 29), ("Jul-19", 24), ("Aug-19", 20)],
                    polarity="smaller_is_better") == []


@pytest.mark.parametrize(("direction", "fires"), [("increase", True), ("decrease", False),
                                                  (None, False)])
def test_no_polarity_measures_use_the_rule_direction(direction, fires):
    """Volumes fire only when the rule says which direction counts."""
    points = [("May-19", 600), ("Jun-19", 650), ("Jul-19", 694), ("Aug-19", 722)]
    assert bool(declines(points, polarity="none", direction=direction)) is fires


def test_plan_is_best_counts_moving_away_from_target():
    """Distance from plan growing three times fires, on either side."""
    points = [("May-19", 26), ("Jun-19", 31), ("Jul-19", 24), ("Aug-19", 33)]  # 2, 3, 4, 5 away
    [finding] = declines(points, polarity="plan_is_best", target=28)
    assert "moved further from plan" in finding.message


def test_longer_runs_report_their_full_length():
    """Five declines report five, from the start of the run."""
    points = [("Mar-19", 95), ("Apr-19", 90), ("May-19", 85), ("Jun-19", 80), ("Jul-19", 75),
              ("Aug-19", 70)]
    [finding] = declines(points)
    assert finding.details["periods"] == 5
    assert "fifth month" in finding.message


def _run_by_hand(points, polarity, target, months, direction):
    """How many bad steps end at the last point, counted one step at a time."""
    run = 0
    for (month, value), (before_month, before) in zip(points[::-1], points[-2::-1],
                                                      strict=False):  # pairs: one fewer
        if month - before_month != months or value is None or before is None:
            break
        if polarity == "plan_is_best":
            worse = abs(value - target) > abs(before - target)
        else:
            bad = {"bigger_is_better": -1, "smaller_is_better": 1,
                   "none": {"decrease": -1, "increase": 1, None: 0}[direction]}[polarity]
            worse = (value - before) * bad > 0
        if not worse:
            break
        run += 1
    return run


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("direction", [None, "increase"])
def test_runs_counted_back_from_the_latest_value_match_a_hand_count(seed, direction):
    """Many series at once (each polarity, monthly and quarterly, gaps, missing values,
    ties, long runs), at several as-of dates: each finding's run is the one counted by hand,
    and every series with a long enough run has a finding."""
    import numpy as np

    rng = np.random.default_rng(seed)
    polarities = ["bigger_is_better", "smaller_is_better", "plan_is_best", "none"]
    measures, records, kept = [], [], {}
    for number in range(12):
        polarity, quarterly = polarities[number % 4], number % 3 == 0
        months = 3 if quarterly else 1
        m = measure(f"m{number}", polarity=polarity,
                    frequency="quarterly" if quarterly else "monthly")
        measures.append(m)
        for area in ("A", "B", "C"):
            month, points = 2019 * 12 + 2, []
            for _ in range(int(rng.integers(1, 30))):
                month += months * (2 if rng.random() < 0.05 else 1)  # now and then a gap
                value = None if rng.random() < 0.05 else float(rng.integers(0, 6))
                if rng.random() < 0.3:  # a long steady run downwards
                    value = 100.0 - len(points)
                points.append((month, value))
            kept[(m.id, area)] = points, polarity, months
            for month, value in points:  # month: year * 12 + month - 1
                year, index = divmod(month, 12)
                label = f"{year}-{index + 1:02d}"  # quarterly: a dated quarter end
                if quarterly:
                    label += f"-{calendar.monthrange(year, index + 1)[1]}"
                records.extend(series(m.id, area, [(label, value)], target=3.0))
    frame_data = data(measures, records)
    decline = rule("decline", periods=3, warn_at=1, direction=direction)
    for year, month in ((2019, 12), (2020, 6), (2021, 3), (2022, 1)):
        as_of = date(year, month, calendar.monthrange(year, month)[1])
        found = {(f.subject, f.area): f.details["periods"]
                 for f in run(decline, frame_data, as_of)}
        expected = {}
        for (measure_id, area), (points, polarity, months) in kept.items():
            seen = [p for p in points if p[0] <= year * 12 + month - 1]
            by_hand = _run_by_hand(seen, polarity, 3.0, months, direction) if seen else 0
            if by_hand >= 1:
                expected[(measure_id, area)] = by_hand
        assert found == expected


def test_warn_at_must_be_fewer_than_periods():
    """A warning threshold at or above the breach one is a rule error."""
    with pytest.raises(ValueError, match="warn_at"):
        rule("decline", periods=3, warn_at=3)
