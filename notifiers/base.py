"""The notifier contract: a rendered `Notice` in, a `DeliveryResult` out.

A channel is one module in this package defining a `Notifier` subclass with its own
channel-wide `Options` (from `notifiers:` in config/service.yaml) and per-receiver `Target`
(from config/recipients.yaml). Defining the subclass registers it. A channel that posts a
form of its own (a card, a JSON body) declares it once with `declare(Document(...))` and asks
for it in `formats`; the rendering stage renders every declared form a notice's channel asks
for into `Notice.documents`. Notifiers never retry: they say whether a failure is worth
retrying and the delivery stage decides when.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict

NOTIFIERS: dict[str, type[Notifier]] = {}


def utc_now() -> datetime:
    return datetime.now(UTC)


# The notice's own form: subject, text, html and inline images (Notice fields, not documents).
EMAIL = "email"
# Its templates (`templates:` key of a route -> default file) and those of one alert's part
# (`templates:` key of a rule, `alert.partials.<key>` in the notice template). The subject is
# rendered for every notice, whatever its channel.
EMAIL_TEMPLATES: Mapping[str, str] = {
    "email_subject": "email_subject.txt.j2",
    "email_text": "email.txt.j2",
    "email_html": "email.html.j2",
}
EMAIL_ALERT_TEMPLATES: Mapping[str, str] = {
    "email_text": "alert.txt.j2",
    "email_html": "alert.html.j2",
}


@dataclass(frozen=True)
class Document:
    """A rendered form a channel posts besides the notice's text, e.g. a Teams card.

    Declared once, by the module of the channel that owns the wire format; `name` is its key
    in `Notice.documents` and what `Notifier.formats` asks for. Default templates are files in
    alerting/rendering/templates/ (or the council's config/templates/, searched first). Text
    from data reaches a document's template HTML-escaped (inert), as it always has for cards.
    """

    name: str
    # The channel that posts it (`alerting preview` renders it within that channel's size
    # limit) and what it is, in words for the preview's help.
    channel: str = ""
    title: str = ""
    # A target of that channel which asks for this document and posts nowhere: `alerting
    # preview` renders through it.
    preview_target: Mapping[str, Any] = field(default_factory=dict)
    # The `templates:` key (of a route) that replaces the notice template, and its default.
    # A document without a template is the alerts payload the renderer builds in code (its
    # shape is a versioned contract with ticketing systems, not a template's choice).
    template: str | None = None
    default_template: str | None = None
    # The default template of one alert's part, included as `alert.partials.<template>` and
    # replaced per rule by `templates: {<template>: file}`.
    alert_template: str | None = None
    is_json: bool = True  # the template writes one JSON object; otherwise the text is kept
    # Shown alerts are cut ("and N more") until what the channel posts fits its max_bytes;
    # `envelope` wraps the document as the channel posts it, so the size measured is the size
    # sent.
    fit_to_max_bytes: bool = False
    envelope: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None


DOCUMENTS: dict[str, Document] = {}


def declare(document: Document) -> str:
    """Register a document kind (once per name); returns its name, for `formats`."""
    known = DOCUMENTS.setdefault(document.name, document)
    if known is not document:
        raise ValueError(f"document {document.name!r} is declared twice")
    return document.name


def previewed_documents() -> dict[str, Document]:
    """The documents `alerting preview --format` can show, by their `templates:` key."""
    return {d.template: d for d in DOCUMENTS.values() if d.template and d.channel}


def alert_template_keys() -> list[str]:
    """Every `templates:` key a rule may set: the email parts, then each document's."""
    return [*EMAIL_ALERT_TEMPLATES,
            *(d.template for d in DOCUMENTS.values() if d.alert_template and d.template)]


# Outbox rows written before Notice.documents carried the documents as fields of their own.
_LEGACY_DOCUMENTS = {"card": "adaptive_card", "message_card": "message_card", "payload": "json"}


@dataclass(frozen=True)
class InlineImage:
    """An image shown inside the HTML body (`<img src="cid:...">`), e.g. a trend chart."""

    cid: str
    content: bytes
    mime_type: str = "image/png"

    @property
    def filename(self) -> str:
        return f"{self.cid.split('@')[0]}.{self.mime_type.rsplit('/', 1)[-1]}"


@dataclass(frozen=True)
class Notice:
    """One message to one receiver on one channel, rendered and ready to send.

    `id` is stable across retries: it becomes the email Message-ID and the webhooks'
    Idempotency-Key, so a receiving system can recognise a repeat.
    """

    id: str
    receiver: str
    channel: str
    target: Mapping[str, Any]
    subject: str
    text: str
    html: str | None = None
    images: tuple[InlineImage, ...] = ()
    documents: Mapping[str, Any] = field(default_factory=dict)  # Document name -> rendered
    created_at: datetime | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    not_before: datetime | None = None  # held until then (a route's quiet hours)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "receiver": self.receiver, "channel": self.channel,
            "target": dict(self.target), "subject": self.subject, "text": self.text,
            "html": self.html,
            "images": [{"cid": i.cid, "mime_type": i.mime_type,
                        "content": base64.b64encode(i.content).decode("ascii")}
                       for i in self.images],
            "documents": dict(self.documents),
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "metadata": dict(self.metadata),
            "not_before": self.not_before.isoformat() if self.not_before else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Notice:
        """Reads rows of either form: `documents`, or the older card/message_card/payload."""
        created = data.get("created_at")
        held = data.get("not_before")
        documents = {new: data[old] for old, new in _LEGACY_DOCUMENTS.items()
                     if data.get(old) is not None}
        documents.update(data.get("documents") or {})
        return cls(
            id=data["id"], receiver=data["receiver"], channel=data["channel"],
            target=data.get("target") or {}, subject=data["subject"], text=data["text"],
            html=data.get("html"),
            images=tuple(InlineImage(i["cid"], base64.b64decode(i["content"]), i["mime_type"])
                         for i in data.get("images") or ()),
            documents=documents,
            created_at=datetime.fromisoformat(created) if created else None,
            metadata=data.get("metadata") or {},
            not_before=datetime.fromisoformat(held) if held else None,
        )


@dataclass(frozen=True)
class DeliveryResult:
    """What one attempt came to. `retryable` failures are tried again later; others go dead."""

    ok: bool
    retryable: bool = False
    detail: str = ""
    retry_after: float | None = None  # seconds the far end asked us to wait (429 Retry-After)

    @classmethod
    def accepted(cls, detail: str = "") -> DeliveryResult:
        return cls(ok=True, detail=detail)

    @classmethod
    def retry(cls, detail: str, retry_after: float | None = None) -> DeliveryResult:
        return cls(ok=False, retryable=True, detail=detail, retry_after=retry_after)

    @classmethod
    def permanent(cls, detail: str) -> DeliveryResult:
        return cls(ok=False, retryable=False, detail=detail)


class ChannelOptions(BaseModel):
    """Base of every channel's options and target models: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The smallest valid value (its required fields), for examples and the registry's tests.
    example: ClassVar[Mapping[str, Any]] = {}


class Notifier:
    """A delivery channel. One instance serves a batch of notices (the delivery stage uses
    one for every notice of a pass, until it waits for retries) and may keep a connection
    open between them; `close()` ends the batch."""

    channel: ClassVar[str] = ""
    Options: ClassVar[type[ChannelOptions]] = ChannelOptions
    Target: ClassVar[type[ChannelOptions]] = ChannelOptions

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.channel:
            NOTIFIERS[cls.channel] = cls

    def __init__(self, options: ChannelOptions | None = None, *,
                 clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] | None = None,
                 now: Callable[[], datetime] | None = None) -> None:
        import time

        self.options = options if options is not None else self.Options()
        self.clock = clock or time.monotonic  # for timeouts and waits
        self.sleep = sleep or time.sleep
        self.now = now or utc_now  # the time of day, for a notice that carries none

    @classmethod
    def formats(cls, target: Mapping[str, Any]) -> frozenset[str]:
        """Which rendered forms a notice for this target needs: EMAIL and/or the names of
        declared documents (ADAPTIVE_CARD, ...)."""
        return frozenset({EMAIL})

    @classmethod
    def max_bytes(cls, target: Mapping[str, Any],
                  options: ChannelOptions | None = None) -> int | None:
        """The largest message the channel accepts, so rendering can shorten long lists."""
        return None

    def send(self, notice: Notice) -> DeliveryResult:
        raise NotImplementedError

    def new_batch(self) -> None:
        """A new batch of claimed notices begins (the connection may stay open)."""

    def close(self) -> None:
        """End the pass: close any connection kept open between sends."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
