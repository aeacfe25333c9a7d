"""The email channel against a real aiosmtpd server on loopback."""

from __future__ import annotations

import email
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from structlog.testing import capture_logs

from notifiers import DeliveryResult, Notice
from notifiers.email import (
    EmailNotifier,
    EmailOptions,
    EmailTarget,
    build_message,
    classify_smtp_error,
)

from .helpers import PASSWORD, USERNAME, SmtpServer, authenticator, make_notice


def notifier(port: int, **options: Any) -> EmailNotifier:
    options = {"host": "127.0.0.1", "port": port, "security": "none",
               "local_hostname": "client.test", "timeout": 5, **options}
    return EmailNotifier(EmailOptions(**options))


def received(server: SmtpServer, index: int = 0) -> EmailMessage:
    content = server.handler.envelopes[index].content
    assert isinstance(content, bytes)
    parsed = email.message_from_bytes(content, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def send_one(port: int, notice: Notice | None = None, **options: Any) -> DeliveryResult:
    with notifier(port, **options) as channel:
        return channel.send(notice or make_notice())


def test_message_arrives_with_text_html_and_inline_image(smtp_server: SmtpServer) -> None:
    """A notice arrives as text + HTML alternative with the chart as an inline related part."""
    notice = make_notice(target={"to": ["a@council.example"], "cc": "b@council.example"})
    result = send_one(smtp_server.port, notice)
    assert result.ok, result.detail
    envelope = smtp_server.handler.envelopes[0]
    assert envelope.mail_from == "csc-alerting@localhost"
    assert envelope.rcpt_tos == ["a@council.example", "b@council.example"]
    message = received(smtp_server)
    assert message["Subject"] == notice.subject
    assert message["To"] == "a@council.example"
    assert message["Cc"] == "b@council.example"
    assert message["Message-ID"] == f"<{notice.id}@csc-alerting>"
    assert message["Date"] is not None
    assert message.get_content_type() == "multipart/alternative"
    text_part, related = message.iter_parts()
    assert text_part.get_content().strip() == notice.text
    assert related.get_content_type() == "multipart/related"
    html_part, image_part = related.iter_parts()
    assert 'src="cid:trend@csc-alerting"' in html_part.get_content()
    assert image_part["Content-ID"] == "<trend@csc-alerting>"
    assert image_part.get_content_type() == "image/png"
    assert image_part.get_content() == notice.images[0].content


def test_text_only_notice_is_a_single_plain_part() -> None:
    """Without HTML the message is one text/plain part."""
    message = build_message(make_notice(html=None, images=()), "x@y.example",
                            EmailTarget(to=["a@b.example"]))
    assert message.get_content_type() == "text/plain"


def test_subject_line_breaks_cannot_inject_headers() -> None:
    """A line break in the subject is folded to a space, not a new header."""
    message = build_message(make_notice(subject="Hi\nBcc: evil@x.example"), "x@y.example",
                            EmailTarget(to=["a@b.example"]))
    assert message["Subject"] == "Hi Bcc: evil@x.example"
    assert message["Bcc"] is None


def test_one_connection_serves_the_whole_batch(smtp_server: SmtpServer) -> None:
    """Five notices in one batch travel over a single SMTP connection."""
    with notifier(smtp_server.port) as channel:
        results = [channel.send(make_notice(id=f"n{i}")) for i in range(5)]
    assert all(r.ok for r in results)
    assert len(smtp_server.handler.envelopes) == 5
    assert smtp_server.connections == 1


def test_a_kept_connection_is_reused_without_a_round_trip_to_check_it(
        smtp_server: SmtpServer) -> None:
    """Between sends the connection is checked without asking the server (no NOOP): that
    would cost as much as the message's own MAIL command."""
    with notifier(smtp_server.port) as channel:
        results = [channel.send(make_notice(id=f"n{i}")) for i in range(5)]
    assert all(r.ok for r in results)
    assert smtp_server.handler.noops == 0
    assert smtp_server.connections == 1


def test_a_non_ascii_subject_and_body_arrive_intact(smtp_server: SmtpServer) -> None:
    """A long subject with non-ASCII characters is encoded and folded, and reads back the same;
    so does the text."""
    subject = "Exceptions: « Référé » — " + "très long sujet " * 8
    notice = make_notice(subject=subject.strip(), text="Évaluation: 85 % ✓")
    assert send_one(smtp_server.port, notice).ok
    message = received(smtp_server)
    assert message["Subject"] == subject.strip()
    assert message.get_body(("plain",)).get_content().strip() == "Évaluation: 85 % ✓"
    assert all(len(line) <= 78 for line in message.as_string().splitlines())


def test_reconnects_once_when_the_server_dropped_the_connection(
        smtp_factory: Callable[..., SmtpServer]) -> None:
    """A connection the server timed out between sends is replaced, and the send succeeds."""
    server = smtp_factory(timeout=0.2)
    with notifier(server.port) as channel:
        assert channel.send(make_notice(id="first")).ok
        time.sleep(0.5)
        result = channel.send(make_notice(id="second"))
    assert result.ok, result.detail
    assert server.connections == 2


def test_a_server_capping_messages_per_connection_gets_a_new_one(
        smtp_server: SmtpServer) -> None:
    """A relay that takes 20 messages per session answers the next MAIL with 421: the
    message goes at once on a new connection instead of waiting for a retry."""
    smtp_server.handler.per_connection = 20
    with notifier(smtp_server.port) as channel:
        results = [channel.send(make_notice(id=f"n{i}")) for i in range(50)]
    assert all(r.ok for r in results), [r.detail for r in results if not r.ok]
    assert len(smtp_server.handler.envelopes) == 50
    assert smtp_server.connections == 3


def test_a_new_batch_tries_a_server_that_could_not_be_used_for_the_last(
        smtp_factory: Callable[..., SmtpServer], closed_port: int) -> None:
    """After a refused connection the rest of a batch fails fast; the next batch tries the
    server again (here it is back)."""
    with notifier(closed_port) as channel:
        first = [channel.send(make_notice(id=f"a{i}")) for i in range(2)]
        assert not any(r.ok for r in first)
        assert "not tried" in str(first[1].detail)
        channel.new_batch()
        second = channel.send(make_notice(id="b0"))
    assert not second.ok and "not tried" not in str(second.detail)  # it was tried


def test_a_temporary_login_failure_is_retried_not_dead() -> None:
    """454 4.7.0 Temporary authentication failure: try again later; 535 is for good."""
    temporary = classify_smtp_error(smtplib.SMTPAuthenticationError(454, b"try later"))
    assert temporary.retryable and not temporary.ok
    assert not classify_smtp_error(smtplib.SMTPAuthenticationError(535, b"no")).retryable


def test_login_with_credentials_from_the_environment(
        smtp_factory: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch) -> None:
    """AUTH uses the username and password read from the named environment variables."""
    server = smtp_factory(authenticator=authenticator, auth_require_tls=False)
    monkeypatch.setenv("SMTP_USER", USERNAME)
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    with capture_logs() as logs:
        result = send_one(server.port, username_env="SMTP_USER", password_env="SMTP_PASSWORD")
    assert result.ok, result.detail
    assert server.handler.authenticated == [True]
    assert any(entry["event"] == "smtp_connected" for entry in logs)
    assert PASSWORD not in repr(logs)


def test_wrong_password_is_permanent_and_never_shown(
        smtp_factory: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused login fails for good, and the password appears in no detail or log."""
    server = smtp_factory(authenticator=authenticator, auth_require_tls=False)
    wrong = "not-the-Pa55word"
    monkeypatch.setenv("SMTP_USER", USERNAME)
    monkeypatch.setenv("SMTP_PASSWORD", wrong)
    with capture_logs() as logs:
        result = send_one(server.port, username_env="SMTP_USER", password_env="SMTP_PASSWORD")
    assert not result.ok
    assert not result.retryable
    assert "535" in result.detail
    assert wrong not in result.detail
    assert wrong not in repr(logs)
    assert server.handler.envelopes == []


def test_a_refused_login_is_not_repeated_for_the_rest_of_the_batch(
        smtp_factory: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch) -> None:
    """One refused login per batch, not one per notice: mail servers lock accounts that
    keep failing. The other notices fail the same way without touching the server."""
    server = smtp_factory(authenticator=authenticator, auth_require_tls=False)
    monkeypatch.setenv("SMTP_USER", USERNAME)
    monkeypatch.setenv("SMTP_PASSWORD", "not-the-Pa55word")
    with notifier(server.port, username_env="SMTP_USER",
                  password_env="SMTP_PASSWORD") as channel:
        results = [channel.send(make_notice()) for _ in range(5)]
    assert server.connections == 1
    assert [r.ok or r.retryable for r in results] == [False] * 5
    assert all("535" in r.detail for r in results)
    assert "not tried" in results[1].detail


def test_an_unreachable_server_is_tried_once_per_batch(smtp_server: SmtpServer) -> None:
    """Connection refused: the batch's other notices are queued to retry without waiting
    for a connect timeout each."""
    with notifier(1) as channel:  # nothing listens on port 1
        results = [channel.send(make_notice()) for _ in range(3)]
    assert all(r.retryable and not r.ok for r in results)
    assert "not tried" in results[2].detail and "not tried" not in results[0].detail


def test_missing_credential_variable_is_permanent_and_named(
        smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unset credential variable fails for good, naming the variable."""
    monkeypatch.setenv("SMTP_USER", USERNAME)
    monkeypatch.delenv("SMTP_PASSWORD_MISSING", raising=False)
    result = send_one(smtp_server.port, username_env="SMTP_USER",
                      password_env="SMTP_PASSWORD_MISSING")
    assert not result.ok
    assert not result.retryable
    assert "SMTP_PASSWORD_MISSING" in result.detail


@pytest.mark.parametrize(("reply", "retryable"), [
    ("550 5.1.1 No such mailbox", False),
    ("451 4.3.0 Try again later", True),
])
def test_refused_recipient(smtp_server: SmtpServer, reply: str, retryable: bool) -> None:
    """A recipient refused with 5xx fails for good; with 4xx it is retried."""
    smtp_server.handler.refuse["manager@council.example"] = reply
    result = send_one(smtp_server.port)
    assert not result.ok
    assert result.retryable is retryable
    assert "manager@council.example" in result.detail


def test_partly_refused_recipients_count_as_sent(smtp_server: SmtpServer) -> None:
    """When some recipients take the message it is not sent again; the refused are named."""
    smtp_server.handler.refuse["gone@council.example"] = "550 5.1.1 No such mailbox"
    notice = make_notice(target={"to": ["manager@council.example", "gone@council.example"]})
    result = send_one(smtp_server.port, notice)
    assert result.ok
    assert "gone@council.example" in result.detail
    assert len(smtp_server.handler.envelopes) == 1


def test_failure_drops_the_connection_and_the_next_send_reconnects(
        smtp_server: SmtpServer) -> None:
    """After a failed send the next one starts on a fresh connection."""
    smtp_server.handler.refuse["gone@council.example"] = "550 5.1.1 No such mailbox"
    with notifier(smtp_server.port) as channel:
        assert not channel.send(make_notice(target={"to": "gone@council.example"})).ok
        assert channel.send(make_notice()).ok
    assert smtp_server.connections == 2


def test_refused_connection_is_retried(closed_port: int) -> None:
    """Nothing listening on the port: worth retrying."""
    result = send_one(closed_port)
    assert not result.ok
    assert result.retryable


def test_silent_server_times_out_and_is_retried(silent_port: int) -> None:
    """A server that never sends its banner times out, and that is worth retrying."""
    started = time.monotonic()
    result = send_one(silent_port, timeout=0.5)
    assert not result.ok
    assert result.retryable
    assert time.monotonic() - started < 3


def test_starttls_with_self_signed_certificate(
        smtp_factory: Callable[..., SmtpServer], tls_context: ssl.SSLContext,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """STARTTLS upgrades the connection (certificate checks off) before logging in."""
    server = smtp_factory(tls_context=tls_context, require_starttls=True,
                          authenticator=authenticator, auth_required=True)
    monkeypatch.setenv("SMTP_USER", USERNAME)
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    result = send_one(server.port, security="starttls", verify_tls=False,
                      username_env="SMTP_USER", password_env="SMTP_PASSWORD")
    assert result.ok, result.detail
    assert server.handler.authenticated == [True]


def test_self_signed_certificate_is_not_trusted_by_default(
        smtp_factory: Callable[..., SmtpServer], tls_context: ssl.SSLContext) -> None:
    """With verification on, an untrusted certificate fails the send (nothing is sent)."""
    server = smtp_factory(tls_context=tls_context, require_starttls=True)
    result = send_one(server.port, security="starttls")
    assert not result.ok
    assert "CERTIFICATE_VERIFY_FAILED" in result.detail
    assert server.handler.envelopes == []


def test_starttls_refused_when_server_does_not_offer_it(smtp_server: SmtpServer) -> None:
    """Never fall back to plain text: a server without STARTTLS is a permanent failure."""
    result = send_one(smtp_server.port, security="starttls")
    assert not result.ok
    assert not result.retryable
    assert smtp_server.handler.envelopes == []


def test_implicit_tls(smtp_factory: Callable[..., SmtpServer],
                      tls_context: ssl.SSLContext) -> None:
    """security "tls" speaks SMTP inside TLS from the first byte (SMTPS)."""
    server = smtp_factory(ssl_context=tls_context)
    result = send_one(server.port, security="tls", verify_tls=False)
    assert result.ok, result.detail
    assert len(server.handler.envelopes) == 1


def test_target_takes_one_address_or_a_list() -> None:
    """`to` may be written as one address; an empty list is refused."""
    assert EmailTarget.model_validate({"to": "a@b.example"}).to == ["a@b.example"]
    with pytest.raises(ValueError, match="at least 1"):
        EmailTarget.model_validate({"to": []})


def test_invalid_target_is_permanent(smtp_server: SmtpServer) -> None:
    """A notice whose target has no recipients fails for good without connecting."""
    result = send_one(smtp_server.port, make_notice(target={}))
    assert not result.ok
    assert not result.retryable
    assert "to" in result.detail
    assert smtp_server.connections == 0


def test_credentials_come_in_pairs() -> None:
    """A username variable without a password variable is a configuration error."""
    with pytest.raises(ValueError, match="both"):
        EmailOptions(username_env="SMTP_USER")
