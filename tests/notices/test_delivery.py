"""The outbox: retries with backoff on 5xx, 429 (Retry-After), timeouts and refused
connections; permanent failures go dead; every attempt is recorded; a killed process
resumes and delivers each notice exactly once; one SMTP connection serves a pass and a batch's
outcomes are recorded together. Real HTTP and SMTP servers on loopback."""

from __future__ import annotations

import json
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
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from alerting.config.settings import DeliverySettings
from alerting.delivery.dispatch import DispatchReport, backoff, dispatch, notifier_factory
from alerting.store import Store
from alerting.store.notices import AttemptOutcome
from alerting.store.schema import notices as notices_table
from notifiers import Notice
from tests.conftest import ROOT
from tests.notices.conftest import messages
from tests.notices.scenario import Council
from tests.notifiers.helpers import Collector, CountingController, SmtpServer, free_port

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


def test_a_notice_queued_in_the_old_form_still_sends(teams_council: Council,
                                                     httpserver: HTTPServer) -> None:
    """A card queued before notices carried `documents` (its own `card` key) is posted."""
    store = teams_council.store
    entry = teams_entry(store)
    [row] = [e for e in store.outbox() if e.id == entry]
    body = json.loads(row.body)
    card = body["documents"].pop("adaptive_card")
    old = {**{k: v for k, v in body.items() if k != "documents"},
           "card": card, "message_card": None, "payload": None}
    with store.engine.begin() as conn:
        conn.execute(sa.update(notices_table).where(notices_table.c.id == entry)
                     .values(body=json.dumps(old)))
    httpserver.expect_request("/workflows/hook", method="POST").respond_with_data("", 202)
    report = deliver(teams_council)
    assert (report.sent, report.dead) == (2, 0)
    posted = httpserver.log[-1][0].get_json()
    assert posted["attachments"][0]["content"] == card


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


@pytest.mark.parametrize("other", ["b", "a"], ids=["another-name", "the-same-name"])
def test_a_batch_that_outlives_its_lease_never_sends_a_notice_twice(store: Store,
                                                                    smtp: SmtpServer,
                                                                    other: str) -> None:
    """Each send takes longer than the lease (a slow Teams endpoint, say): the second
    dispatcher takes over what the first has not sent, and the first must not send those —
    also when both run under the same worker name (two `alerting notify` runs, two
    containers with one host name): claims carry a token of each pass."""
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
                    other, now=clock[0], lease=policy.lease))
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


def _queue_emails(store: Store, count: int, now: datetime) -> list[str]:
    notices = [Notice(id=f"n{i:03d}", receiver="performance", channel="email",
                      target={"to": ["performance@example.gov.uk"]}, subject=f"Notice {i}",
                      text="body", created_at=now + timedelta(microseconds=i))
               for i in range(count)]
    store.commit_run([], [], notices, now=now)
    return [n.id for n in notices]


class TimedEmail:
    """The real email notifier, on a test clock that moves `seconds` per send; `seen` is
    what the outbox said was sent as each send began."""

    def __init__(self, port: int, store: Store, clock: list[datetime], seconds: float) -> None:
        self.inner = notifier_factory({"email": _email_options(port)})("email")
        self.store, self.clock, self.seconds = store, clock, seconds
        self.seen: list[int] = []

    def __enter__(self) -> TimedEmail:
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.close()

    def send(self, notice: Notice) -> object:
        self.seen.append(self.store.outbox_counts()["sent"])
        result = self.inner.send(notice)
        self.clock[0] += timedelta(seconds=self.seconds)
        return result


def test_one_smtp_connection_serves_every_batch_of_a_pass(store: Store,
                                                          smtp: SmtpServer) -> None:
    """250 notices are claimed in three batches and all travel over one SMTP connection."""
    now = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    _queue_emails(store, 250, now)
    before = smtp.connections
    report = dispatch(store, notifier_factory({"email": _email_options(smtp.port)}),
                      DeliverySettings(), clock=lambda: now, wait_for_retries=timedelta(0))
    assert report.sent == 250
    assert len({m["Message-ID"] for m in messages(smtp)}) == 250
    assert smtp.connections - before == 1


def test_outcomes_are_recorded_a_batch_at_a_time(store: Store, smtp: SmtpServer) -> None:
    """250 notices take a handful of transactions (a claim and a record per batch of 100),
    not two per notice; every attempt is still recorded and every notice marked sent."""
    now = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    ids = _queue_emails(store, 250, now)
    commits: list[int] = []
    sa.event.listen(store.engine, "commit", lambda _conn: commits.append(1))
    report = dispatch(store, notifier_factory({"email": _email_options(smtp.port)}),
                      DeliverySettings(), clock=lambda: now, wait_for_retries=timedelta(0))
    assert report.sent == 250
    assert len(commits) <= 2 * 3 + 1  # three batches, and the claim that found none
    assert store.outbox_counts() == {"pending": 0, "sending": 0, "sent": 250, "dead": 0}
    assert [a.outcome for a in store.attempts(ids[0])] == ["sent"]
    assert [a.outcome for a in store.attempts(ids[-1])] == ["sent"]


