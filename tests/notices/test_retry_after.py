"""A Retry-After too long for a timedelta (inf, 1e12 seconds) is capped at give_up_after,
so the attempt is still recorded rather than failing after the send."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer

from alerting.config.settings import DeliverySettings
from alerting.delivery.dispatch import backoff
from tests.notices.scenario import Council
from tests.notices.test_delivery import deliver, teams_council, teams_entry

__all__ = ["teams_council"]  # the fixture, used here too


@pytest.mark.parametrize("retry_after", [float("inf"), 1e12, 1e300, float("nan")])
def test_huge_retry_after_is_capped_at_give_up_after(retry_after: float) -> None:
    policy = DeliverySettings(give_up_after=timedelta(days=2))
    assert backoff(policy, 1, retry_after) == timedelta(days=2)


def test_retry_after_within_give_up_after_is_honoured() -> None:
    policy = DeliverySettings(first_retry=timedelta(seconds=10), max_retry=timedelta(minutes=1),
                              give_up_after=timedelta(days=2))
    assert backoff(policy, 1, 3 * 3600) == timedelta(hours=3)
    assert backoff(policy, 1, 0) == timedelta(seconds=10)


@pytest.mark.parametrize("header", ["inf", "1e12"])
def test_huge_retry_after_from_the_far_end_is_recorded(teams_council: Council,
                                                      httpserver: HTTPServer,
                                                      header: str) -> None:
    """The 429's attempt is recorded (no OverflowError after the send), and the notice is
    not tried again within the pass: its next attempt is give_up_after away."""
    httpserver.expect_request("/workflows/hook").respond_with_data(
        "slow down", status=429, headers={"Retry-After": header})
    report = deliver(teams_council)
    store = teams_council.store
    [attempt] = store.attempts(teams_entry(store))
    assert attempt.outcome in ("retry", "dead")
    assert report.attempts == 2  # the email and this one card
    assert len(httpserver.log) == 1
