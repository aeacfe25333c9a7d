"""Service logs: JSON lines off a terminal, secrets never written, one run id per run."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from pytest_httpserver import HTTPServer

from alerting.cli.main import main
from alerting.service import logs
from alerting.service.logs import configure_logging, register_secrets
from alerting.store import Store
from tests.conftest import ROOT
from tests.notifiers.helpers import (
    USERNAME,
    Collector,
    CountingController,
    SmtpServer,
    authenticator,
    free_port,
)

SIG = "SECRETSIG123456"
WORKFLOW = "abc123"
TEAMS_PATH = f"/workflows/{WORKFLOW}/triggers/manual/paths/invoke"
TEAMS_QUERY = f"api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig={SIG}"
TEAMS_URL = f"https://prod-12.westeurope.logic.azure.com:443{TEAMS_PATH}?{TEAMS_QUERY}"
SMTP_SECRET = "wr0ng-Pa55word-for-smtp"


@pytest.fixture(autouse=True)
def _no_secrets_from_other_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no registered secrets (the registry is module state)."""
    monkeypatch.setattr(logs, "_secrets", set())


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of `text` that is a JSON object."""
    events = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                events.append(parsed)
    return events


def logged(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = [line for line in stream.getvalue().splitlines() if line]
    events = [json.loads(line) for line in lines]
    assert all(isinstance(e, dict) for e in events)
    return events


# --- (a) the format --------------------------------------------------------------------------


def test_non_terminal_stream_gets_one_json_object_per_line() -> None:
    """Off a terminal each event is one JSON line with level, timestamp and event."""
    stream = io.StringIO()
    configure_logging(1, stream=stream)
    log = structlog.get_logger("test")
    log.info("run_started", as_of="2021-09-30")
    log.warning("source_stale", source="cp-plans", days=4)
    log.debug("not_shown_at_info")
    events = logged(stream)
    assert [e["event"] for e in events] == ["run_started", "source_stale"]
    assert [e["level"] for e in events] == ["info", "warning"]
    assert all(e["timestamp"].endswith("Z") and e["timestamp"].startswith("20") for e in events)
    assert events[1]["source"] == "cp-plans"
    assert events[1]["days"] == 4


def test_default_level_is_warning() -> None:
    """Without -v only warnings and errors are written."""
    stream = io.StringIO()
    configure_logging(0, stream=stream)
    log = structlog.get_logger("test")
    log.info("quiet")
    log.error("loud")
    assert [e["event"] for e in logged(stream)] == ["loud"]


# --- (b) redaction ---------------------------------------------------------------------------


def test_teams_webhook_url_keeps_only_host_and_first_segment() -> None:
    """A Workflows URL keeps its host; the workflow id and the signature are gone."""
    stream = io.StringIO()
    configure_logging(1, stream=stream)
    structlog.get_logger("test").warning(
        "delivery_failed", url=TEAMS_URL, detail=f"HTTP 500 from {TEAMS_URL} (retrying)",
        targets={"teams": [TEAMS_URL]})
    text = stream.getvalue()
    assert SIG not in text
    assert WORKFLOW not in text
    assert "triggers" not in text
    event = logged(stream)[0]
    assert event["url"].startswith("https://prod-12.westeurope.logic.azure.com")
    assert "prod-12.westeurope.logic.azure.com" in event["detail"]
    assert event["detail"].endswith("(retrying)")


def test_password_in_a_database_url_is_masked() -> None:
    """postgresql://user:password@host keeps user, host and database, not the password."""
    stream = io.StringIO()
    configure_logging(1, stream=stream)
    url = "postgresql+psycopg://alerting:s3cret-Db-pw@db-host:5432/alerting"
    structlog.get_logger("test").error("database_unreachable", url=url,
                                       error=f"could not connect to {url}: timeout")
    text = stream.getvalue()
    assert "s3cret-Db-pw" not in text
    event = logged(stream)[0]
    assert event["url"] == "postgresql+psycopg://alerting:***@db-host:5432/alerting"
    assert "alerting:***@db-host" in event["error"]