def test_an_outcome_is_recorded_before_the_next_send_once_it_is_a_second_old(
        store: Store, smtp: SmtpServer) -> None:
    """Sends that take two seconds each: every outcome is written before the next send, so a
    killed dispatcher would repeat at most the notice in flight."""
    clock = [datetime(2026, 11, 2, 7, 0, tzinfo=UTC)]
    _queue_emails(store, 3, clock[0])
    email = TimedEmail(smtp.port, store, clock, seconds=2)
    report = dispatch(store, lambda _channel: email, DeliverySettings(),  # type: ignore[arg-type,return-value]
                      clock=lambda: clock[0], wait_for_retries=timedelta(0))
    assert report.sent == 3
    assert email.seen == [0, 1, 2]


def test_quick_sends_are_recorded_together_at_the_end_of_the_batch(
        store: Store, smtp: SmtpServer) -> None:
    """Sends well within a second of each other are written together, once the batch ends."""
    clock = [datetime(2026, 11, 2, 7, 0, tzinfo=UTC)]
    _queue_emails(store, 3, clock[0])
    email = TimedEmail(smtp.port, store, clock, seconds=0.1)
    dispatch(store, lambda _channel: email, DeliverySettings(),  # type: ignore[arg-type,return-value]
             clock=lambda: clock[0], wait_for_retries=timedelta(0))
    assert email.seen == [0, 0, 0]
    assert store.outbox_counts()["sent"] == 3


def test_stopping_mid_batch_records_what_was_sent_and_hands_back_the_rest(
        store: Store, smtp: SmtpServer) -> None:
    """SIGTERM after four sends: those four are recorded as sent, the other six go back to
    the queue, and the next dispatcher sends only those six."""
    now = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    _queue_emails(store, 10, now)
    build = notifier_factory({"email": _email_options(smtp.port)})
    first = dispatch(store, build, DeliverySettings(), clock=lambda: now,
                     wait_for_retries=timedelta(0),
                     stop=lambda: len(smtp.handler.envelopes) >= 4)
    assert first.sent == 4
    assert store.outbox_counts() == {"pending": 6, "sending": 0, "sent": 4, "dead": 0}
    second = dispatch(store, build, DeliverySettings(), clock=lambda: now,
                      wait_for_retries=timedelta(0))
    assert second.sent == 6
    ids = [m["Message-ID"] for m in messages(smtp)]
    assert len(ids) == 10
    assert len(set(ids)) == 10


def test_a_server_that_was_down_is_tried_again_after_the_wait(store: Store) -> None:
    """The server refuses connections, so the batch is queued to retry without trying it
    for every notice; it comes up while the dispatcher waits, and the retries go through
    on a fresh connection."""
    port = free_port()
    clock = Clock(datetime(2026, 11, 2, 7, 0, tzinfo=UTC))
    _queue_emails(store, 3, clock.now)
    started: list[CountingController] = []

    def wait_and_start_the_server(seconds: float) -> None:
        clock.sleep(seconds)
        if not started:
            started.append(CountingController(Collector(), hostname="127.0.0.1", port=port))
            started[0].start()

    policy = DeliverySettings(first_retry=timedelta(seconds=10))
    try:
        report = dispatch(store, notifier_factory({"email": _email_options(port)}), policy,
                          clock=clock, sleep=wait_and_start_the_server,
                          wait_for_retries=timedelta(minutes=1))
        assert started
        delivered = len(started[0].handler.envelopes)
    finally:
        for controller in started:
            controller.stop()
    assert (report.sent, report.dead, report.attempts) == (3, 0, 6)
    assert delivered == 3
    assert store.outbox_counts()["sent"] == 3


