"""structlog set-up, and the rule that secrets never reach a log.

Events are JSON lines when the stream is not a terminal (a service manager, Docker, a log
shipper) and readable console lines when it is. The unattended commands (`run`, `worker`)
log to stdout; the others log warnings to stderr and keep stdout for their output.

Every event passes through `redact` before it is written: web addresses are cut to their
host and first path segment (a Teams or webhook URL's signature is in the rest), a
password in a database URL is masked, and the values of secret environment variables
(SMTP password, webhook URLs, tokens) are replaced wherever they appear.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, TextIO

import structlog

from notifiers.http import redact_url

_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
_USERINFO = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^/\s:@]*:)[^@\s/]+@")
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|WEBHOOK|SIGNATURE|API_?KEY|"
                          r"CREDENTIAL|PRIVATE", re.IGNORECASE)
_MIN_SECRET = 6
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Never log this value (a password read from the environment, say)."""
    if value and len(value) >= _MIN_SECRET:
        _secrets.add(value)


def register_secrets(settings: Any = None, environ: Mapping[str, str] | None = None) -> None:
    """Register the SMTP credentials the config names, and every environment variable
    whose name says it is secret (…PASSWORD, …TOKEN, …WEBHOOK…, …SECRET, …API_KEY)."""
    env = os.environ if environ is None else environ
    for name, value in env.items():
        if _SECRET_NAME.search(name):
            register_secret(value)
    if settings is not None:
        for source in getattr(settings, "sources", ()):
            if source.sql is not None:
                register_url_secrets(source.sql.url)
        register_url_secrets(settings.database_url)
        email = settings.notifiers.get("email")
        password_env = getattr(email, "password_env", None) if email is not None else None
        if password_env:
            register_secret(env.get(str(password_env)))


def register_url_secrets(url: str) -> None:
    """A database URL's password, and its query values (`?password=`, an ODBC connection
    string with PWD=…): SQLAlchemy hides only the user:password part itself."""
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url)
    except Exception:
        register_secret(url)
        return
    if parsed.password:
        register_secret(str(parsed.password))
    for values in parsed.query.values():
        for value in (values,) if isinstance(values, str) else values:
            register_secret(value)
            for part in re.split(r"[;&]", value):  # PWD=...; in odbc_connect
                if "=" in part and re.match(r"\s*(pwd|password|secret|token)\s*=", part, re.I):
                    register_secret(part.split("=", 1)[1].strip())


def redact_text(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    text = _USERINFO.sub(r"\1***@", text)
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def _redact_value(value: Any) -> Any:
    """Strings are scrubbed; mappings and lists item by item (keys too); numbers, booleans
    and None pass; anything else (an exception object, say) is scrubbed as its text."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {_redact_value(str(k)): _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_text(str(value))


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: scrub every value of the event."""
    for key, value in list(event.items()):
        event[key] = _redact_value(value)
    return event


class _ToStructlog(logging.Handler):
    """Library log records (APScheduler's, say) become structlog events: JSON, redacted,
    with the run id when one is bound."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            logger = structlog.get_logger(record.name)
            event = record.getMessage()
            if record.exc_info:
                logger.log(record.levelno, event, exc_info=record.exc_info)
            else:
                logger.log(record.levelno, event)
        except Exception:
            self.handleError(record)


def configure_logging(verbosity: int = 0, stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    renderer: structlog.typing.Processor
    if out.isatty():
        renderer = structlog.dev.ConsoleRenderer()
    else:
        renderer = structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    library = logging.getLogger("apscheduler")
    library.handlers = [_ToStructlog()]
    library.propagate = False
    library.setLevel(level)


def known_secrets() -> Iterable[str]:
    return frozenset(_secrets)
