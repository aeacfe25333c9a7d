"""Generic JSON webhook for ticketing systems: the notice's payload, POSTed once.

Header values may carry tokens put there from the environment when config was loaded,
so they are kept out of every detail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import requests
from pydantic import Field, ValidationError, field_validator

from notifiers.base import ChannelOptions, DeliveryResult, Document, Notice, Notifier, declare
from notifiers.http import post_json, validation_detail

# Machine-readable alerts for ticketing systems, built by the renderer (no template).
JSON = declare(Document("json", channel="webhook", title="the alerts payload"))


class WebhookOptions(ChannelOptions):
    timeout: float = Field(20.0, gt=0)


class WebhookTarget(ChannelOptions):
    example: ClassVar[Mapping[str, Any]] = {"url": "https://tickets.example/api"}

    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    method: Literal["POST"] = "POST"

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return url


class WebhookNotifier(Notifier):
    """POSTs the notice's JSON payload; the far end can de-duplicate on Idempotency-Key."""

    channel = "webhook"
    Options = WebhookOptions
    Target = WebhookTarget

    def __init__(self, options: ChannelOptions | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.session = requests.Session()

    @property
    def settings(self) -> WebhookOptions:
        assert isinstance(self.options, WebhookOptions)
        return self.options

    @classmethod
    def formats(cls, target: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({JSON})

    def send(self, notice: Notice) -> DeliveryResult:
        try:
            target = WebhookTarget.model_validate(notice.target)
        except ValidationError as exc:
            return DeliveryResult.permanent(f"invalid webhook target: {validation_detail(exc)}")
        payload = notice.documents.get(JSON)
        if payload is None:
            return DeliveryResult.permanent("notice has no JSON payload to post")
        try:
            data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            return DeliveryResult.permanent(f"payload is not JSON: {exc}")
        headers = {"Content-Type": "application/json", **target.headers,
                   "Idempotency-Key": notice.id}
        return post_json(self.session, target.url, data.encode("utf-8"), headers,
                         self.settings.timeout, secrets=_secrets(target.headers))

    def close(self) -> None:
        self.session.close()


def _secrets(headers: Mapping[str, str]) -> list[str]:
    """Header values long enough to be a token; "1" or "high" need no hiding."""
    return [value for value in headers.values() if len(value) >= 8]
