"""One run of a job, the self-checks and their operations notices, on SQLite and PostgreSQL,
with a real SMTP server (people) and a real HTTP server (the admin's webhook)."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from alerting.alerts.state import AlertState
from alerting.config.schedules import cron_trigger, last_fire
from alerting.service.status import HEALTHY, UNHEALTHY, WARNING, check_health
from alerting.service.worker import Worker
from alerting.store import Store
from alerting.store.locks import cycle_lock
from alerting.store.service import RunRecord, WorkerBeat
from tests.notices.conftest import messages
from tests.notifiers.helpers import SmtpServer
from tests.service.scenario import RULES, Scene


class AdminInbox:
    """The admin's webhook: every operations notice posted to it."""

    def __init__(self, server: HTTPServer) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = 200

        def handler(request: Request) -> Response:
            self.posts.append(json.loads(request.get_data()))
            return Response("", status=self.status)

        server.expect_request("/ops").respond_with_handler(handler)
        self.url = server.url_for("/ops")

    def alerts(self) -> list[dict[str, Any]]:
        return [a for post in self.posts for a in post["alerts"]]

    def rules(self, reason: str | None = None) -> list[str]:
        return [a["rule"] for a in self.alerts() if reason is None or a["reason"] == reason]


@pytest.fixture
def admin(httpserver: HTTPServer) -> AdminInbox:
    return AdminInbox(httpserver)


@pytest.fixture
def scene(store: Store, smtp: SmtpServer, admin: AdminInbox, tmp_path: Path) -> Scene:
    return Scene(tmp_path, store, smtp.port, admin.url)


def subjects(smtp: SmtpServer, to: str) -> list[str]:
    return [str(m["Subject"]) for m in messages(smtp) if to in str(m["To"])]


def test_a_run_loads_evaluates_notifies_and_is_recorded(scene: Scene, smtp: SmtpServer,
                                                        admin: AdminInbox) -> None:
    run = scene.run()
    assert run.outcome == "ok", run
    assert (run.rows_loaded, run.rows_rejected) == (4, 0)
    assert run.exceptions == 1 and run.notices_queued == 1 and run.notices_sent == 1
    assert len(subjects(smtp, "performance@")) == 1
    assert admin.posts == []  # nothing is wrong with the service
    again = scene.run()
    assert again.outcome == "ok" and again.notices_queued == 0
    history = scene.store.runs()
    assert [r.id for r in history] == [again.id, run.id]
    assert history[1].ended_at is not None and history[1].as_of.isoformat() == "2026-10-31"


def test_a_bad_data_row_is_reported_and_the_rest_load(scene: Scene) -> None:
    with (scene.root / "data" / "visits.csv").open("a") as f:
        f.write("visits,2026-13,Testshire,70,85\n")
    run = scene.run()
    assert (run.rows_loaded, run.rows_rejected) == (4, 1)
    assert run.outcome == "ok"


def test_a_broken_rule_edit_keeps_the_last_good_rules_and_tells_the_leads(
        scene: Scene, smtp: SmtpServer, admin: AdminInbox) -> None:
    scene.run()
    scene.write_rules(RULES.replace("severity: high", "severity: hgih"))
    run = scene.run()
    assert run.outcome == "degraded"
    assert any("rules.yaml has 1 error(s); its last good version is still in force" in p
               for p in run.problems)
    firing = scene.store.alerts(firing_only=True)
    assert "visits-off-target|visits|Testshire" in firing  # not resolved, not retired
    lead_mail = [m for m in messages(smtp) if "leads@" in str(m["To"])]
    assert len(lead_mail) == 1
    body = lead_mail[0].get_body(("plain",)).get_content()
    assert "rules/rules.yaml:5: rule 'visits-off-target': severity must be" in body, body
    assert admin.rules("first") == ["service:rule-file"]
    # Still broken an hour later: nobody is told again before the repeat interval.
    scene.run()
    assert len([m for m in messages(smtp) if "leads@" in str(m["To"])]) == 1
    # Fixed: the leads and the admin hear it is resolved.
    scene.write_rules(RULES)
    assert scene.run().outcome == "ok"
    assert any(s.startswith("[Testshire] Resolved") for s in subjects(smtp, "leads@"))
    assert admin.rules("resolved") == ["service:rule-file"]


