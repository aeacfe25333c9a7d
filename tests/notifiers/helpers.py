"""Builders and test doubles shared by the channel tests (fixtures are in conftest.py)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from notifiers import ADAPTIVE_CARD, JSON, MESSAGE_CARD, InlineImage, Notice

# A 1x1 transparent PNG: small, but a real image for the inline-part checks.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")
CARD = {"type": "AdaptiveCard", "version": "1.4",
        "body": [{"type": "TextBlock", "text": "3 measures off target"}]}
LEGACY_CARD = {"@type": "MessageCard", "@context": "http://schema.org/extensions",
               "summary": "3 measures off target", "text": "3 measures off target"}


def make_notice(**fields: Any) -> Notice:
    """A fully rendered notice; override any field (card, message_card and payload set the
    documents of those names; None leaves one out)."""
    values: dict[str, Any] = {
        "id": "5f0c2a9e8b7d4c1aa3e6f1b2c3d4e5f6",
        "receiver": "north-team",
        "channel": "email",
        "target": {"to": ["manager@council.example"]},
        "subject": "Exceptions: 3 measures off target",
        "text": "Three measures are off target.",
        "html": '<p>Three measures are off target.</p><img src="cid:trend@csc-alerting">',
        "images": (InlineImage("trend@csc-alerting", PNG),),
        "created_at": datetime(2024, 5, 1, 7, 30, tzinfo=UTC),
    }
    documents = {ADAPTIVE_CARD: fields.pop("card", CARD),
                 MESSAGE_CARD: fields.pop("message_card", LEGACY_CARD),
                 JSON: fields.pop("payload", {"alerts": [{"rule": "r1", "measure": "m1",
                                                          "rag": "red"}]})}
    values["documents"] = {name: doc for name, doc in documents.items() if doc is not None}
    values.update(fields)
    return Notice(**values)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class FakeTime:
    """A monotonic clock that moves only when the code under test sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# --- SMTP -----------------------------------------------------------------------------

USERNAME, PASSWORD = "alerts", "Pa55-w0rd-SECRET"


class Collector:
    """An aiosmtpd handler keeping every accepted envelope; `refuse` maps address → reply."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.authenticated: list[bool] = []  # per accepted message: had the client logged in?
        self.refuse: dict[str, str] = {}
        self.noops = 0
        # Messages taken per connection before MAIL is answered 421 (Exchange, Postfix rate
        # limits and SES cap sessions like this); None: no cap.
        self.per_connection: int | None = None

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, mail_options: list[str]) -> str:
        taken = getattr(session, "taken", 0)
        if self.per_connection is not None and taken >= self.per_connection:
            return "421 4.7.0 Too many messages for this session"
        session.taken = taken + 1  # type: ignore[attr-defined]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_NOOP(self, server: SMTP, session: Session, envelope: Envelope,  # noqa: N802
                          arg: str) -> str:
        self.noops += 1
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session,  # noqa: N802
                          envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        self.authenticated.append(bool(session.authenticated))
        return "250 Message accepted for delivery"


class CountingController(Controller):
    """A controller that counts the SMTP connections made to it."""

    connections = 0

    def factory(self) -> SMTP:
        self.connections += 1
        return SMTP(self.handler, **self.SMTP_kwargs)


@dataclass
class SmtpServer:
    controller: CountingController
    handler: Collector

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def connections(self) -> int:
        return self.controller.connections


def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                  auth_data: Any) -> AuthResult:
    """Accept only USERNAME / PASSWORD (aiosmtpd then answers 235 or 535 itself)."""
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USERNAME.encode()
          and auth_data.password == PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


# --- HTTP -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpFault:
    """One way a webhook endpoint can fail, and the verdict it should get."""

    status: int
    retryable: bool
    headers: dict[str, str] = field(default_factory=dict)
    body: str = "failed"
    retry_after: float | None = None


HTTP_FAULTS = {
    "500": HttpFault(500, retryable=True),
    "502": HttpFault(502, retryable=True),
    "503 with Retry-After": HttpFault(503, True, {"Retry-After": "30"}, retry_after=30.0),
    "429 with Retry-After": HttpFault(429, True, {"Retry-After": "7"}, retry_after=7.0),
    "408": HttpFault(408, retryable=True),
    "400": HttpFault(400, retryable=False, body="Bad Request: card invalid"),
    "403": HttpFault(403, retryable=False),
    "404": HttpFault(404, retryable=False),
    "301 is not followed": HttpFault(301, False, {"Location": "http://127.0.0.1:1/x"}),
}
