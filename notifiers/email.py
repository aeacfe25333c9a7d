"""Email over SMTP: one connection per batch, credentials only from the environment.

The message is text with an HTML alternative whose charts travel as inline images, so
it reads the same in Outlook and in a plain-text client.
"""

from __future__ import annotations

import contextlib
import email.policy
import os
import selectors
import smtplib
import ssl
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Annotated, Any, ClassVar, Literal

import structlog
from pydantic import BeforeValidator, Field, ValidationError, model_validator

from notifiers.base import EMAIL, ChannelOptions, DeliveryResult, Notice, Notifier, utc_now
from notifiers.http import validation_detail

log = structlog.get_logger(__name__)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


# One address or a list of them, as people write it in YAML.
AddressList = Annotated[list[Annotated[str, Field(min_length=1)]], BeforeValidator(_as_list)]


class EmailOptions(ChannelOptions):
    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username_env: str | None = None  # names of environment variables, never the values
    password_env: str | None = None
    from_address: str = "csc-alerting@localhost"
    timeout: float = Field(30.0, gt=0)
    verify_tls: bool = True
    local_hostname: str | None = None

    @model_validator(mode="after")
    def _credentials_in_pairs(self) -> EmailOptions:
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError("give both username_env and password_env, or neither")
        return self


class EmailTarget(ChannelOptions):
    example: ClassVar[Mapping[str, Any]] = {"to": "a@council.example"}

    to: AddressList = Field(min_length=1)
    cc: AddressList = Field(default_factory=list)


class MissingCredential(Exception):
    """An environment variable named in the options is not set."""


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, keeping the class it makes for each header name. The
    standard one makes a new class for every header of every message: a sixth of the time
    spent building an email went on that."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


# email.policy.default, with the header classes made once.
POLICY = email.policy.default.clone(header_factory=_HeaderClasses())


def build_message(notice: Notice, from_address: str, target: EmailTarget,
                  now: Callable[[], datetime] = utc_now) -> EmailMessage:
    """multipart/alternative(text, multipart/related(html, inline images)), or plain text.
    `now` dates a notice that carries no time of its own."""
    message = EmailMessage(policy=POLICY)
    message["Subject"] = " ".join(notice.subject.split())  # a line break would end the header
    message["From"] = from_address
    message["To"] = ", ".join(target.to)
    if target.cc:
        message["Cc"] = ", ".join(target.cc)
    message["Date"] = format_datetime(_aware(notice.created_at or now()))
    message["Message-ID"] = f"<{notice.id}@csc-alerting>"
    message.set_content(notice.text)
    if notice.html:
        message.add_alternative(notice.html, subtype="html")
        html_part = message.get_body(("html",))
        assert html_part is not None  # just added
        for image in notice.images:
            maintype, subtype = image.mime_type.split("/", 1)
            html_part.add_related(image.content, maintype, subtype, cid=f"<{image.cid}>",
                                  filename=image.filename, disposition="inline")
    return message


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def classify_smtp_error(exc: Exception) -> DeliveryResult:
    """Whether an SMTP failure is worth trying again: 4xx and network trouble are."""
    kind = type(exc).__name__
    match exc:
        case MissingCredential():
            return DeliveryResult.permanent(str(exc))
        case smtplib.SMTPAuthenticationError() if 400 <= exc.smtp_code < 500:
            # 454 Temporary authentication failure: the server asks to come back later.
            return DeliveryResult.retry(f"{kind}: login refused for now ({exc.smtp_code})")
        case smtplib.SMTPAuthenticationError():
            return DeliveryResult.permanent(f"{kind}: login refused ({exc.smtp_code})")
        case smtplib.SMTPRecipientsRefused():
            codes = {addr: code for addr, (code, _) in exc.recipients.items()}
            detail = f"{kind}: " + ", ".join(f"{a} ({c})" for a, c in codes.items())
            if codes and all(400 <= c < 500 for c in codes.values()):
                return DeliveryResult.retry(detail)
            return DeliveryResult.permanent(detail)
        case smtplib.SMTPConnectError():
            return DeliveryResult.retry(f"{kind}: {exc.smtp_code} {_text(exc.smtp_error)}")
        case smtplib.SMTPResponseException():
            detail = f"{kind}: {exc.smtp_code} {_text(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                return DeliveryResult.retry(detail)
            return DeliveryResult.permanent(detail)
        case smtplib.SMTPServerDisconnected():
            return DeliveryResult.retry(f"{kind}: {exc}")
        case smtplib.SMTPException():  # e.g. STARTTLS or AUTH not offered: configuration
            return DeliveryResult.permanent(f"{kind}: {exc}")
        case _:  # OSError: refused, unreachable, timed out, TLS handshake
            return DeliveryResult.retry(f"{kind}: {exc}")


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


