"""The outbox: retries with backoff on 5xx, 429 (Retry-After), timeouts and refused
connections; permanent failures go dead; every attempt is recorded; a killed process
resumes and delivers each notice exactly once. Real HTTP and SMTP servers on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from alerting.delivery import DispatchReport, backoff, dispatch, notifier_factory
from alerting.settings import DeliverySettings
from alerting.store import Store
from notifiers import Notice
from tests.conftest import ROOT
from tests.notices.conftest import messages
from tests.notices.scenario import Council
from tests.notifiers.helpers import SmtpServer, free_port

AUG = date(2026, 8, 31)


@dataclass
class Clock:
    """Wall time that moves only when the dispatcher sleeps."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def deliver(council: Council, *, wait: timedelta = timedelta(hours=1)) -> DispatchReport:
    settings = council.settings
    clock = Clock(council.now)
    options = {c: settings.channel_options(c) for c in ("email", "teams")}
    return dispatch(council.store, notifier_factory(options), settings.delivery, clock=clock,
                    sleep=clock.sleep, wait_for_retries=wait)


def teams_entry(store: Store) -> str:
    [entry] = [e for e in store.outbox() if e.channel == "teams"]
    return entry.id


@pytest.fixture
def teams_council(store: Store, smtp: SmtpServer, httpserver: HTTPServer,
                  tmp_path: Path) -> Council:
    council = Council(tmp_path, store, smtp.port, httpserver.url_for("/workflows/hook"),
                      teams_timeout=0.5)
    council.visits({"Aug-26": 70})
    council.run(AUG, deliver=False)  # queue: one email and one card for 'performance'
    return council


def test_backoff_doubles_to_a_ceiling_and_honours_retry_after() -> None:
    """10s, 20s, 40s ... capped at max_retry; Retry-After wins when it asks for longer."""
    policy = DeliverySettings(first_retry=timedelta(seconds=10), max_retry=timedelta(minutes=1))
    assert [backoff(policy, n, None).total_seconds() for n in (1, 2, 3, 4, 5)] == \
        [10, 20, 40, 60, 60]
    assert backoff(policy, 1, 120).total_seconds() == 120
    assert backoff(policy, 3, 5).total_seconds() == 40


def test_retry_on_5xx_then_delivered(teams_council: Council, httpserver: HTTPServer) -> None:
    """A 503 is retried after backoff and the next attempt is delivered; both recorded."""
    httpserver.expect_ordered_request("/workflows/hook", method="POST") \
        .respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/workflows/hook", method="POST") \
        .respond_with_data("", status=202)
    report = deliver(teams_council)
    assert (report.sent, report.dead) == (2, 0)
    attempts = teams_council.store.attempts(teams_entry(teams_council.store))
    assert [a.outcome for a in attempts] == ["retry", "sent"]
    assert "503" in (attempts[0].detail or "")
    assert attempts[1].attempted_at - attempts[0].attempted_at >= timedelta(seconds=10)
    posted = httpserver.log[-1][0].get_json()
    assert posted["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"


def test_429_waits_for_retry_after(teams_council: Council, httpserver: HTTPServer) -> None:
    """A 429 with Retry-After: 120 is not retried sooner than 120 seconds later."""
    httpserver.expect_ordered_request("/workflows/hook").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "120"})
    httpserver.expect_ordered_request("/workflows/hook").respond_with_data("", status=200)
    report = deliver(teams_council)
    assert report.sent == 2
    attempts = teams_council.store.attempts(teams_entry(teams_council.store))
    assert [a.outcome for a in attempts] == ["retry", "sent"]
    assert attempts[1].attempted_at - attempts[0].attempted_at >= timedelta(seconds=120)


def test_timeout_is_retried(teams_council: Council, httpserver: HTTPServer) -> None:
    """A webhook slower than the timeout is retried, then delivered."""
    def slow(_request: Request) -> Response:
        time.sleep(1.0)
        return Response("", status=200)

    httpserver.expect_ordered_request("/workflows/hook").respond_with_handler(slow)
    httpserver.expect_ordered_request("/workflows/hook").respond_with_data("", status=200)
    report = deliver(teams_council)
    assert report.sent == 2
    attempts = teams_council.store.attempts(teams_entry(teams_council.store))
    assert [a.outcome for a in attempts] == ["retry", "sent"]
    assert "timed out" in (attempts[0].detail or "").lower()


