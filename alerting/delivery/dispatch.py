"""Delivery: send what the outbox holds, retrying in one place.

A notice is claimed, sent by its channel's notifier, and its attempt recorded: sent; retry
later with exponential backoff (honouring the far end's Retry-After); or dead, when the
failure is permanent or attempts run out. Notifiers never retry; only this module does.

One notifier per channel serves every batch of a pass, so email reuses one SMTP connection;
it is closed before waiting for retries. Outcomes are recorded a batch at a time, in one
transaction. Once a third of the lease has passed since the claim they are recorded before
every send, as the claim is renewed: an outcome still to be written always has as much of
its lease left as the notice being sent (at least two thirds), so no other dispatcher can
take over a notice that was sent. A process killed outright repeats, after the lease, at
most the notices it sent in its last second or so (RECORD_WITHIN, at most RECORD_AT_MOST),
each with the same id so the far end can recognise the repeat.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
import structlog

from alerting.config.settings import DeliverySettings
from alerting.model.clock import Clock, utc_now
from alerting.store.notices import AttemptOutcome, OutboxEntry
from alerting.store.store import Store
from notifiers import NOTIFIERS, ChannelOptions, DeliveryResult, Notifier

log = structlog.get_logger(__name__)

NotifierFactory = Callable[[str], Notifier]

# Outcomes are written before the next send once there are this many, or once the first of
# them began this long ago (so a killed process repeats little).
RECORD_AT_MOST = 100
RECORD_WITHIN = timedelta(seconds=1)
# If writing the outcomes fails, it is tried again after these waits (seconds).
RECORD_RETRY_WAITS = (0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    attempts: int = 0
    dead_ids: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.sent} sent, {self.retrying} to retry later, {self.dead} dead "
                f"({self.attempts} attempt(s))")


def backoff(policy: DeliverySettings, attempts: int, retry_after: float | None) -> timedelta:
    """Wait before the next attempt: first_retry doubled per attempt, capped at max_retry,
    and never sooner than the far end asked (Retry-After), up to give_up_after: a longer
    wait (inf, 1e12: too long for a timedelta) would outlast the notice anyway."""
    wait: timedelta = min(policy.first_retry * (2 ** max(attempts - 1, 0)), policy.max_retry)
    if retry_after is not None:
        # min() with the cap first: inf and NaN give the cap
        wait = max(wait, timedelta(seconds=min(policy.give_up_after.total_seconds(),
                                               retry_after)))
    return wait


def notifier_factory(options: Mapping[str, ChannelOptions], *,
                     now: Clock = utc_now) -> NotifierFactory:
    """Builds each channel's notifier with its options; `now` dates a notice without a time."""
    def build(channel: str) -> Notifier:
        notifier = NOTIFIERS[channel]
        return notifier(options.get(channel) or notifier.Options(), now=now)
    return build


def _attempt(notifier: Notifier, entry: OutboxEntry) -> tuple[DeliveryResult, int]:
    started = time.monotonic()
    try:
        result = notifier.send(entry.notice)
    except Exception as exc:  # a notifier bug must not stop the other notices
        log.exception("notifier_error", notice=entry.id, channel=entry.channel)
        result = DeliveryResult.retry(f"unexpected error in the {entry.channel} notifier: "
                                      f"{type(exc).__name__}")
    return result, int((time.monotonic() - started) * 1000)


def _outcome(result: DeliveryResult, entry: OutboxEntry, policy: DeliverySettings,
             now: datetime) -> tuple[str, datetime | None]:
    if result.ok:
        return "sent", None
    attempts = entry.attempts + 1
    if not result.retryable or attempts >= policy.max_attempts:
        return "dead", None
    next_at = now + backoff(policy, attempts, result.retry_after)
    if next_at - entry.created_at > policy.give_up_after:
        return "dead", None
    return "retry", next_at


def dispatch(store: Store, build: NotifierFactory, policy: DeliverySettings, *,
             worker: str = "dispatcher", clock: Callable[[], datetime] = utc_now,
             sleep: Callable[[float], None] = time.sleep,
             wait_for_retries: timedelta | None = None,
             stop: Callable[[], bool] | None = None) -> DispatchReport:
    """Send every due notice; then, for up to `wait_for_retries`, wait for retries that fall
    due and send them too. What is still pending is left for the next run.

    `stop` is asked between notices: when it says stop (SIGTERM), the notice being sent
    is finished, what was sent is recorded, and the rest of the batch is handed back to the
    queue at once.
    """
    report = DispatchReport()
    wait = policy.wait_for_retries if wait_for_retries is None else wait_for_retries
    deadline = clock() + wait
    stopping = stop or (lambda: False)
    # Claims carry a token of this pass, not just the worker's name: two dispatchers with
    # the same name (two `alerting notify` runs, two containers with one host name) must
    # never take each other's claims for their own.
    claimant = f"{worker[:100]}/{uuid.uuid4().hex[:12]}"
    with Notifiers(build) as notifiers:
        while not stopping():
            claimed_at = clock()
            claimed = store.claim_due_notices(claimant, now=claimed_at, lease=policy.lease)
            if claimed:
                batch = Batch(store, policy, claimant, clock, report, claimed, claimed_at,
                              sleep)
                batch.send(notifiers, stopping)
                continue
            # A retry starts afresh: a new connection, and a server that could not be
            # used before is tried again.
            notifiers.close()
            upcoming = [e.next_attempt_at for e in store.outbox(["pending"])]
            now = clock()
            soonest = min(upcoming, default=None)
            if soonest is None or soonest > deadline:
                break
            sleep(max((soonest - now).total_seconds(), 0.0))
    report.retrying = store.outbox_counts()["pending"]
    return report