def test_registered_smtp_password_is_masked_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """SMTP_PASSWORD from the environment is masked in values, nested values and the event."""
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_SECRET)
    register_secrets()
    stream = io.StringIO()
    configure_logging(1, stream=stream)
    structlog.get_logger("test").warning(f"login with {SMTP_SECRET}", password=SMTP_SECRET,
                                         attempt={"tried": [f"x{SMTP_SECRET}y"]})
    assert SMTP_SECRET not in stream.getvalue()
    event = logged(stream)[0]
    assert event["password"] == "***"
    assert event["attempt"] == {"tried": ["x***y"]}


def test_password_env_named_by_the_config_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SMTP password is secret even when its variable's name does not look secret."""
    from alerting.config.settings import Settings

    monkeypatch.setenv("MAIL_LOGIN_PW", SMTP_SECRET)
    settings = Settings.model_validate({"notifiers": {"email": {
        "username_env": "MAIL_LOGIN_USER", "password_env": "MAIL_LOGIN_PW"}}})
    register_secrets(settings)
    assert SMTP_SECRET in logs.known_secrets()


def test_secret_inside_an_exception_traceback_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    """log.exception's traceback is scrubbed too, message and all."""
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_SECRET)
    register_secrets()
    stream = io.StringIO()
    configure_logging(0, stream=stream)
    password = SMTP_SECRET
    try:
        raise RuntimeError(f"server refused login alerts:{password} at {TEAMS_URL}")
    except RuntimeError:
        structlog.get_logger("test").exception("smtp_login_failed")
    text = stream.getvalue()
    event = logged(stream)[0]
    assert "RuntimeError: server refused login alerts:***" in event["exception"]
    assert "Traceback (most recent call last)" in event["exception"]
    assert SMTP_SECRET not in text
    assert SIG not in text


@pytest.mark.parametrize("fields", [
    {"error": RuntimeError(f"login refused for alerts:{SMTP_SECRET}")},
    {"per_webhook": {TEAMS_URL: 3}},
], ids=["exception object as a value", "URL as a mapping key"])
def test_secrets_in_values_that_are_not_strings_are_masked(
        monkeypatch: pytest.MonkeyPatch, fields: dict[str, Any]) -> None:
    """A secret is masked however it reaches the event: inside an object or as a key."""
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_SECRET)
    register_secrets()
    stream = io.StringIO()
    configure_logging(0, stream=stream)
    structlog.get_logger("test").error("delivery_failed", **fields)
    text = stream.getvalue()
    assert "delivery_failed" in text
    assert SMTP_SECRET not in text
    assert SIG not in text


# --- (c) a real run with failing channels ----------------------------------------------------