def test_a_valid_rule_edit_takes_effect_at_the_next_run(scene: Scene) -> None:
    scene.run()
    scene.write_rules(RULES + """\
  - id: visits-any-amber
    type: tolerance
    title: Amber or worse
    severity: low
    include_amber: true
""")
    scene.run()
    assert any(a.rule == "visits-any-amber" for a in scene.store.alerts().values())


def test_a_rule_file_that_never_loaded_contributes_nothing(scene: Scene,
                                                            admin: AdminInbox) -> None:
    scene.write_rules("rules:\n  - id: x\n    type: nonsense\n")
    run = scene.run()
    assert run.outcome == "degraded"
    assert any("has never loaded without errors" in p for p in run.problems)
    assert run.exceptions == 0
    assert admin.rules() == ["service:rule-file"]


def test_a_missing_source_is_reported_and_stored_data_still_evaluated(
        scene: Scene, admin: AdminInbox) -> None:
    scene.run()
    (scene.root / "data" / "visits.csv").unlink()
    run = scene.run()
    assert run.outcome == "degraded"
    assert any("source 'visits'" in p and "does not exist" in p for p in run.problems)
    assert run.exceptions == 1  # the data loaded before
    assert admin.rules("first") == ["service:source-missing"]
    assert "cannot be read" in admin.alerts()[0]["message"]


def test_a_stale_source_is_reported(scene: Scene, admin: AdminInbox) -> None:
    old = (scene.now - timedelta(days=40)).timestamp()
    os.utime(scene.root / "data" / "visits.csv", (old, old))
    scene.run()
    assert admin.rules("first") == ["service:source-stale"]
    assert "expected to change every 5w" in admin.alerts()[0]["message"]
    # Refreshed: resolved.
    new = scene.now.timestamp()
    os.utime(scene.root / "data" / "visits.csv", (new, new))
    scene.run()
    assert admin.rules("resolved") == ["service:source-stale"]


def test_a_failed_run_is_recorded_and_the_admin_told(scene: Scene, admin: AdminInbox,
                                                     smtp: SmtpServer) -> None:
    (scene.root / "templates").mkdir()
    (scene.root / "templates" / "broken.txt.j2").write_text("{{ no_such_variable }}")
    scene.write_rules(RULES + "    templates: {email_text: broken.txt.j2}\n")
    run = scene.run()
    assert run.outcome == "failed"
    assert "TemplateProblem" in (run.error or "") and "no_such_variable" in (run.error or "")
    assert admin.rules("first") == ["service:run-failed"]
    assert "failed" in admin.alerts()[0]["message"]
    # Nothing was committed half-way: no alert, no notice.
    assert scene.store.alerts(firing_only=True).keys() == {"service:run-failed|monthly|"}
    scene.write_rules(RULES)
    assert scene.run().outcome == "ok"
    assert admin.rules("resolved") == ["service:run-failed"]
    assert len(subjects(smtp, "performance@")) == 1


def test_dead_notices_and_a_backlog_are_reported(scene: Scene, admin: AdminInbox,
                                                 smtp: SmtpServer) -> None:
    scene.overrides["notifiers"] = {"email": {"host": "127.0.0.1", "port": 1,
                                              "security": "none", "timeout": 1}}
    scene.overrides["delivery"] = {"first_retry": "1h", "max_attempts": 2,
                                   "wait_for_retries": "0s"}
    scene.overrides["operations"] = {"admin": "admin", "backlog_warn": 1,
                                     "backlog_age": "2h"}
    scene.run()  # the email is refused: queued for retry in an hour
    assert admin.rules("first") == []  # one waiting notice is not a backlog yet
    scene.run(after=timedelta(hours=3))  # retried and refused again: dead
    assert "service:dead-notices" in admin.rules("first")
    dead = next(a for a in admin.alerts() if a["rule"] == "service:dead-notices")
    assert "1 notice(s) could not be delivered" in dead["message"]
    assert "performance" in dead["message"]


def test_a_waiting_backlog_is_reported(scene: Scene, admin: AdminInbox) -> None:
    scene.overrides["notifiers"] = {"email": {"host": "127.0.0.1", "port": 1,
                                              "security": "none", "timeout": 1}}
    scene.overrides["delivery"] = {"first_retry": "1d", "max_attempts": 10,
                                   "wait_for_retries": "0s"}
    scene.overrides["operations"] = {"admin": "admin", "backlog_age": "30min"}
    scene.run()
    scene.now += timedelta(hours=1)
    scene.service().check()
    scene.service().deliver()
    assert admin.rules("first") == ["service:outbox-backlog"]
    assert "1 notice(s) are waiting to be sent" in admin.alerts()[0]["message"]


