"""Serving the web app with uvicorn: in the foreground (`alerting web`) or on a thread of
the worker (`alerting worker --web`).

uvicorn is told not to believe X-Forwarded-For (`proxy_headers=False`): the address a
request comes from is the one the single sign-on header is trusted by.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import structlog
import uvicorn

from alerting.config.settings import Settings
from alerting.model.clock import Clock, utc_now
from alerting.store import Store
from alerting.web.app import WebContext, create_app
from alerting.web.auth import FormTokens
from alerting.web.config import WebSettings, load_web_settings

log = structlog.get_logger("alerting.web")


def web_context(settings: Settings, store: Store, *, web: WebSettings | None = None,
                clock: Clock = utc_now) -> WebContext:
    chosen = web if web is not None else load_web_settings(Path(settings.web))
    return WebContext(settings, chosen, store, clock, FormTokens.from_settings(chosen))


def server(context: WebContext, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(create_app(context), host=host, port=port, proxy_headers=False,
                            server_header=False, access_log=False, log_config=None,
                            root_path=context.web.root_path)
    return uvicorn.Server(config)


def serve(context: WebContext, host: str, port: int) -> int:
    """In the foreground until Ctrl-C or SIGTERM (uvicorn handles both)."""
    log.info("web_serving", host=host, port=port, users=len(context.web.users),
             tokens=len(context.web.tokens))
    # uvicorn stops gracefully on SIGTERM or Ctrl-C, then raises the signal again for the
    # handler it found: ours, so the process exits 0 after a clean stop, as the worker does.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    server(context, host, port).run()
    log.info("web_stopped")
    return 0


class BackgroundServer:
    """The web server on a daemon thread, for the worker or a test."""

    def __init__(self, context: WebContext, host: str, port: int):
        self.server = server(context, host, port)
        self.thread = threading.Thread(target=self.server.run, name="web", daemon=True)

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self.thread.start()
        for _ in range(int(timeout * 20)):
            if self.server.started:
                return self
            if not self.thread.is_alive():
                break
            threading.Event().wait(0.05)
        raise RuntimeError("the web server did not start (is the port in use?)")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