class Notifiers:
    """One open notifier per channel, built when first needed, closed together."""

    def __init__(self, build: NotifierFactory) -> None:
        self._build = build
        self._open: dict[str, Notifier] = {}
        self._stack = ExitStack()

    def __call__(self, channel: str) -> Notifier:
        if channel not in self._open:
            self._open[channel] = self._stack.enter_context(self._build(channel))
        return self._open[channel]

    def new_batch(self) -> None:
        for notifier in self._open.values():
            notifier.new_batch()

    def close(self) -> None:
        self._open.clear()
        self._stack.close()

    def __enter__(self) -> Notifiers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Batch:
    """The notices of one claim, sent channel by channel, their outcomes recorded together."""

    store: Store
    policy: DeliverySettings
    worker: str
    clock: Callable[[], datetime]
    report: DispatchReport
    claimed: list[OutboxEntry]
    claimed_at: datetime
    sleep: Callable[[float], None] = time.sleep
    unrecorded: list[AttemptOutcome] = field(default_factory=list)
    unrecorded_since: datetime | None = None  # when the first unrecorded send began

    def send(self, notifiers: Notifiers, stopping: Callable[[], bool]) -> None:
        notifiers.new_batch()
        try:
            self._send_each(notifiers, stopping)
        finally:  # whatever stopped the batch, what was sent is recorded as sent
            self.record()

    def _send_each(self, notifiers: Notifiers, stopping: Callable[[], bool]) -> None:
        by_channel: dict[str, list[OutboxEntry]] = defaultdict(list)
        for entry in self.claimed:
            by_channel[entry.channel].append(entry)
        for channel, entries in by_channel.items():
            if channel not in NOTIFIERS:
                for entry in entries:
                    self._finish(entry, DeliveryResult.permanent(
                        f"unknown channel {channel!r}"), 0, self.clock())
                continue
            for entry in entries:
                if stopping():
                    self.record()  # before handing back: only untried notices go back
                    self.store.release_claims([e.id for e in self.claimed], worker=self.worker)
                    return
                self._record_if_due()
                if self._still_ours(entry):
                    started = self.clock()
                    result, elapsed = _attempt(notifiers(channel), entry)
                    self._finish(entry, result, elapsed, started)

    def _still_ours(self, entry: OutboxEntry) -> bool:
        """Within a third of the lease nobody else can have taken the notice; after that,
        record what was sent, then check (and renew) the claim before each send, so a slow
        batch never double-sends."""
        if self.clock() - self.claimed_at <= self.policy.lease / 3:
            return True
        self.record()
        if self.store.renew_claim(entry.id, worker=self.worker, now=self.clock()):
            return True
        log.warning("notice_claim_lost", notice=entry.id,
                    detail="the lease ran out while earlier notices of the batch were sent; "
                           "another dispatcher has it")
        return False

    def _finish(self, entry: OutboxEntry, result: DeliveryResult, elapsed: int,
                started: datetime) -> None:
        now = self.clock()
        outcome, next_at = _outcome(result, entry, self.policy, now)
        if not self.unrecorded:
            self.unrecorded_since = started
        self.unrecorded.append(AttemptOutcome(entry, outcome, result.detail or None, elapsed,
                                              now, next_at))
        _report(self.report, entry, outcome, result, next_at)

    def _record_if_due(self) -> None:
        """Before the next send: write the outcomes if there are many, or if the first of
        them began a second ago (so a slow channel records after every send)."""
        since = self.unrecorded_since
        if self.unrecorded and (len(self.unrecorded) >= RECORD_AT_MOST or
                                (since is not None and self.clock() - since >= RECORD_WITHIN)):
            self.record()

    def record(self) -> None:
        """Write the outcomes not yet recorded, in one transaction. They are kept until the
        write commits: if the database fails (locked, a failover), the write is tried again
        for a while, and nothing more is sent meanwhile; if it never succeeds the error
        stops the pass, and those notices go again after their lease (same ids)."""
        if not self.unrecorded:
            return
        outcomes = list(self.unrecorded)
        held = self._write(outcomes)
        self.unrecorded, self.unrecorded_since = [], None
        if held < len(outcomes):
            log.warning("notice_claims_lost_before_recording", attempts=len(outcomes),
                        held=held, detail="another dispatcher took over some of these "
                                          "notices after their lease ran out")


    def _write(self, outcomes: list[AttemptOutcome]) -> int:
        for wait in RECORD_RETRY_WAITS:
            try:
                return self.store.record_attempts(outcomes, worker=self.worker)
            except sa.exc.DBAPIError as exc:
                log.warning("notice_outcomes_record_retry", attempts=len(outcomes), wait=wait,
                            error=_db_error(exc))
                self.sleep(wait)
        try:
            return self.store.record_attempts(outcomes, worker=self.worker)
        except sa.exc.DBAPIError as exc:
            log.error("notice_outcomes_not_recorded", attempts=len(outcomes),
                      error=_db_error(exc))
            raise


def _db_error(exc: sa.exc.DBAPIError) -> str:
    return type(exc.orig).__name__ if exc.orig else str(exc)


def _report(report: DispatchReport, entry: OutboxEntry, outcome: str,
            result: DeliveryResult, next_at: datetime | None) -> None:
    report.attempts += 1
    event = {"notice": entry.id, "receiver": entry.receiver, "channel": entry.channel,
             "attempt": entry.attempts + 1, "detail": result.detail}
    if outcome == "sent":
        report.sent += 1
        log.info("notice_sent", **event)
    elif outcome == "dead":
        report.dead += 1
        report.dead_ids.append(entry.id)
        log.error("notice_dead", **event)
    else:
        log.warning("notice_retry", next_attempt_at=next_at.isoformat() if next_at else None,
                    **event)