def test_silences_apply_to_operations_alerts(scene: Scene, admin: AdminInbox) -> None:
    (scene.root / "silences.yaml").write_text(
        "silences:\n  - id: s1\n    rule: service:source-*\n    ends: 2099-01-01\n"
        "    reason: source moving servers\n    author: it\n")
    (scene.root / "data" / "visits.csv").unlink()
    scene.run()
    assert admin.posts == []
    assert scene.store.alerts()["service:source-missing|visits|"].silenced_by == "s1"


def test_one_run_per_scheduled_slot_across_workers(scene: Scene) -> None:
    slot = datetime(2026, 11, 5, 6, 0, tzinfo=UTC)
    a, b = scene.service("worker-a"), scene.service("worker-b")
    first = a.run(a.plan("monthly"), scheduled_for=slot)
    second = b.run(b.plan("monthly"), scheduled_for=slot)
    assert first is not None and first.outcome == "ok"
    assert second is None
    assert [(r.worker, r.scheduled_for) for r in scene.store.runs()] == [("worker-a", slot)]


def test_the_cycle_lock_admits_one_job_at_a_time(store: Store) -> None:
    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with cycle_lock(store.engine) as held:
            assert held
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(10)
        with cycle_lock(store.engine, wait=timedelta(seconds=0.3)) as held:
            assert not held
    finally:
        release.set()
        holder.join()
    with cycle_lock(store.engine) as held:
        assert held


def test_a_run_waits_for_the_lock_then_gives_up(scene: Scene, admin: AdminInbox) -> None:
    scene.overrides["worker"] = {"lock_wait": "1s"}
    store_url = scene.store.engine.url
    other = Store.open(store_url.render_as_string(hide_password=False))
    try:
        with cycle_lock(other.engine) as held:
            assert held
            run = scene.run()
        assert run.outcome == "failed"
        assert "cycle lock" in (run.error or "")
    finally:
        other.close()


def _beat(store: Store, name: str, at: datetime, state: str = "running") -> None:
    store.beat(WorkerBeat(name, "host", 1, state, at, at, {"monthly": at.isoformat()}))


def test_status_is_healthy_after_a_good_run_and_a_fresh_heartbeat(scene: Scene) -> None:
    scene.run()
    _beat(scene.store, "worker-a", scene.now)
    health = check_health(scene.store, scene.settings, scene.now + timedelta(minutes=1),
                          "worker-a")
    assert health.level == HEALTHY, health.unhealthy + health.warnings
    assert health.open_alerts == 1 and health.outbox["sent"] == 1


def test_status_is_unhealthy_when_the_heartbeat_is_stale_or_the_worker_stopped(
        scene: Scene) -> None:
    scene.run()
    _beat(scene.store, "worker-a", scene.now)
    late = check_health(scene.store, scene.settings, scene.now + timedelta(minutes=6),
                        "worker-a")
    assert late.level == UNHEALTHY
    assert "heartbeat is 6 min old (more than 5min)" in late.unhealthy[0]
    _beat(scene.store, "worker-a", scene.now, state="stopped")
    stopped = check_health(scene.store, scene.settings, scene.now, "worker-a")
    assert stopped.level == UNHEALTHY and "stopped" in stopped.unhealthy[0]


def test_status_is_unhealthy_after_a_failed_run_and_warns_on_a_broken_rule_file(
        scene: Scene) -> None:
    scene.run()
    scene.write_rules("rules: [")
    scene.run()
    _beat(scene.store, "worker-a", scene.now)
    broken = check_health(scene.store, scene.settings, scene.now, "worker-a")
    assert broken.level == WARNING
    assert any("service:rule-file" in w for w in broken.warnings)
    scene.store.finish_run(RunRecord("x1", "monthly", "schedule", "worker-a",
                                     scene.now + timedelta(seconds=1), outcome="failed",
                                     ended_at=scene.now + timedelta(seconds=2),
                                     error="OperationalError: disk I/O error"))
    failed = check_health(scene.store, scene.settings, scene.now, "worker-a")
    assert failed.level == WARNING  # finish_run of an unknown id changes nothing
    scene.store.start_run(RunRecord("x2", "monthly", "schedule", "worker-a",
                                    scene.now + timedelta(seconds=1), outcome="failed",
                                    ended_at=scene.now + timedelta(seconds=2),
                                    error="OperationalError: disk I/O error"))
    failed = check_health(scene.store, scene.settings, scene.now, "worker-a")
    assert failed.level == UNHEALTHY
    assert "disk I/O error" in failed.unhealthy[0]


