"""Loopback servers for the delivery benchmark: a real SMTP server (aiosmtpd) counting
messages and connections, and a threaded HTTP server accepting JSON posts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpCounts:
    port: int
    messages: int = 0
    connections: int = 0


@contextmanager
def smtp_server() -> Iterator[SmtpCounts]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    counts = SmtpCounts(_free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            counts.messages += 1
            return "250 OK"

    class Counting(Controller):  # type: ignore[misc]
        def factory(self) -> SMTP:
            counts.connections += 1
            return SMTP(self.handler, **self.SMTP_kwargs)

    controller = Counting(Handler(), hostname="127.0.0.1", port=counts.port)
    controller.start()
    try:
        yield counts
    finally:
        controller.stop()


@dataclass
class HttpCounts:
    url: str
    posts: int = 0


@contextmanager
def http_server() -> Iterator[HttpCounts]:
    lock = threading.Lock()
    counts = HttpCounts("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                counts.posts += 1
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    counts.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield counts
    finally:
        server.shutdown()
        server.server_close()
