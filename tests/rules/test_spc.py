"""`spc`: XmR mean and limits, the four special-cause signals, improvement or concern by
polarity, the assurance icon, rebasing and the baseline; pinned to NHSRplotthedots' figures."""

from datetime import date

import numpy as np
import pytest
from pydantic import ValidationError

from alerting.model.findings import Status
from alerting.model.periods import parse_period
from alerting.model.records import ObservationRecord
from alerting.rules.spc import xmr_chart
from tests.helpers import data, measure, rule, run

# rnorm(20) after set.seed(123) in R, as NHSRplotthedots' test-ptd_spc_standard.R uses it.
RNORM_123 = [-0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499,
             0.46091621, -1.26506123, -0.68685285, -0.44566197, 1.22408180, 0.35981383,
             0.40077145, 0.11068272, -0.55584113, 1.78691314, 0.49785048, -1.96661716,
             0.70135590, -0.47279141]
# A steady baseline: mean 51, every moving range 2, so the limits are 51 ± 5.32 and the
# two-sigma lines 51 ± 3.5467.
BASELINE = [50.0, 52.0] * 10


def month(index: int) -> str:
    return f"{2018 + index // 12}-{index % 12 + 1:02d}"


def as_of_for(count: int) -> date:
    return parse_period(month(count - 1)).end


def records(values, *, area="Glos", target=None, start=0):
    return [ObservationRecord("m", parse_period(month(start + i)), area, v, target)
            for i, v in enumerate(values)]


def spc(values, *, polarity="bigger_is_better", target=None, include_all=False, **options):
    m = measure("m", polarity=polarity, unit="number")
    found = run(rule("spc", **options), data([m], records(values, target=target)),
                as_of_for(len(values)), include_all=include_all)
    assert len(found) <= 1
    return found[0] if found else None


def test_mean_and_limits_match_nhsrplotthedots_worked_example():
    """NHSRplotthedots tests/testthat/test-ptd_spc_standard.R with its snapshot
    (_snaps/ptd_spc_standard.md): for rnorm(20) under set.seed(123) the mean is 0.1416238,
    the lower process limit -3.01138 and the upper 3.294627; with y[15] set to 10 the mean is
    0.6694159 and the limits -2.383666 and 3.722497 with moving-range screening, -4.596625 and
    5.935457 without."""
    finding = spc(RNORM_123, polarity="none", include_all=True, baseline=None)
    assert finding.details["mean"] == pytest.approx(0.1416238, abs=5e-8)
    assert finding.details["lower_limit"] == pytest.approx(-3.01138, abs=5e-6)
    assert finding.details["upper_limit"] == pytest.approx(3.294627, abs=5e-7)
    assert finding.details["variation"] == "common_cause"
    assert finding.exception is False

    spiked = list(RNORM_123)
    spiked[14] = 10.0
    screened = spc(spiked, polarity="none", include_all=True, baseline=None)
    assert screened.details["mean"] == pytest.approx(0.6694159, abs=5e-8)
    assert screened.details["lower_limit"] == pytest.approx(-2.383666, abs=5e-7)
    assert screened.details["upper_limit"] == pytest.approx(3.722497, abs=5e-7)
    assert screened.details["screened_moving_ranges"] == 2
    plain = spc(spiked, polarity="none", include_all=True, baseline=None, screen_outliers=False)
    assert plain.details["lower_limit"] == pytest.approx(-4.596625, abs=5e-7)
    assert plain.details["upper_limit"] == pytest.approx(5.935457, abs=5e-7)


def test_two_points_near_opposite_limits_are_not_two_of_three():
    """NHSRplotthedots test-ptd_spc_standard.R: 1, -1 alternating 16 times with points 15 and
    16 set to 5.5 and -5.5 are both common cause (they are on opposite sides of the mean)."""
    values = [1.0, -1.0] * 8
    values[14], values[15] = 5.5, -5.5
    chart = xmr_chart(np.array(values), np.zeros(16, dtype=bool), baseline=None,
                      screen_outliers=True, run_length=7, trend_length=7)
    assert not any(up.any() or down.any() for up, down in chart.signals.values())