def test_refused_connection_is_retried_until_attempts_run_out_then_dead(
        store: Store, smtp: SmtpServer, tmp_path: Path) -> None:
    """Nothing listening: retried with backoff, dead after max_attempts, then `retry` revives."""
    council = Council(tmp_path, store, smtp.port, f"http://127.0.0.1:{free_port()}/hook",
                      max_attempts=3)
    council.visits({"Aug-26": 70})
    council.run(AUG, deliver=False)
    report = deliver(council)
    assert (report.sent, report.dead) == (1, 1)  # the email went; the card is dead
    entry = teams_entry(store)
    attempts = store.attempts(entry)
    assert [a.outcome for a in attempts] == ["retry", "retry", "dead"]
    assert all("127.0.0.1" in (a.detail or "") for a in attempts)
    assert [e.id for e in store.outbox(["dead"])] == [entry]
    assert store.retry_dead() == 1
    assert store.outbox_counts()["pending"] == 1


def test_permanent_failure_goes_dead_at_once(teams_council: Council,
                                             httpserver: HTTPServer) -> None:
    """A 400 (e.g. a card the far end rejects) is not retried."""
    httpserver.expect_request("/workflows/hook").respond_with_data("Bad card", status=400)
    report = deliver(teams_council)
    assert (report.sent, report.dead) == (1, 1)
    attempts = teams_council.store.attempts(teams_entry(teams_council.store))
    assert [a.outcome for a in attempts] == ["dead"]


def test_retries_stop_at_the_wait_limit_and_resume_next_run(teams_council: Council,
                                                            httpserver: HTTPServer) -> None:
    """A run waits for retries only so long; what is left is sent by the next run."""
    httpserver.expect_ordered_request("/workflows/hook").respond_with_data("", status=500)
    httpserver.expect_ordered_request("/workflows/hook").respond_with_data("", status=200)
    first = deliver(teams_council, wait=timedelta(seconds=5))  # retry due after 10 s
    assert (first.sent, first.retrying) == (1, 1)
    teams_council.now += timedelta(minutes=1)
    second = deliver(teams_council, wait=timedelta(0))
    assert (second.sent, second.retrying) == (1, 0)


def test_concurrent_dispatchers_never_send_a_notice_twice(store: Store,
                                                          smtp: SmtpServer) -> None:
    """Two dispatchers on the same outbox (own connections) deliver each notice once."""
    now = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    notices = [Notice(id=f"n{i:03d}", receiver="performance", channel="email",
                      target={"to": ["performance@example.gov.uk"]}, subject=f"Notice {i}",
                      text="body", created_at=now) for i in range(40)]
    store.commit_run([], [], notices, now=now)
    options = {"email": _email_options(smtp.port)}
    url = store.engine.url.render_as_string(hide_password=False)
    reports: list[DispatchReport] = []

    def worker(name: str) -> None:
        own = Store.open(url, migrate_schema=False)  # alembic is not thread-safe
        try:
            reports.append(dispatch(own, notifier_factory(options), DeliverySettings(),
                                    worker=name, clock=lambda: now,
                                    wait_for_retries=timedelta(0)))
        finally:
            own.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [m["Message-ID"] for m in messages(smtp)]
    assert len(ids) == 40
    assert len(set(ids)) == 40
    assert sum(r.sent for r in reports) == 40
    assert store.outbox_counts()["sent"] == 40