def test_record_attempts_ends_each_attempt_in_one_transaction(store: Store) -> None:
    """Sent, retry and dead outcomes recorded together: each notice's status, attempt count,
    error, next attempt and sent time, and an attempt row each."""
    now = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    _queue_emails(store, 3, now)
    sent, retry, dead = store.claim_due_notices("a", now=now)
    later = now + timedelta(seconds=5)
    held = store.record_attempts([
        AttemptOutcome(sent, "sent", "sent to 1 recipient(s)", 12, later),
        AttemptOutcome(retry, "retry", "451 try later", 7, later, later + timedelta(minutes=1)),
        AttemptOutcome(dead, "dead", "550 no such mailbox", 3, later),
    ], worker="a")
    assert held == 3
    entries = {e.id: e for e in store.outbox()}
    assert (entries[sent.id].status, entries[sent.id].sent_at) == ("sent", later)
    assert entries[sent.id].last_error is None
    assert (entries[retry.id].status, entries[retry.id].last_error) == ("pending", "451 try later")
    assert entries[retry.id].next_attempt_at == later + timedelta(minutes=1)
    assert (entries[dead.id].status, entries[dead.id].sent_at) == ("dead", None)
    assert entries[dead.id].next_attempt_at == dead.next_attempt_at
    assert {e.attempts for e in entries.values()} == {1}
    assert [(a.outcome, a.duration_ms) for a in store.attempts(retry.id)] == [("retry", 7)]
    assert store.outbox_counts()["sending"] == 0


def test_record_attempts_leaves_a_notice_another_dispatcher_took_over(store: Store) -> None:
    """After the lease ran out and b took the notice, a's outcome is recorded as an attempt
    but does not end b's claim; record_attempts says it no longer held it."""
    now = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    lease = timedelta(minutes=15)
    _queue_emails(store, 1, now)
    [entry] = store.claim_due_notices("a", now=now, lease=lease)
    later = now + timedelta(minutes=16)
    assert [e.id for e in store.claim_due_notices("b", now=later, lease=lease)] == [entry.id]
    assert store.record_attempts([AttemptOutcome(entry, "sent", "ok", 5, later)],
                                 worker="a") == 0
    assert store.outbox_counts()["sending"] == 1
    assert [a.outcome for a in store.attempts(entry.id)] == ["sent"]


def test_claims_come_oldest_first_and_never_twice(store: Store) -> None:
    """A claim takes the oldest due notices up to the limit; a second dispatcher gets the
    rest, and nothing is left to claim."""
    now = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    ids = _queue_emails(store, 5, now)
    first = store.claim_due_notices("a", now=now, limit=3)
    second = store.claim_due_notices("b", now=now, limit=3)
    assert [e.id for e in first] == ids[:3]
    assert [e.id for e in second] == ids[3:]
    assert {e.status for e in first + second} == {"sending"}
    assert store.claim_due_notices("c", now=now) == []


def _email_options(port: int):  # type: ignore[no-untyped-def]
    from notifiers.email import EmailOptions

    return EmailOptions(host="127.0.0.1", port=port, security="none", timeout=5)


KILLER = """
import os, signal, sys
import alerting.pipeline

def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # after the outbox commit, before any send

alerting.pipeline.deliver_outbox = killed
from alerting.cli.main import main
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


def test_outcomes_the_database_refused_are_written_again_and_nothing_is_sent_twice(
        store: Store, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database fails the first write of a batch's outcomes (locked, a failover): the
    outcomes are kept and written on the next try, so no sent notice goes again."""
    now = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    _queue_emails(store, 5, now)
    real = store.record_attempts
    calls: list[int] = []

    def flaky(outcomes: list[AttemptOutcome], *, worker: str) -> int:
        calls.append(len(outcomes))
        if len(calls) == 1:
            raise sa.exc.OperationalError("UPDATE notices", {}, Exception("database is locked"))
        return real(outcomes, worker=worker)

    monkeypatch.setattr(store, "record_attempts", flaky)
    waits: list[float] = []
    report = dispatch(store, notifier_factory({"email": _email_options(smtp.port)}),
                      DeliverySettings(), clock=lambda: now, sleep=waits.append,
                      wait_for_retries=timedelta(0))
    assert calls == [5, 5] and waits == [0.5]
    assert report.sent == 5 and len(messages(smtp)) == 5
    assert store.outbox_counts() == {"pending": 0, "sending": 0, "sent": 5, "dead": 0}


def test_outcomes_that_cannot_be_written_stop_the_pass(store: Store, smtp: SmtpServer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A database that stays down: the pass stops with the error after the retries, and the
    notices stay claimed (they go again after the lease, with the same ids)."""
    now = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    _queue_emails(store, 3, now)

    def down(outcomes: list[AttemptOutcome], *, worker: str) -> int:
        raise sa.exc.OperationalError("UPDATE notices", {}, Exception("server closed"))

    monkeypatch.setattr(store, "record_attempts", down)
    waits: list[float] = []
    with pytest.raises(sa.exc.OperationalError):
        dispatch(store, notifier_factory({"email": _email_options(smtp.port)}),
                 DeliverySettings(), clock=lambda: now, sleep=waits.append,
                 wait_for_retries=timedelta(0))
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert store.outbox_counts()["sending"] == 3
