"""Loopback servers for the delivery benchmark: a real SMTP server (aiosmtpd) counting
messages and connections, and a threaded HTTP server accepting JSON posts.

Each runs in a process of its own (`python -m benchmarks.loopback smtp|http`), as a real
mail server or webhook endpoint would: in the benchmark's process it would share the
interpreter lock with the sender, and its work would be timed as the sender's. The
benchmark reads the counts over the server's standard input and output.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    """The benchmark's handle on a server process: its port, and its counts on request."""

    def __init__(self, kind: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.loopback", kind], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        word, port = self._line().split()
        if word != "ready":
            raise RuntimeError(f"the loopback {kind} server did not start: {word} {port}")
        self.port = int(port)

    def counts(self) -> list[int]:
        assert self.process.stdin is not None
        self.process.stdin.write("counts\n")
        self.process.stdin.flush()
        return [int(n) for n in self._line().split()]

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()  # end of input: the server stops
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the loopback server has exited")
        return line


class SmtpCounts:
    def __init__(self, server: _Server) -> None:
        self._server = server
        self.port = server.port

    @property
    def messages(self) -> int:
        return self._server.counts()[0]

    @property
    def connections(self) -> int:
        return self._server.counts()[1]


class HttpCounts:
    def __init__(self, server: _Server) -> None:
        self._server = server
        self.url = f"http://127.0.0.1:{server.port}/hook"

    @property
    def posts(self) -> int:
        return self._server.counts()[0]


@contextmanager
def smtp_server() -> Iterator[SmtpCounts]:
    server = _Server("smtp")
    try:
        yield SmtpCounts(server)
    finally:
        server.stop()


@contextmanager
def http_server() -> Iterator[HttpCounts]:
    server = _Server("http")
    try:
        yield HttpCounts(server)
    finally:
        server.stop()


# --- in the server's process ------------------------------------------------------------


def _answer(port: int, counts: list[int]) -> None:
    """Say the port, then give the counts whenever asked, until standard input ends."""
    print("ready", port, flush=True)
    for _request in sys.stdin:
        print(*counts, flush=True)


def serve_smtp() -> None:
    """aiosmtpd accepting every message; counts: messages, connections."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    counts = [0, 0]

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            counts[0] += 1
            return "250 OK"

    class Counting(Controller):
        def factory(self) -> SMTP:
            counts[1] += 1
            return SMTP(self.handler, **self.SMTP_kwargs)

    controller = Counting(Handler(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    counts[1] = 0  # start() makes one connection of its own, to see the server is up
    try:
        _answer(controller.port, counts)
    finally:
        controller.stop()


def serve_http() -> None:
    """A threaded HTTP server answering every POST with 202; counts: posts."""
    lock = threading.Lock()
    counts = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                counts[0] += 1
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _answer(int(server.server_address[1]), counts)
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    {"smtp": serve_smtp, "http": serve_http}[sys.argv[1]]()