def test_limits_from_the_baseline_and_the_two_sigma_lines():
    """Mean of the baseline, limits mean ± 2.66 mR̄, two-sigma lines mean ± 1.7733 mR̄."""
    finding = spc(BASELINE, include_all=True)
    details = finding.details
    assert (details["mean"], details["average_moving_range"]) == (51.0, 2.0)
    assert details["upper_limit"] == pytest.approx(56.32)
    assert details["lower_limit"] == pytest.approx(45.68)
    assert details["upper_two_sigma"] == pytest.approx(51 + 2 * 2.66 / 3 * 2)
    assert (details["baseline_points"], details["points"]) == (20, 20)
    assert finding.status is Status.OK


def test_a_point_beyond_a_limit_is_a_concern_or_an_improvement_by_polarity():
    """57 is above the upper limit 56.32: improvement when bigger is better, else concern."""
    assert spc([*BASELINE, 57.0]) is None
    concern = spc([*BASELINE, 57.0], polarity="smaller_is_better")
    assert concern.status is Status.BREACH
    assert concern.details["variation"] == "special_cause_concern"
    assert concern.details["signals"] == [
        {"signal": "outside_limits", "side": "above", "judgement": "concern"}]
    assert concern.message == (
        "M (Glos): 57 in Sep-19, special cause concern (above the upper process limit); "
        "mean 51, process limits 45.68 to 56.32")
    improvement = spc([*BASELINE, 57.0], fire_on=["improvement"])
    assert improvement.details["variation"] == "special_cause_improvement"
    assert spc([*BASELINE, 45.0]).details["signals"][0]["side"] == "below"


def test_a_run_of_seven_on_one_side_of_the_mean():
    """Seven points below the mean is a concern when bigger is better; six is not; a point
    exactly on the mean breaks the run."""
    found = spc([*BASELINE, *[50.5] * 7])
    assert found.details["signals"] == [{"signal": "run", "side": "below",
                                         "judgement": "concern"}]
    assert "7 points in a row below the mean" in found.message
    assert spc([*BASELINE, *[50.5] * 6]) is None
    assert spc([*BASELINE, *[50.5] * 3, 51.0, *[50.5] * 3]) is None
    assert spc([*BASELINE, *[50.5] * 7], run_length=8) is None
    assert spc([*BASELINE, *[50.5] * 7], signals=["trend"]) is None


def test_a_trend_of_seven_and_a_tie_breaks_it():
    """Seven points each lower than the last is a falling trend; an unchanged value breaks."""
    falling = [53.0, 52.5, 52.0, 51.5, 51.2, 50.5, 50.0]
    found = spc([*BASELINE, *falling])
    assert [s["signal"] for s in found.details["signals"]] == ["trend"]
    assert found.details["signals"][0]["side"] == "falling"
    assert "7 points each lower than the last" in found.message
    assert spc([*BASELINE, 53.0, 52.5, 52.0, 52.0, 51.5, 51.2, 50.5]) is None
    rising = spc([*BASELINE, *reversed(falling)], polarity="smaller_is_better")
    assert rising.details["signals"][0] == {"signal": "trend", "side": "rising",
                                            "judgement": "concern"}
    assert spc([*BASELINE, *falling], trend_length=8) is None


def test_two_of_three_beyond_the_two_sigma_line_on_one_side():
    """55, 53, 55: all above the mean, two beyond 54.55 (inside the limit 56.32)."""
    found = spc([*BASELINE, 55.0, 53.0, 55.0], polarity="smaller_is_better")
    assert found.details["signals"] == [{"signal": "two_of_three", "side": "above",
                                         "judgement": "concern"}]
    # 47 is below the lower two-sigma line: the three are not on one side.
    assert spc([*BASELINE, 55.0, 47.0, 55.0], polarity="smaller_is_better") is None
    history = found.details["history"]
    assert [h["signals"] for h in history[-3:]] == [["two_of_three"], [], ["two_of_three"]]