class EmailNotifier(Notifier):
    """Sends each notice as one email; the connection is opened at the first send."""

    channel = "email"
    Options = EmailOptions
    Target = EmailTarget

    def __init__(self, options: ChannelOptions | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._smtp: smtplib.SMTP | None = None
        self._password: str | None = None  # kept only to scrub it from any detail
        # Set when connecting or logging in failed: the rest of the batch fails fast rather
        # than trying the server (and a refused password) once per notice.
        self._unreachable: DeliveryResult | None = None

    @property
    def settings(self) -> EmailOptions:
        assert isinstance(self.options, EmailOptions)
        return self.options

    @classmethod
    def formats(cls, target: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({EMAIL})

    def send(self, notice: Notice) -> DeliveryResult:
        try:
            target = EmailTarget.model_validate(notice.target)
        except ValidationError as exc:
            return DeliveryResult.permanent(f"invalid email target: {validation_detail(exc)}")
        try:
            message = build_message(notice, self.settings.from_address, target, self.now)
        except ValueError as exc:
            return DeliveryResult.permanent(f"cannot build the message: {exc}")
        if self._unreachable is not None:  # no second login or connect in one batch
            return DeliveryResult(ok=False, retryable=self._unreachable.retryable,
                                  detail=f"{self._unreachable.detail} (not tried: the server "
                                         "could not be used for an earlier notice of this "
                                         "batch)")
        reused = self._smtp is not None
        try:
            refused = self._send(message, target)
        except _Unusable as unusable:
            self._unreachable = unusable.result
            return unusable.result
        except (OSError, MissingCredential) as exc:  # smtplib's exceptions are OSErrors
            self._drop()
            if not (reused and _not_taken(exc)):
                return self._described(classify_smtp_error(exc))
            # A kept connection the server has closed or capped (421 at MAIL, RCPT or DATA,
            # or a reset): it did not take the message, so send it once on a new one.
            log.info("smtp_reconnect", host=self.settings.host, port=self.settings.port,
                     reason=type(exc).__name__)
            try:
                refused = self._send(message, target)
            except _Unusable as unusable:
                self._unreachable = unusable.result
                return unusable.result
            except (OSError, MissingCredential) as again:
                self._drop()
                return self._described(classify_smtp_error(again))
        if refused:  # some recipients took it: sending again would repeat it to them
            names = ", ".join(f"{a} ({code})" for a, (code, _) in refused.items())
            return DeliveryResult.accepted(f"sent, but refused for {names}")
        return DeliveryResult.accepted(f"sent to {len(target.to) + len(target.cc)} recipient(s)")

    def _send(self, message: EmailMessage, target: EmailTarget) -> dict[str, tuple[int, bytes]]:
        """Send on the kept connection (opened if need be); _Unusable if it cannot open."""
        try:
            smtp = self._connection()
        except (OSError, MissingCredential) as exc:
            self._drop()
            raise _Unusable(self._described(classify_smtp_error(exc))) from exc
        return smtp.send_message(
            message, from_addr=self.settings.from_address, to_addrs=[*target.to, *target.cc])

    def new_batch(self) -> None:
        """A new batch tries the server again, even if it could not be used for the last."""
        self._unreachable = None

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):  # the batch is over either way
                self._smtp.quit()
            self._drop()

    def _connection(self) -> smtplib.SMTP:
        """The batch's open connection, reconnecting once if the server has dropped it."""
        if self._smtp is not None:
            if not _hung_up(self._smtp):
                return self._smtp
            log.info("smtp_reconnect", host=self.settings.host, port=self.settings.port)
            self._drop()
        self._smtp = self._open()
        return self._smtp

    def _open(self) -> smtplib.SMTP:
        o = self.settings
        username, password = _credential(o.username_env), _credential(o.password_env)
        self._password = password
        context = ssl.create_default_context()
        if not o.verify_tls:  # only for test servers with self-signed certificates
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        smtp: smtplib.SMTP
        if o.security == "tls":
            smtp = smtplib.SMTP_SSL(o.host, o.port, local_hostname=o.local_hostname,
                                    timeout=o.timeout, context=context)
        else:
            smtp = smtplib.SMTP(o.host, o.port, local_hostname=o.local_hostname,
                                timeout=o.timeout)
        try:
            smtp.ehlo()
            if o.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if username is not None and password is not None:
                smtp.login(username, password)
        except BaseException:
            smtp.close()
            raise
        log.debug("smtp_connected", host=o.host, port=o.port, security=o.security,
                  authenticated=username is not None)
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def _described(self, result: DeliveryResult) -> DeliveryResult:
        """The failure with the server named, and the password hidden should it ever appear."""
        detail = f"SMTP {self.settings.host}:{self.settings.port}: {result.detail}"
        if self._password:
            detail = detail.replace(self._password, "***")
        return DeliveryResult(result.ok, result.retryable, detail, result.retry_after)


class _Unusable(Exception):
    """Connecting or logging in failed: the server cannot be used for now."""

    def __init__(self, result: DeliveryResult) -> None:
        super().__init__(result.detail)
        self.result = result


def _not_taken(exc: Exception) -> bool:
    """Whether the server did not take the message, as far as the client can tell: it hung
    up, reset the connection, or answered 421 (closing the session). Such a failure would be
    retried anyway; sending it again at once on a new connection spares the notice a wait."""
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionResetError | BrokenPipeError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code == 421 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421


def _hung_up(smtp: smtplib.SMTP) -> bool:
    """Whether the server has closed an idle connection, asked without a round trip (a NOOP
    per message costs as much as the message's own MAIL command).

    Between messages the server has nothing to say unless it is hanging up, so anything to
    read, end of file or a 421 reply, means the connection is gone.
    """
    sock = smtp.sock
    if sock is None:
        return True
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ)
            return bool(selector.select(timeout=0))
    except (OSError, ValueError):  # closed under us
        return True


def _credential(variable: str | None) -> str | None:
    if variable is None:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise MissingCredential(f"environment variable {variable} is not set")
    return value
