"""Microsoft Teams: an Adaptive Card to a Workflows webhook, or a legacy MessageCard.

The legacy Office 365 connector answers HTTP 200 even when it fails and says so in the
body, so success there means a body of exactly "1".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

import requests
from pydantic import Field, ValidationError, field_validator

from notifiers.base import (
    ChannelOptions,
    DeliveryResult,
    Document,
    Notice,
    Notifier,
    declare,
)
from notifiers.http import RateLimiter, classify_response, post_json, validation_detail

MAX_BYTES = 28_000  # Teams refuses messages over about 28 KB


class TeamsOptions(ChannelOptions):
    timeout: float = Field(20.0, gt=0)
    requests_per_second: float = Field(4.0, gt=0)  # per webhook URL
    max_bytes: int = Field(MAX_BYTES, gt=0)


class TeamsTarget(ChannelOptions):
    example: ClassVar[Mapping[str, Any]] = {"url": "https://council.webhook.office.com/x"}

    url: str  # the webhook URL is itself the credential: never log it whole
    format: Literal["adaptive", "messagecard"] = "adaptive"

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return url


def adaptive_envelope(card: Mapping[str, Any]) -> dict[str, Any]:
    """The message a Workflows webhook expects around an Adaptive Card."""
    return {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive",
        "contentUrl": None,
        "content": card,
    }]}


# The Adaptive Card 1.4 content object (posted inside `adaptive_envelope`), and the legacy
# Office 365 connector card (posted as it is). Both are cut to fit Teams' size limit.
ADAPTIVE_CARD = declare(Document(
    "adaptive_card", channel="teams", title="the Adaptive Card JSON",
    template="teams", default_template="teams.json.j2", alert_template="alert.teams.json.j2",
    fit_to_max_bytes=True, envelope=adaptive_envelope,
    preview_target={"url": "https://example.invalid/preview"}))
MESSAGE_CARD = declare(Document(
    "message_card", channel="teams", title="the legacy MessageCard JSON",
    template="messagecard", default_template="messagecard.json.j2", fit_to_max_bytes=True,
    preview_target={"url": "https://example.invalid/preview", "format": "messagecard"}))


def judge_message_card(response: requests.Response) -> DeliveryResult:
    """The connector says "1" on success; on failure it may still answer 200 with a reason."""
    if response.status_code != 200:
        return classify_response(response)
    body = response.text.strip()
    if body == "1":
        return DeliveryResult.accepted("HTTP 200")
    detail = f"HTTP 200 but Teams said: {' '.join(body[:200].split())}"
    if "429" in body or "throttl" in body.lower():
        return DeliveryResult.retry(detail)
    return DeliveryResult.permanent(detail)


class TeamsNotifier(Notifier):
    """Posts each notice to its receiver's Teams channel webhook, politely spaced."""

    channel = "teams"
    Options = TeamsOptions
    Target = TeamsTarget

    def __init__(self, options: ChannelOptions | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.session = requests.Session()
        self.limiter = RateLimiter(self.settings.requests_per_second, self.clock, self.sleep)

    @property
    def settings(self) -> TeamsOptions:
        assert isinstance(self.options, TeamsOptions)
        return self.options

    @classmethod
    def formats(cls, target: Mapping[str, Any]) -> frozenset[str]:
        if target.get("format") == "messagecard":
            return frozenset({MESSAGE_CARD})
        return frozenset({ADAPTIVE_CARD})

    @classmethod
    def max_bytes(cls, target: Mapping[str, Any],
                  options: ChannelOptions | None = None) -> int | None:
        return options.max_bytes if isinstance(options, TeamsOptions) else MAX_BYTES

    def send(self, notice: Notice) -> DeliveryResult:
        try:
            target = TeamsTarget.model_validate(notice.target)
        except ValidationError as exc:
            return DeliveryResult.permanent(f"invalid teams target: {validation_detail(exc)}")
        judge: Callable[[requests.Response], DeliveryResult]
        if target.format == "adaptive":
            card = notice.documents.get(ADAPTIVE_CARD)
            if card is None:
                return DeliveryResult.permanent("notice has no adaptive card to post")
            # Workflows answers 202 (or 200); any other status by the usual HTTP rules.
            body, judge = adaptive_envelope(card), classify_response
        else:
            message_card = notice.documents.get(MESSAGE_CARD)
            if message_card is None:
                return DeliveryResult.permanent("notice has no message card to post")
            body, judge = dict(message_card), judge_message_card
        try:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            return DeliveryResult.permanent(f"card is not JSON: {exc}")
        if len(data) > self.settings.max_bytes:
            return DeliveryResult.permanent(
                f"message is {len(data)} bytes, over the {self.settings.max_bytes}-byte "
                "limit for Teams; shorten it when rendering")
        self.limiter.wait(target.url)
        headers = {"Content-Type": "application/json", "Idempotency-Key": notice.id}
        return post_json(self.session, target.url, data, headers, self.settings.timeout,
                         judge=judge)

    def close(self) -> None:
        self.session.close()