def test_a_batch_that_outlives_its_lease_never_sends_a_notice_twice(store: Store,
                                                                    smtp: SmtpServer) -> None:
    """Each send takes longer than the lease (a slow Teams endpoint, say): the second
    dispatcher takes over what the first has not sent, and the first must not send those."""
    clock = [datetime(2026, 11, 2, 7, 0, tzinfo=UTC)]
    policy = DeliverySettings(lease=timedelta(minutes=15))
    notices = [Notice(id=f"n{i}", receiver="performance", channel="email",
                      target={"to": ["performance@example.gov.uk"]}, subject=f"Notice {i}",
                      text="body", created_at=clock[0]) for i in range(3)]
    store.commit_run([], [], notices, now=clock[0])
    build = notifier_factory({"email": _email_options(smtp.port)})
    taken: list[str] = []
    sends: list[str] = []

    class SlowEmail:
        """The real email notifier; its first send takes 16 minutes on the test clock."""

        def __init__(self) -> None:
            self.inner = build("email")

        def __enter__(self) -> SlowEmail:
            return self

        def __exit__(self, *exc: object) -> None:
            self.inner.close()

        def send(self, notice: Notice) -> object:
            sends.append(notice.id)
            if len(sends) == 2:  # while a sends its second notice, b looks for work
                taken.extend(e.id for e in store.claim_due_notices(
                    "b", now=clock[0], lease=policy.lease))
            result = self.inner.send(notice)
            if len(sends) == 1:  # the first send hangs for longer than the lease
                clock[0] += timedelta(minutes=16)
            return result

    report = dispatch(store, lambda _channel: SlowEmail(), policy,  # type: ignore[arg-type,return-value]
                      worker="a", clock=lambda: clock[0], wait_for_retries=timedelta(0))
    # a renewed n1's claim before sending it (the batch was 16 minutes old), so b found
    # only n2, whose lease had run out; a then saw n2 was no longer its own.
    assert taken == ["n2"]
    assert sends == ["n0", "n1"]
    assert report.sent == 2
    assert len(messages(smtp)) == 2


def _email_options(port: int):  # type: ignore[no-untyped-def]
    from notifiers.email import EmailOptions

    return EmailOptions(host="127.0.0.1", port=port, security="none", timeout=5)


KILLER = """
import os, signal, sys
import alerting.pipeline

def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # after the outbox commit, before any send

alerting.pipeline.deliver_outbox = killed
from alerting.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def cli_council(tmp_path: Path, smtp: SmtpServer) -> Iterator[Path]:
    council = Council(tmp_path, Store.open(f"sqlite:///{tmp_path / 'db.sqlite3'}"), smtp.port)
    council.visits({"Aug-26": 70}, area="Testshire")
    council.visits({"Aug-26": 60}, area="Stroud")
    council.plans(("C100001", "Stroud Safeguarding", date(2024, 1, 5)))
    council.store.close()
    config = tmp_path / "service.yaml"
    config.write_text(textwrap.dedent(f"""
        database_url: sqlite:///{tmp_path / 'db.sqlite3'}
        rules: [{tmp_path / 'rules'}]
        recipients: {tmp_path / 'recipients.yaml'}
        silences: {tmp_path / 'silences.yaml'}
        authority: Testshire
        notifiers:
          email: {{host: 127.0.0.1, port: {smtp.port}, security: none}}
    """))
    yield config


def test_killed_after_commit_then_restarted_delivers_each_notice_exactly_once(
        cli_council: Path, smtp: SmtpServer) -> None:
    """SIGKILL between the outbox commit and sending loses nothing and duplicates nothing."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", KILLER, "--config", str(cli_council), "notify",
               "--as-of", "2026-09-30"]
    killed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert killed.returncode == -9
    assert messages(smtp) == []
    store = Store.open(f"sqlite:///{cli_council.parent / 'db.sqlite3'}")
    try:
        queued = store.outbox_counts()
        assert queued["pending"] == 3  # performance digest, Stroud manager, head (counts)
        restart = [sys.executable, "-m", "alerting", "--config", str(cli_council), "notify",
                   "--as-of", "2026-09-30"]
        for _ in range(2):  # the restart delivers; a further run finds nothing new
            done = subprocess.run(restart, env=env, capture_output=True, text=True, check=False,
                                  timeout=120)
            assert done.returncode == 0, done.stderr
        assert store.outbox_counts() == {"pending": 0, "sending": 0, "sent": 3, "dead": 0}
    finally:
        store.close()
    ids = [m["Message-ID"] for m in messages(smtp)]
    assert len(ids) == 3
    assert len(set(ids)) == 3
