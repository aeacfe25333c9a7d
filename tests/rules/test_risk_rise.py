"""`risk_rise`: residual score higher than the previous period, with level and size options."""

from datetime import date

import pytest

from alerting.model.periods import parse_period
from alerting.model.records import RiskRecord
from tests.helpers import data, rule, run

AS_OF = date(2021, 9, 30)


def register(*scores_by_risk):
    records = []
    for risk_id, scores in scores_by_risk:
        for label, score in zip(["Mar-21", "Jun-21", "Sep-21"], scores, strict=False):
            records.append(RiskRecord(risk_id, parse_period(label), score, title=f"{risk_id} title",
                                      owner="Spencer, Chris"))
    return data(risks=records)


def test_rise_from_moderate_8_to_moderate_12_fires_and_others_do_not():
    """SR7.5 rose; a steady and a falling risk stay quiet."""
    d = register(("SR7.2", [8, 8, 8]), ("SR7.5", [8, 8, 12]), ("SR7.7", [16, 12, 12]))
    [finding] = run(rule("risk_rise"), d, AS_OF)
    assert finding.subject == "SR7.5"
    assert finding.message == ("SR7.5 SR7.5 title: residual score rose from Moderate 8 in Jun-21 "
                               "to Moderate 12 in Sep-21 (owner Spencer, Chris)")
    assert finding.details["previous_level"] == "Moderate"


@pytest.mark.parametrize(("scores", "fires"), [([8, 12], False), ([12, 16], True), ([6, 7], True)])
def test_only_on_level_change(scores, fires):
    """Moderate 8 -> 12 is no level change; 12 -> 16 (High) and 6 -> 7 (Moderate) are."""
    d = register(("R1", [0, *scores][-2:] if False else scores))
    assert bool(run(rule("risk_rise", only_on_level_change=True), d, date(2021, 6, 30))) is fires


def test_at_least_n_points():
    """at_least: 4 ignores a rise of 2 and reports a rise of 4."""
    d = register(("R1", [8, 10]), ("R2", [8, 12]))
    assert [f.subject for f in run(rule("risk_rise", at_least=4), d, date(2021, 6, 30))] == ["R2"]


def test_later_periods_are_ignored_for_an_earlier_as_of():
    """At Jun-21 the Sep-21 rise has not happened yet."""
    d = register(("SR7.5", [8, 8, 12]))
    assert run(rule("risk_rise"), d, date(2021, 6, 30)) == []


def test_selection_by_risk_glob():
    """select: risks with globs."""
    d = register(("SR7.5", [8, 12]), ("SR9.1", [8, 12]))
    assert [f.subject for f in run(rule("risk_rise", select={"risks": "SR7.*"}), d,
                                   date(2021, 6, 30))] == ["SR7.5"]
