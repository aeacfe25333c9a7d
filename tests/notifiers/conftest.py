"""Fixtures for the channel tests: real loopback servers, a fake clock, the fault table."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import (
    HTTP_FAULTS,
    Collector,
    CountingController,
    FakeTime,
    HttpFault,
    SmtpServer,
    free_port,
)


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening: connecting is refused."""
    return free_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that completes the TCP handshake and then never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel accepts; nobody ever sends a banner
        yield listener.getsockname()[1]


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def smtp_factory() -> Iterator[Callable[..., SmtpServer]]:
    """Start aiosmtpd servers on loopback (aiosmtpd keyword arguments pass through)."""
    started: list[CountingController] = []

    def start(**kwargs: Any) -> SmtpServer:
        handler = Collector()
        controller = CountingController(handler, hostname="127.0.0.1", port=free_port(),
                                        server_hostname="smtp.test", **kwargs)
        controller.start()
        controller.connections = 0  # start() makes one connection of its own
        started.append(controller)
        return SmtpServer(controller, handler)

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def smtp_server(smtp_factory: Callable[..., SmtpServer]) -> SmtpServer:
    """A plain SMTP server (no TLS, no AUTH)."""
    return smtp_factory()


@pytest.fixture(scope="session")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server-side TLS context with a freshly made self-signed certificate."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a self-signed test certificate")
    folder: Path = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=localhost"],
        check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture(params=list(HTTP_FAULTS.values()), ids=list(HTTP_FAULTS))
def http_fault(request: pytest.FixtureRequest) -> HttpFault:
    """Each HTTP failure in the shared table (channel tests using this run once per row)."""
    fault: HttpFault = request.param
    return fault
