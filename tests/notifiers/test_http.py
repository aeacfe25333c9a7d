"""Helpers shared by the HTTP channels: redaction, Retry-After, rate limiting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifiers.http import RateLimiter, redact_url, retry_after_seconds, scrub

from .helpers import FakeTime


@pytest.mark.parametrize(("url", "shown"), [
    ("https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/"
     "invoke?api-version=2016-06-01&sig=SECRET",
     "https://prod-01.westeurope.logic.azure.com:443/workflows/…"),
    ("https://council.webhook.office.com/webhookb2/guid@guid/IncomingWebhook/id/guid",
     "https://council.webhook.office.com/webhookb2/…"),
    ("https://tickets.example/api?key=SECRET", "https://tickets.example/api/…"),
    ("https://tickets.example/api", "https://tickets.example/api"),
    ("http://host", "http://host"),
])
def test_redact_url_keeps_only_host_and_first_segment(url: str, shown: str) -> None:
    """A redacted URL shows scheme, host and first path segment; never the query."""
    assert redact_url(url) == shown


def test_scrub_hides_path_query_and_secrets() -> None:
    """Every form in which a URL's credential can appear in a message is replaced."""
    url = "https://h.example/webhookb2/GUID-SECRET/IncomingWebhook?sig=SIG-SECRET"
    text = (f"error at {url}; url: /webhookb2/GUID-SECRET/IncomingWebhook?sig=SIG-SECRET; "
            "sig=SIG-SECRET; token TOKEN-SECRET")
    cleaned = scrub(text, url, ["TOKEN-SECRET"])
    assert "SECRET" not in cleaned
    assert "https://h.example/webhookb2/…" in cleaned


def test_scrub_leaves_text_alone_when_the_url_has_nothing_to_hide() -> None:
    """A URL whose path is fully shown anyway does not mangle the message."""
    assert scrub("HTTP 404: / not found", "https://h.example/") == "HTTP 404: / not found"


@pytest.mark.parametrize(("value", "seconds"), [
    ("7", 7.0), ("0", 0.0), ("1.5", 1.5), ("-3", 0.0), (None, None), ("soon", None),
    ("Wed, 01 May 2024 12:00:30 GMT", 30.0),
    ("Wed, 01 May 2024 11:00:00 GMT", 0.0),
])
def test_retry_after_in_seconds_or_as_a_date(value: str | None, seconds: float | None) -> None:
    """Retry-After is read as seconds or as an HTTP-date relative to now; past dates are 0."""
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(value, now) == seconds


def test_rate_limiter_keys_are_independent(fake_time: FakeTime) -> None:
    """Two keys each get their own allowance; the same key is spaced 1/N apart."""
    limiter = RateLimiter(2.0, fake_time.clock, fake_time.sleep)
    for key in ["a", "b", "a", "b", "a"]:
        limiter.wait(key)
    assert fake_time.sleeps == [0.5, 0.5]