@pytest.fixture
def smtp_refusing_login() -> Iterator[SmtpServer]:
    """A loopback SMTP server that requires AUTH and accepts only tests' USERNAME/PASSWORD."""
    handler = Collector()
    controller = CountingController(handler, hostname="127.0.0.1", port=free_port(),
                                    authenticator=authenticator, auth_required=True,
                                    auth_require_tls=False)
    controller.start()
    try:
        yield SmtpServer(controller, handler)
    finally:
        controller.stop()


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def live_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                smtp_refusing_login: SmtpServer, httpserver: HTTPServer) -> Path:
    """The shipped config sending for real: email to the refusing SMTP server (with a wrong
    password), and the performance team also to a Teams URL that answers 500."""
    work = tmp_path / "work"
    for part in ("config", "rules", "examples"):
        shutil.copytree(ROOT / part, work / part)
    service = work / "config" / "service.yaml"
    replace_in(service, "port: 587", f"port: {smtp_refusing_login.port}")
    replace_in(service, "security: starttls", "security: none")
    replace_in(service, "# username_env: SMTP_USERNAME", "username_env: MAIL_LOGIN_USER")
    replace_in(service, "# password_env: SMTP_PASSWORD", "password_env: MAIL_LOGIN_PW")
    replace_in(service, "first_retry: 30s", "first_retry: 1h")
    replace_in(service, "wait_for_retries: 2min", "wait_for_retries: 0s")
    replace_in(service, "requests_per_second: 4", "requests_per_second: 1000")  # no pacing
    teams_url = httpserver.url_for(TEAMS_PATH) + "?" + TEAMS_QUERY
    replace_in(work / "config" / "recipients.yaml",
               "      to: [performance.team@example.gov.uk]\n",
               "      to: [performance.team@example.gov.uk]\n"
               f"    teams:\n      url: '{teams_url}'\n")
    # The endpoint fails, and its error body quotes the signature back.
    httpserver.expect_request(TEAMS_PATH, method="POST").respond_with_data(
        f"InternalServerError: could not check signature {SIG}", status=500)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MAIL_LOGIN_USER", USERNAME)
    monkeypatch.setenv("MAIL_LOGIN_PW", SMTP_SECRET)
    monkeypatch.setenv("CSC_ALERTING_NOTICES_FOLDER", "")
    monkeypatch.setenv("CSC_ALERTING_DATABASE_URL", f"sqlite:///{tmp_path / 'alerting.db'}")
    monkeypatch.delenv("CSC_ALERTING_DATA", raising=False)
    monkeypatch.setenv("CSC_ALERTING_WORKER_NAME", "test-worker")
    monkeypatch.chdir(work)
    return work


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_run_with_failing_channels_logs_one_run_id_and_no_secret(
        live_config: Path, smtp_refusing_login: SmtpServer, httpserver: HTTPServer,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`alerting -v run`: SMTP login refused (535) and Teams 500; the run finishes, every
    JSON log line carries the same run id, no secret is written, notices wait for retry."""
    assert main(["-v", "run", "--as-of", "2021-09-30"]) == 0
    captured = capsys.readouterr()
    for secret in (SMTP_SECRET, SIG):
        assert secret not in captured.out
        assert secret not in captured.err
    assert WORKFLOW not in captured.out + captured.err

    events = json_lines(captured.out)
    assert len(events) > 3
    run_ids = {e.get("run_id") for e in events}
    assert len(run_ids) == 1, sorted(map(str, run_ids))
    (run_id,) = run_ids
    assert run_id
    assert {e.get("job") for e in events} == {"all"}
    names = [e["event"] for e in events]
    assert "run_started" in names
    assert "run_finished" in names
    finished = next(e for e in events if e["event"] == "run_finished")
    assert finished["outcome"] in {"ok", "degraded"}
    assert finished["notices_queued"] > 0
    assert finished["notices_sent"] == 0
    summary = next(line for line in captured.out.splitlines() if line.startswith("run "))
    assert summary.startswith(f"run {run_id} (all, as of 2021-09-30): ")

    # Both failures happened for real: the server refused the login, Teams was posted to.
    assert smtp_refusing_login.handler.envelopes == []
    assert smtp_refusing_login.connections >= 1
    assert any(request.path == TEAMS_PATH for request, _ in httpserver.log)

    store = Store.open(f"sqlite:///{tmp_path / 'alerting.db'}")
    try:
        entries = store.outbox()
    finally:
        store.close()
    assert entries
    assert not [e for e in entries if e.status == "sent"]
    teams = [e for e in entries if e.channel == "teams"]
    assert teams
    assert all(e.status == "pending" and e.attempts == 1 for e in teams)
    assert all(e.status in {"pending", "dead"} for e in entries)

    # What the outbox shows of the failures gives away no secret either.
    assert main(["outbox", "list"]) == 0
    shown = capsys.readouterr()
    assert "pending" in shown.out
    for secret in (SMTP_SECRET, SIG):
        assert secret not in shown.out + shown.err
