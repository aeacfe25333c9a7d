"""Helpers shared by the HTTP channels (Teams, webhook): one POST, one verdict, no secrets.

Webhook URLs carry their credential in the path or the query string, so anything that
may reach a log or a `detail` goes through `redact_url` / `scrub` first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlsplit

import requests
from pydantic import ValidationError

from notifiers.base import DeliveryResult

BODY_EXCERPT = 200  # characters of a response body worth showing in a detail


def redact_url(url: str) -> str:
    """`scheme://host[:port]/first-segment/…`: enough to recognise a webhook, not to use it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    segments = [s for s in parts.path.split("/") if s]
    path = f"/{segments[0]}" if segments else ""
    if len(segments) > 1 or parts.query:
        path += "/…"
    return f"{parts.scheme}://{host}{path}"


def scrub(text: str, url: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the URL's path and query, and each of `secrets`, replaced by redactions."""
    parts = urlsplit(url)
    hidden = [url]
    if parts.query:
        hidden += [f"{parts.path}?{parts.query}", parts.query]
        # a body may quote one parameter (sig=...); short ones (api-version=1) are no secret
        hidden += [value for _, value in parse_qsl(parts.query) if len(value) >= 8]
    if len([s for s in parts.path.split("/") if s]) > 1:  # more than redact_url shows
        hidden.append(parts.path)
    mark = "\x00"  # so a replacement is never itself rewritten by a later one
    for secret in hidden:
        if secret:
            text = text.replace(secret, mark)
    text = text.replace(mark, redact_url(url))
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def validation_detail(exc: ValidationError) -> str:
    """A ValidationError summarised without echoing the input (which may hold a secret)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'target'}: {error['msg']}"
        for error in exc.errors(include_input=False, include_url=False)
    )


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds to wait: given in seconds or as an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def classify_response(response: requests.Response,
                      now: datetime | None = None) -> DeliveryResult:
    """2xx accepted; 408, 429 and 5xx worth retrying; anything else (3xx, other 4xx) final."""
    status = response.status_code
    if 200 <= status < 300:
        return DeliveryResult.accepted(f"HTTP {status}")
    excerpt = " ".join(response.text[:BODY_EXCERPT].split())
    detail = f"HTTP {status}: {excerpt}" if excerpt else f"HTTP {status}"
    if status in (408, 429) or status >= 500:
        return DeliveryResult.retry(
            detail, retry_after_seconds(response.headers.get("Retry-After"), now))
    return DeliveryResult.permanent(detail)


def post_json(session: requests.Session, url: str, body: bytes, headers: Mapping[str, str],
              timeout: float, *, secrets: Iterable[str] = (),
              judge: Callable[[requests.Response], DeliveryResult] = classify_response,
              ) -> DeliveryResult:
    """POST `body` once and say what came of it; details never show the URL or `secrets`.

    Redirects are not followed: requests would turn the POST into a GET and lose the body.
    """
    secrets = tuple(secrets)
    where = redact_url(url)
    try:
        response = session.post(url, data=body, headers=dict(headers), timeout=timeout,
                                allow_redirects=False)
    except (requests.ConnectionError, requests.Timeout) as exc:
        # ConnectTimeout is both; either way the far end may come back.
        cause = scrub(_root_cause(exc), url, secrets)[:BODY_EXCERPT]
        return DeliveryResult.retry(f"{type(exc).__name__} posting to {where}: {cause}")
    except requests.RequestException as exc:
        # Invalid URL or header: its message can quote a header value, so name only the kind.
        return DeliveryResult.permanent(f"{type(exc).__name__}: request to {where} not sent")
    with response:
        result = judge(response)
    detail = scrub(result.detail, url, secrets)
    return DeliveryResult(result.ok, result.retryable, f"{detail} from {where}",
                          result.retry_after)


def _root_cause(exc: requests.RequestException) -> str:
    """urllib3's innermost reason without its "HTTPConnectionPool(host=..., port=...): " prefix.

    e.g. "Failed to establish a new connection: [Errno 111] Connection refused"."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return str(reason or exc).split("): ", 1)[-1]


class RateLimiter:
    """At most `per_second` requests per key (webhook URL), spaced evenly rather than burst."""

    def __init__(self, per_second: float, clock: Callable[[], float],
                 sleep: Callable[[float], None]) -> None:
        self.interval = 1.0 / per_second
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}

    def wait(self, key: str) -> None:
        """Sleep until a request for `key` is allowed, and book the slot after it."""
        now = self.clock()
        due = self._next.get(key, now)
        if due > now:
            self.sleep(due - now)
        self._next[key] = max(now, due) + self.interval
