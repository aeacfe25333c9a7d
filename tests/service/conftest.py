"""Fixtures for the unattended-service tests: real SMTP and HTTP servers on loopback."""

from __future__ import annotations

from tests.notices.conftest import smtp

__all__ = ["smtp"]