def test_no_polarity_is_neutral_and_fires_only_when_asked():
    """A volume's special cause is neither improvement nor concern: fire_on: [neutral]."""
    assert spc([*BASELINE, 57.0], polarity="none") is None
    neutral = spc([*BASELINE, 57.0], polarity="none", fire_on="neutral")
    assert neutral.details["variation"] == "special_cause_neutral"
    assert neutral.details["assurance"] is None


@pytest.mark.parametrize(("target", "polarity", "assurance"), [
    (60.0, "bigger_is_better", "consistently_fail"),
    (40.0, "bigger_is_better", "consistently_pass"),
    (51.0, "bigger_is_better", "hit_and_miss"),
    (56.32, "bigger_is_better", "hit_and_miss"),
    (60.0, "smaller_is_better", "consistently_pass"),
    (40.0, "smaller_is_better", "consistently_fail"),
])
def test_assurance_from_the_target_against_the_limits(target, polarity, assurance):
    """Target beyond a limit: consistently met or missed by polarity; inside: hit and miss."""
    found = spc(BASELINE, polarity=polarity, target=target, include_all=True)
    assert found.details["assurance"] == assurance


def test_assurance_fail_fires_on_common_cause_when_the_target_cannot_be_met():
    """`assurance_fail`: a target above the upper limit (bigger is better) fires on its own."""
    assert spc(BASELINE, target=60.0) is None
    found = spc(BASELINE, target=60.0, assurance_fail=True)
    assert found.status is Status.BREACH
    assert found.details["variation"] == "common_cause"
    assert found.message.endswith("target 60 is outside the limits: it will consistently be "
                                  "missed")


def test_rebasing_starts_a_new_chart():
    """From the rebase date the mean and limits come from the new points only."""
    values = [*BASELINE, *[60.0, 62.0] * 6]
    assert spc(values, polarity="smaller_is_better").details["signals"]
    rebased = spc(values, polarity="smaller_is_better", rebase=[month(20)], include_all=True)
    assert rebased.details["mean"] == 61.0
    assert rebased.details["chart_from_label"] == "Sep-19"
    assert rebased.details["variation"] == "common_cause"


def test_too_few_points_since_the_rebase_are_not_judged():
    """Fewer than `min_points` (12) points: no judgement; --all says why."""
    values = [*BASELINE, 70.0, 80.0, 90.0]
    assert spc(values, polarity="smaller_is_better", rebase="2019-09-01") is None
    quiet = spc(values, polarity="smaller_is_better", rebase="2019-09-01", include_all=True)
    assert quiet.details["too_few_points"] is True
    judged = spc(values, polarity="smaller_is_better", rebase="2019-09-01", min_points=3,
                 include_all=True)
    assert (judged.details["points"], judged.details["mean"]) == (3, 80.0)


def test_the_baseline_fixes_the_limits_and_none_uses_every_point():
    """`baseline: 20` ignores later points for the limits; `baseline: null` uses them all."""
    values = [*BASELINE, *[50.5] * 7]
    assert spc(values, include_all=True).details["mean"] == 51.0
    everything = spc(values, include_all=True, baseline=None)
    assert everything.details["mean"] == pytest.approx((51 * 20 + 50.5 * 7) / 27)
    assert spc(values, include_all=True, baseline=10).details["baseline_points"] == 10


def test_series_are_charted_separately_and_blank_latest_values_are_not_judged():
    """Each area is its own chart; a series whose latest period is blank is left alone."""
    m = measure("m", polarity="smaller_is_better", unit="number")
    observations = (records([*BASELINE, 57.0], area="A")
                    + records([*BASELINE, 51.0], area="B")
                    + records([*BASELINE, None], area="C"))
    found = run(rule("spc"), data([m], observations), as_of_for(21))
    assert [f.area for f in found] == ["A"]


def test_options_are_checked():
    """Unknown signals and judgements, and bad rebase dates, are refused."""
    with pytest.raises(ValidationError):
        rule("spc", signals=["shift"])
    with pytest.raises(ValidationError):
        rule("spc", fire_on=["worse"])
    with pytest.raises(ValidationError, match="rebase"):
        rule("spc", rebase=["not a date"])
    assert rule("spc", rebase=["Apr-21", date(2020, 1, 1)]).rebase == (
        date(2020, 1, 1), date(2021, 4, 1))
