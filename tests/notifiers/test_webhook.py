"""The generic JSON webhook channel against a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from notifiers import JSON, DeliveryResult, Notice
from notifiers.webhook import WebhookNotifier, WebhookOptions

from .helpers import HttpFault, make_notice

TOKEN = "Bearer tok-SECRET-9f8e7d"


def webhook_notice(url: str, **fields: Any) -> Notice:
    target = {"url": url, "headers": {"Authorization": TOKEN}, **fields.pop("target", {})}
    return make_notice(channel="webhook", target=target, **fields)


def send(notice: Notice, **options: Any) -> DeliveryResult:
    with WebhookNotifier(WebhookOptions(**options)) as channel:
        return channel.send(notice)


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_posts_the_payload_with_headers(httpserver: HTTPServer, status: int) -> None:
    """The payload is POSTed as JSON with the target's headers and the Idempotency-Key."""
    httpserver.expect_request("/tickets", method="POST").respond_with_data("", status=status)
    notice = webhook_notice(httpserver.url_for("/tickets"))
    result = send(notice)
    assert result.ok, result.detail
    (request, _), = httpserver.log
    assert json.loads(request.get_data()) == notice.documents[JSON]
    assert request.headers["Authorization"] == TOKEN
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == notice.id


def test_target_cannot_override_the_idempotency_key(httpserver: HTTPServer) -> None:
    """The Idempotency-Key is always the notice id, whatever the target's headers say."""
    httpserver.expect_request("/tickets").respond_with_data("", status=201)
    notice = webhook_notice(httpserver.url_for("/tickets"),
                            target={"headers": {"Idempotency-Key": "fixed"}})
    assert send(notice).ok
    (request, _), = httpserver.log
    assert request.headers["Idempotency-Key"] == notice.id


def test_faults_are_classified_without_showing_header_secrets(
        httpserver: HTTPServer, http_fault: HttpFault) -> None:
    """Each HTTP failure is retried or given up as the shared table says; tokens stay hidden."""
    httpserver.expect_request("/tickets").respond_with_data(
        f"{http_fault.body}; you sent {TOKEN}", status=http_fault.status,
        headers=http_fault.headers)
    result = send(webhook_notice(httpserver.url_for("/tickets")))
    assert not result.ok
    assert result.retryable is http_fault.retryable
    assert result.retry_after == http_fault.retry_after
    assert str(http_fault.status) in result.detail
    assert "SECRET" not in result.detail


def test_timeout_is_retried(httpserver: HTTPServer) -> None:
    """A ticketing system slower than the timeout is worth retrying."""
    release, finished = threading.Event(), threading.Event()

    def slow(request: Request) -> Response:
        release.wait(5)  # longer than the client's timeout
        finished.set()
        return Response("", status=201)

    httpserver.expect_request("/tickets").respond_with_handler(slow)
    result = send(webhook_notice(httpserver.url_for("/tickets")), timeout=0.3)
    release.set()
    finished.wait(5)  # so the late reply cannot land in the next test's log
    assert (result.ok, result.retryable) == (False, True)


def test_refused_connection_is_retried(closed_port: int) -> None:
    """Nothing listening: worth retrying."""
    result = send(webhook_notice(f"http://127.0.0.1:{closed_port}/tickets?key=SECRET"))
    assert (result.ok, result.retryable) == (False, True)
    assert "SECRET" not in result.detail


def test_header_value_that_cannot_be_sent_is_permanent_and_hidden(
        httpserver: HTTPServer) -> None:
    """A header value with a line break is refused before sending, without quoting it."""
    notice = webhook_notice(httpserver.url_for("/tickets"),
                            target={"headers": {"Authorization": "Bearer SECRET\r\nX: y"}})
    result = send(notice)
    assert (result.ok, result.retryable) == (False, False)
    assert "SECRET" not in result.detail
    assert httpserver.log == []


def test_missing_payload_is_permanent(httpserver: HTTPServer) -> None:
    """A notice rendered without a JSON payload fails for good."""
    result = send(webhook_notice(httpserver.url_for("/tickets"), payload=None))
    assert (result.ok, result.retryable) == (False, False)


def test_asks_for_the_json_payload() -> None:
    """The rendering stage is asked for the machine-readable payload."""
    assert WebhookNotifier.formats({"url": "https://x"}) == {JSON}