def test_a_run_left_by_a_dead_worker_is_abandoned_and_reported(scene: Scene,
                                                              admin: AdminInbox) -> None:
    _beat(scene.store, "worker-b", scene.now - timedelta(hours=1))
    scene.store.start_run(RunRecord("r-dead", "monthly", "schedule", "worker-b",
                                    scene.now - timedelta(hours=1)))
    scene.service("worker-a").check()
    scene.service("worker-a").deliver()
    assert scene.store.run("r-dead").outcome == "abandoned"  # type: ignore[union-attr]
    assert admin.rules("first") == ["service:run-failed"]
    assert "never finished" in admin.alerts()[0]["message"]


def test_a_stop_request_between_steps_interrupts_the_run(scene: Scene) -> None:
    service = scene.service()
    service.stop.set()
    run = service.run(service.plan("monthly"))
    assert run is not None
    assert run.outcome == "interrupted"
    assert scene.store.alerts() == {}


def test_operations_notices_need_an_admin(scene: Scene, admin: AdminInbox) -> None:
    scene.overrides["operations"] = {}
    (scene.root / "data" / "visits.csv").unlink()
    run = scene.run()
    assert run.outcome == "degraded"
    assert admin.posts == []
    alert = scene.store.alerts()["service:source-missing|visits|"]
    assert alert.state is AlertState.FIRING  # recorded, and shown by `alerting status`


def test_the_history_survives_time(scene: Scene) -> None:
    for _ in range(3):
        scene.run()
    assert len(scene.store.runs(limit=2)) == 2
    assert len(scene.store.runs(limit=10, job="monthly")) == 3


def test_last_fire_finds_the_run_owed_within_the_grace_time() -> None:
    zone = ZoneInfo("Europe/London")
    trigger = cron_trigger("0 6 5 * *", zone)
    now = datetime(2026, 11, 5, 6, 40, tzinfo=UTC)
    assert last_fire(trigger, now - timedelta(hours=1), now) == \
        datetime(2026, 11, 5, 6, 0, tzinfo=zone)
    assert last_fire(trigger, now - timedelta(minutes=30), now) is None
    every_2s = cron_trigger("*/2 * * * * *", zone)
    assert last_fire(every_2s, now - timedelta(seconds=5), now) == now


def test_a_worker_starting_late_runs_the_slot_it_missed_once(scene: Scene) -> None:
    """Down at 06:00 on the 5th and back at 06:10: the 06:00 run happens at start, and a
    second worker starting after it does not run it again."""
    scene.now = datetime(2026, 11, 5, 6, 10, tzinfo=UTC)
    slot = datetime(2026, 11, 5, 6, 0, tzinfo=UTC)
    for name in ("worker-a", "worker-b"):
        worker = Worker(scene.service(name))
        thread = threading.Thread(target=worker.serve, kwargs={"install_signals": False})
        thread.start()
        try:
            deadline = datetime.now(UTC) + timedelta(seconds=30)
            while not any(r.finished for r in scene.store.runs()) and \
                    datetime.now(UTC) < deadline:
                threading.Event().wait(0.1)
        finally:
            worker.service.stop.set()
            thread.join(30)
        assert not thread.is_alive()
    runs = scene.store.runs()
    assert [(r.worker, r.scheduled_for, r.outcome) for r in runs] == \
        [("worker-a", slot, "ok")]


