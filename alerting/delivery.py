"""Delivery: send what the outbox holds, retrying in one place.

A notice is claimed, sent by its channel's notifier, and its attempt recorded: sent; retry
later with exponential backoff (honouring the far end's Retry-After); or dead, when the
failure is permanent or attempts run out. One notifier per channel per pass, so email
reuses one SMTP connection for a batch. Notifiers never retry; only this module does.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from alerting.settings import DeliverySettings
from alerting.store.notices import OutboxEntry
from alerting.store.store import Store, utc_now
from notifiers import NOTIFIERS, ChannelOptions, DeliveryResult, Notifier

log = structlog.get_logger(__name__)

NotifierFactory = Callable[[str], Notifier]


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
    and never sooner than the far end asked (Retry-After)."""
    wait: timedelta = min(policy.first_retry * (2 ** max(attempts - 1, 0)), policy.max_retry)
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return wait


def notifier_factory(options: Mapping[str, ChannelOptions]) -> NotifierFactory:
    def build(channel: str) -> Notifier:
        notifier = NOTIFIERS[channel]
        return notifier(options.get(channel) or notifier.Options())
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
    is finished and the rest of the batch is handed back to the queue at once.
    """
    report = DispatchReport()
    wait = policy.wait_for_retries if wait_for_retries is None else wait_for_retries
    deadline = clock() + wait
    stopping = stop or (lambda: False)
    while not stopping():
        claimed_at = clock()
        claimed = store.claim_due_notices(worker, now=claimed_at, lease=policy.lease)
        if claimed:
            _send_batch(store, build, policy, claimed, worker, clock, report, stopping,
                        claimed_at)
            continue
        upcoming = [e.next_attempt_at for e in store.outbox(["pending"])]
        now = clock()
        soonest = min(upcoming, default=None)
        if soonest is None or soonest > deadline:
            break
        sleep(max((soonest - now).total_seconds(), 0.0))
    report.retrying = store.outbox_counts()["pending"]
    return report


def _send_batch(store: Store, build: NotifierFactory, policy: DeliverySettings,
                claimed: list[OutboxEntry], worker: str, clock: Callable[[], datetime],
                report: DispatchReport, stopping: Callable[[], bool],
                claimed_at: datetime) -> None:
    by_channel: dict[str, list[OutboxEntry]] = defaultdict(list)
    for entry in claimed:
        by_channel[entry.channel].append(entry)
    for channel, entries in by_channel.items():
        if channel not in NOTIFIERS:
            for entry in entries:
                _record(store, entry, DeliveryResult.permanent(f"unknown channel {channel!r}"),
                        0, policy, worker, clock, report)
            continue
        with build(channel) as notifier:
            for entry in entries:
                if stopping():
                    store.release_claims([e.id for e in claimed], worker=worker)
                    return
                # Within a third of the lease nobody else can have taken it; after that,
                # check (and renew) before each send so a slow batch never double-sends.
                late = clock() - claimed_at > policy.lease / 3
                if late and not store.renew_claim(entry.id, worker=worker, now=clock()):
                    log.warning("notice_claim_lost", notice=entry.id,
                                detail="the lease ran out while earlier notices of the batch "
                                       "were sent; another dispatcher has it")
                    continue
                result, elapsed = _attempt(notifier, entry)
                _record(store, entry, result, elapsed, policy, worker, clock, report)


def _record(store: Store, entry: OutboxEntry, result: DeliveryResult, elapsed: int,
            policy: DeliverySettings, worker: str, clock: Callable[[], datetime],
            report: DispatchReport) -> None:
    now = clock()
    outcome, next_at = _outcome(result, entry, policy, now)
    store.record_attempt(entry, worker=worker, outcome=outcome, detail=result.detail or None,
                         duration_ms=elapsed, now=now, next_attempt_at=next_at)
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
