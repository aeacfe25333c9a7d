"""Fixtures for notice tests: a real SMTP server on loopback and a test council."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from alerting.store import Store
from tests.notices.scenario import Council
from tests.notifiers.helpers import Collector, CountingController, SmtpServer, free_port


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    handler = Collector()
    controller = CountingController(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller, handler)
    finally:
        controller.stop()


def messages(server: SmtpServer) -> list[EmailMessage]:
    """Every email the server accepted, parsed."""
    found = []
    for envelope in server.handler.envelopes:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


def bodies(message: EmailMessage) -> tuple[str, str]:
    """(plain text, html) of a delivered email."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return (text.get_content() if text else "", html.get_content() if html else "")


@pytest.fixture
def council(store: Store, smtp: SmtpServer, tmp_path: Path) -> Council:
    return Council(tmp_path, store, smtp.port)
