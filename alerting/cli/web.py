"""`alerting web`: serve the web page, the JSON API and /metrics (needs the `web` extra)."""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import sys
from pathlib import Path
from typing import Any

from alerting.config.settings import Settings
from alerting.model.problems import ProblemsFound
from alerting.store import Store

INSTALL_HINT = ("the web page needs the web extra: pip install 'csc-alerting[web]' "
                "(from a checkout: pip install '.[web]')")


def web_parts() -> Any | None:
    """The web server module, or None (with the install hint printed) without the extra."""
    try:
        server = importlib.import_module("alerting.web.server")
    except ImportError as exc:
        print(f"error: {INSTALL_HINT} ({exc})", file=sys.stderr)
        return None
    return server


def web_settings_or_none(settings: Settings) -> Any | None:
    from alerting.web.config import load_web_settings

    try:
        web = load_web_settings(Path(settings.web))
    except ProblemsFound as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None
    if not web.users and not web.tokens:
        print(f"warning: {settings.web} lists no users and no tokens: nobody can sign in",
              file=sys.stderr)
    return web


def warn_if_public(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        print(f"warning: serving on {host}, not only this machine: put it behind the "
              "council's reverse proxy (single sign-on, HTTPS)", file=sys.stderr)


def web_command(args: argparse.Namespace, settings: Settings) -> int:
    server = web_parts()
    if server is None:
        return 2
    web = web_settings_or_none(settings)
    if web is None:
        return 2
    host, port = args.host or web.host, args.port or web.port
    warn_if_public(host)
    store = Store.open(settings.database_url)
    try:
        print(f"serving csc-alerting on http://{host}:{port}/ (Ctrl-C to stop)",
              file=sys.stderr)
        result: int = server.serve(server.web_context(settings, store, web=web), host, port)
        return result
    finally:
        store.close()
