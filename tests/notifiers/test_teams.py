"""The Teams channel against a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from notifiers import ADAPTIVE_CARD, MESSAGE_CARD, DeliveryResult, Notice
from notifiers.teams import TeamsNotifier, TeamsOptions

from .helpers import CARD, LEGACY_CARD, FakeTime, HttpFault, make_notice

PATH = "/workflows/7c1d/triggers/manual/paths/invoke"
SECRET = "SECRET123"


def hook(httpserver: HTTPServer, path: str = PATH) -> str:
    return httpserver.url_for(path) + f"?api-version=1&sig={SECRET}"


def teams_notice(url: str, **fields: Any) -> Notice:
    target = {"url": url, **fields.pop("target", {})}
    return make_notice(channel="teams", target=target, **fields)


def send(notice: Notice, **options: Any) -> DeliveryResult:
    with TeamsNotifier(TeamsOptions(**options)) as channel:
        return channel.send(notice)


def expect(httpserver: HTTPServer, path: str = PATH) -> Any:
    return httpserver.expect_request(path, method="POST",
                                     query_string={"api-version": "1", "sig": SECRET})


@pytest.mark.parametrize("status", [200, 202])
def test_posts_the_adaptive_card_envelope(httpserver: HTTPServer, status: int) -> None:
    """The card goes inside the exact Workflows message envelope; 200 and 202 both count."""
    expect(httpserver).respond_with_data("", status=status)
    notice = teams_notice(hook(httpserver))
    result = send(notice)
    assert result.ok, result.detail
    (request, _), = httpserver.log
    assert json.loads(request.get_data()) == {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                         "contentUrl": None, "content": CARD}],
    }
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == notice.id


def test_faults_are_classified_without_showing_the_signature(
        httpserver: HTTPServer, http_fault: HttpFault) -> None:
    """Each HTTP failure is retried or given up as the shared table says; no secret leaks."""
    expect(httpserver).respond_with_data(
        f"{http_fault.body} sig={SECRET}", status=http_fault.status, headers=http_fault.headers)
    result = send(teams_notice(hook(httpserver)))
    assert not result.ok
    assert result.retryable is http_fault.retryable
    assert result.retry_after == http_fault.retry_after
    assert str(http_fault.status) in result.detail
    assert SECRET not in result.detail
    assert len(httpserver.log) == 1


def test_timeout_is_retried(httpserver: HTTPServer) -> None:
    """A webhook slower than the timeout is worth retrying."""
    release, finished = threading.Event(), threading.Event()

    def slow(request: Request) -> Response:
        release.wait(5)  # longer than the client's timeout
        finished.set()
        return Response("", status=202)

    expect(httpserver).respond_with_handler(slow)
    result = send(teams_notice(hook(httpserver)), timeout=0.3)
    release.set()
    finished.wait(5)  # so the late reply cannot land in the next test's log
    assert not result.ok
    assert result.retryable
    assert SECRET not in result.detail


def test_refused_connection_is_retried(closed_port: int) -> None:
    """Nothing listening: worth retrying, and the signature stays out of the detail."""
    result = send(teams_notice(f"http://127.0.0.1:{closed_port}{PATH}?sig={SECRET}"))
    assert not result.ok
    assert result.retryable
    assert SECRET not in result.detail
    assert "/workflows/" in result.detail


@pytest.mark.parametrize(("body", "ok", "retryable"), [
    ("1", True, False),
    ("Webhook message delivery failed with error: Microsoft Teams endpoint returned "
     "HTTP error 429", False, True),
    ("Bad payload", False, False),
])
def test_legacy_message_card_reads_the_body(
        httpserver: HTTPServer, body: str, ok: bool, retryable: bool) -> None:
    """The legacy connector's 200 means success only with body "1"; throttling is retried."""
    expect(httpserver).respond_with_data(body, status=200)
    result = send(teams_notice(hook(httpserver), target={"format": "messagecard"}))
    assert result.ok is ok
    assert result.retryable is retryable
    (request, _), = httpserver.log
    assert json.loads(request.get_data()) == LEGACY_CARD


def test_legacy_message_card_other_statuses_by_http_rules(httpserver: HTTPServer) -> None:
    """A non-200 from the legacy connector is judged like any HTTP failure."""
    expect(httpserver).respond_with_data("busy", status=503)
    result = send(teams_notice(hook(httpserver), target={"format": "messagecard"}))
    assert (result.ok, result.retryable) == (False, True)


def test_oversize_card_is_refused_before_posting(httpserver: HTTPServer) -> None:
    """A card over the size limit fails for good and nothing is posted."""
    big = {**CARD, "body": [{"type": "TextBlock", "text": "x" * 30_000}]}
    result = send(teams_notice(hook(httpserver), card=big))
    assert not result.ok
    assert not result.retryable
    assert "28000" in result.detail
    assert httpserver.log == []


def test_missing_card_is_permanent(httpserver: HTTPServer) -> None:
    """A notice rendered without the card this target needs fails for good."""
    result = send(teams_notice(hook(httpserver), card=None))
    assert (result.ok, result.retryable) == (False, False)
    assert httpserver.log == []


def test_rate_limit_spaces_requests_per_url(httpserver: HTTPServer,
                                            fake_time: FakeTime) -> None:
    """10 posts to one URL at 4/s wait 9 x 0.25 s in all; another URL does not wait for it."""
    httpserver.expect_request("/a").respond_with_data("", status=202)
    httpserver.expect_request("/b").respond_with_data("", status=202)
    with TeamsNotifier(clock=fake_time.clock, sleep=fake_time.sleep) as channel:
        for _ in range(10):
            assert channel.send(teams_notice(httpserver.url_for("/a"))).ok
        assert sum(fake_time.sleeps) == pytest.approx(2.25)
        slept = len(fake_time.sleeps)
        assert channel.send(teams_notice(httpserver.url_for("/b"))).ok
        assert len(fake_time.sleeps) == slept


def test_rate_limit_does_not_wait_when_requests_are_already_spaced(
        httpserver: HTTPServer, fake_time: FakeTime) -> None:
    """Posts already further apart than the limit never sleep."""
    httpserver.expect_request("/a").respond_with_data("", status=202)
    with TeamsNotifier(clock=fake_time.clock, sleep=fake_time.sleep) as channel:
        for _ in range(3):
            assert channel.send(teams_notice(httpserver.url_for("/a"))).ok
            fake_time.now += 1.0
    assert fake_time.sleeps == []


def test_formats_and_size_follow_the_target() -> None:
    """The rendering stage is asked for the card kind the target uses, within 28,000 bytes."""
    assert TeamsNotifier.formats({"url": "https://x"}) == {ADAPTIVE_CARD}
    assert TeamsNotifier.formats({"url": "https://x", "format": "messagecard"}) == {MESSAGE_CARD}
    assert TeamsNotifier.max_bytes({"url": "https://x"}) == 28_000


def test_invalid_target_does_not_echo_the_url() -> None:
    """A bad target fails for good, and the error does not repeat the URL it was given."""
    result = send(make_notice(target={"url": f"ftp://host/x?sig={SECRET}", "format": "x"}))
    assert (result.ok, result.retryable) == (False, False)
    assert SECRET not in result.detail
    assert "format" in result.detail