def test_when_the_database_fails_the_admin_is_told_directly_once(
        tmp_path: Path, smtp: SmtpServer, admin: AdminInbox) -> None:
    """A corrupt (or unreachable) database: no run record, no outbox, but the admin hears
    about it straight away — once per repeat interval, not once per scheduled run."""
    file = tmp_path / "alerting.sqlite3"
    store = Store.open(f"sqlite:///{file}")
    scene = Scene(tmp_path, store, smtp.port, admin.url)
    try:
        assert scene.run().outcome == "ok"
        store.engine.dispose()
        for leftover in tmp_path.glob("alerting.sqlite3*"):
            leftover.unlink()
        file.write_bytes(b"this is not a database" * 100)
        service = scene.service()
        service.run_or_alarm(service.plan("monthly"))
        assert admin.rules() == ["service:run-failed"]
        message = admin.alerts()[0]["message"]
        assert "could not use the database" in message and "DatabaseError" in message
        scene.now += timedelta(hours=1)
        service.run_or_alarm(service.plan("monthly"))
        assert len(admin.posts) == 1  # not again within operations.repeat_interval (1d)
        scene.now += timedelta(days=1)
        service.run_or_alarm(service.plan("monthly"))
        assert len(admin.posts) == 2
    finally:
        store.close()


def test_last_fire_survives_the_autumn_clock_change() -> None:
    """01:30 happens twice on 27 Oct 2024 in London; stepping in local time looped for ever."""
    zone = ZoneInfo("Europe/London")
    trigger = cron_trigger("30 1 * * *", zone)
    now = datetime(2024, 10, 27, 1, 40, tzinfo=UTC)  # after the second 01:30 (GMT)
    fire = last_fire(trigger, now - timedelta(hours=2), now)
    assert fire is not None and fire.astimezone(UTC) == datetime(2024, 10, 27, 1, 30,
                                                                  tzinfo=UTC)


def test_an_interrupted_run_does_not_resolve_a_failed_one(scene: Scene,
                                                          admin: AdminInbox) -> None:
    (scene.root / "templates").mkdir()
    (scene.root / "templates" / "broken.txt.j2").write_text("{{ no_such_variable }}")
    scene.write_rules(RULES + "    templates: {email_text: broken.txt.j2}\n")
    assert scene.run().outcome == "failed"
    service = scene.service()
    service.stop.set()
    stopped = service.run(service.plan("monthly"))
    assert stopped is not None and stopped.outcome == "interrupted"
    service.stop.clear()
    service.check()
    assert admin.rules("resolved") == []
    assert "service:run-failed|monthly|" in scene.store.alerts(firing_only=True)


def test_a_sql_source_password_reaches_no_run_record_or_notice(
        scene: Scene, admin: AdminInbox, smtp: SmtpServer) -> None:
    secret = "S3cretPass-in-query"
    scene.overrides["sources"] = [{"name": "warehouse", "sql": {
        "url": f"postgresql+psycopg://reader@127.0.0.1:1/dw?password={secret}",
        "query": "select 1"}}]
    scene.overrides["schedules"] = [{"name": "monthly", "cron": "0 6 5 * *",
                                     "sources": ["warehouse"], "as_of": "2026-10-31"}]
    run = scene.run()
    assert run.outcome == "degraded"
    assert any("warehouse" in p for p in run.problems)
    stored = scene.store.run(run.id)
    assert stored is not None and secret not in repr(stored)
    assert secret not in repr(scene.store.source_status())
    assert admin.rules("first") == ["service:source-missing"]
    assert secret not in json.dumps(admin.posts)


def test_a_notice_whose_lease_ran_out_is_not_sent_by_its_first_claimant(store: Store) -> None:
    from notifiers import Notice

    t0 = datetime(2026, 11, 2, 7, tzinfo=UTC)
    store.commit_run([], [], [Notice(id="n1", receiver="r", channel="webhook",
                                     target={"url": "http://127.0.0.1:1/x"}, subject="s",
                                     text="t", created_at=t0)], now=t0)
    lease = timedelta(minutes=15)
    assert [e.id for e in store.claim_due_notices("a", now=t0, lease=lease)] == ["n1"]
    later = t0 + lease + timedelta(seconds=1)
    assert [e.id for e in store.claim_due_notices("b", now=later, lease=lease)] == ["n1"]
    assert not store.renew_claim("n1", worker="a", now=later)
    assert store.renew_claim("n1", worker="b", now=later)


def test_status_requires_a_named_worker_that_never_beat(scene: Scene) -> None:
    scene.run()
    health = check_health(scene.store, scene.settings, scene.now, "worker-x", required=True)
    assert health.level == UNHEALTHY
    assert "worker 'worker-x' has never beaten its heartbeat" in health.unhealthy
    lenient = check_health(scene.store, scene.settings, scene.now, "worker-x")
    assert lenient.level == WARNING
