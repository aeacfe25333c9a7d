"""The notifier contract: a rendered `Notice` in, a `DeliveryResult` out.

A channel is one module in this package defining a `Notifier` subclass with its own
channel-wide `Options` (from `notifiers:` in config/service.yaml) and per-receiver `Target`
(from config/recipients.yaml). Defining the subclass registers it. Notifiers never retry:
they say whether a failure is worth retrying and the delivery stage decides when.
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

# The rendered forms a channel can ask for (see Notifier.formats).
EMAIL = "email"  # subject, text, html and inline images
ADAPTIVE_CARD = "adaptive_card"  # Notice.card: the Adaptive Card 1.4 content object
MESSAGE_CARD = "message_card"  # Notice.message_card: legacy Office 365 connector card
JSON = "json"  # Notice.payload: machine-readable alerts for ticketing systems


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
    card: Mapping[str, Any] | None = None
    message_card: Mapping[str, Any] | None = None
    payload: Mapping[str, Any] | None = None
    created_at: datetime | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "receiver": self.receiver, "channel": self.channel,
            "target": dict(self.target), "subject": self.subject, "text": self.text,
            "html": self.html,
            "images": [{"cid": i.cid, "mime_type": i.mime_type,
                        "content": base64.b64encode(i.content).decode("ascii")}
                       for i in self.images],
            "card": self.card, "message_card": self.message_card, "payload": self.payload,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Notice:
        created = data.get("created_at")
        return cls(
            id=data["id"], receiver=data["receiver"], channel=data["channel"],
            target=data.get("target") or {}, subject=data["subject"], text=data["text"],
            html=data.get("html"),
            images=tuple(InlineImage(i["cid"], base64.b64decode(i["content"]), i["mime_type"])
                         for i in data.get("images") or ()),
            card=data.get("card"), message_card=data.get("message_card"),
            payload=data.get("payload"),
            created_at=datetime.fromisoformat(created) if created else None,
            metadata=data.get("metadata") or {},
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
        """Which rendered forms a notice for this target needs (EMAIL, ADAPTIVE_CARD, ...)."""
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
