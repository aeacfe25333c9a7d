"""`alerting worker` as a real process: seconds-level schedules, rule edits, SIGTERM, and
two workers sharing one PostgreSQL database.

Everything is polled with generous deadlines; nothing asserts how long a step took.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from alerting.store import Store
from tests.conftest import temporary_database
from tests.notices.conftest import bodies, messages
from tests.notifiers.helpers import SmtpServer
from tests.service.scenario import MEASURES, RULES, VISITS

ALERTING = str(Path(sys.executable).with_name("alerting"))
DEADLINE = 90.0


def wait_for(what: str, check: Callable[[], Any], deadline: float = DEADLINE) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Posts:
    """Every JSON body posted to one path of the loopback HTTP server (thread-safe)."""

    def __init__(self, server: HTTPServer, path: str) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self._lock = threading.Lock()

        def handler(request: Request) -> Response:
            with self._lock:
                self.bodies.append(json.loads(request.get_data()))
                self.keys.append(request.headers.get("Idempotency-Key", ""))
            return Response("", status=200)

        server.expect_request(path).respond_with_handler(handler)
        self.url = server.url_for(path)

    def alerts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [a for body in self.bodies for a in body["alerts"]]


def write_council(root: Path, *, database_url: str, smtp_port: int, performance: str,
                  admin_url: str, data: str = VISITS) -> None:
    (root / "rules").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "config").mkdir(exist_ok=True)
    (root / "rules" / "measures.yaml").write_text(MEASURES)
    (root / "rules" / "rules.yaml").write_text(RULES)
    (root / "data" / "visits.csv").write_text(data)
    (root / "config" / "recipients.yaml").write_text(yaml.safe_dump({
        "receivers": [
            {"name": "performance", "webhook": {"url": performance}},
            {"name": "leads", "email": {"to": ["leads@example.gov.uk"]}},
            {"name": "admin", "webhook": {"url": admin_url}},
        ],
        "route": {"receiver": "performance"},
    }))
    (root / "config" / "service.yaml").write_text(yaml.safe_dump({
        "database_url": database_url,
        "rules": ["rules"],
        "recipients": "config/recipients.yaml",
        "silences": "config/silences.yaml",
        "authority": "Testshire",
        "notifiers": {"email": {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                                "timeout": 5}},
        "delivery": {"first_retry": "1s", "wait_for_retries": "0s"},
        "sources": [{"name": "visits", "path": "data"}],
        "schedules": [{"name": "every-2s", "cron": "*/2 * * * * *", "sources": ["visits"],
                       "as_of": "2026-10-31"}],
        "worker": {"dispatch_every": "1s", "check_every": "2s", "heartbeat_max_age": "10s",
                   "misfire_grace_time": "10s", "lock_wait": "60s"},
        "operations": {"admin": "admin", "rule_authors": "leads", "repeat_interval": "1d"},
    }))


class WorkerProcess:
    def __init__(self, root: Path, name: str) -> None:
        self.log = (root / f"{name}.log").open("w")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CSC_ALERTING_")}
        self.process = subprocess.Popen([ALERTING, "worker", "--name", name], cwd=root,
                                        stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.path = root / f"{name}.log"

    def stop(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.log.close()

    def events(self) -> list[dict[str, Any]]:
        found = []
        for line in self.path.read_text().splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.kill()


def test_a_worker_runs_picks_up_edits_survives_a_broken_one_and_stops_on_sigterm(
        tmp_path: Path, smtp: SmtpServer, httpserver: HTTPServer,
        workers: list[WorkerProcess]) -> None:
    performance = Posts(httpserver, "/performance")
    admin = Posts(httpserver, "/admin")
    url = f"sqlite:///{tmp_path / 'var' / 'alerting.sqlite3'}"
    write_council(tmp_path, database_url=url, smtp_port=smtp.port,
                  performance=performance.url, admin_url=admin.url)
    worker = WorkerProcess(tmp_path, "w1")
    workers.append(worker)
    store = wait_for("the worker to create the database",
                     lambda: (tmp_path / "var" / "alerting.sqlite3").exists() and
                     Store.open(url))
    try:
        # 1. Cycles run and the first breach is delivered once.
        wait_for("a run", lambda: any(r.outcome == "ok" for r in store.runs()))
        wait_for("the breach notice", performance.alerts)
        assert [a["rule"] for a in performance.alerts()] == ["visits-off-target"]

        # 2. A valid edit takes effect at a following run.
        (tmp_path / "rules" / "rules.yaml").write_text(RULES + (
            "  - id: visits-low\n    type: tolerance\n    title: Low\n    severity: low\n"
            "    include_amber: true\n"))
        wait_for("the new rule's alert", lambda: any(
            a["rule"] == "visits-low" for a in performance.alerts()))

        # 3. A broken edit: last good rules kept (nothing resolved), the leads told.
        (tmp_path / "rules" / "rules.yaml").write_text(RULES.replace("tolerance", "tolerence"))
        lead = wait_for("the broken-rules notice to the leads", lambda: [
            m for m in messages(smtp) if "leads@" in str(m["To"])])
        text, _ = bodies(lead[0])
        assert "rules/rules.yaml:3" in text and "tolerence" in text, text
        assert "last good version is still in force" in text
        wait_for("a degraded run", lambda: any(r.outcome == "degraded" for r in store.runs()))
        assert not [a for a in performance.alerts() if a["reason"] == "resolved"]
        firing = store.alerts(firing_only=True)
        assert {"visits-off-target|visits|Testshire", "visits-low|visits|Testshire"} <= \
            set(firing)
        assert "service:rule-file" in {a["rule"] for a in admin.alerts()}

        # 4. SIGTERM mid-run: a big file makes the load step long enough to land in.
        (tmp_path / "rules" / "rules.yaml").write_text(RULES)
        big = "measure_id,period,area,value,target\n" + "".join(
            f"visits,2026-{m:02d},Area {i},{80 + i % 10},85\n"
            for i in range(12_000) for m in range(1, 10))
        marker = datetime.now(UTC)
        (tmp_path / "data" / "big.csv").write_text(big)
        running = wait_for("a run that started after the big file arrived", lambda: [
            r for r in store.runs(limit=5) if r.outcome == "running" and r.started_at > marker])
        code = worker.stop()
        assert code == 0
        stopped = store.run(running[0].id)
        assert stopped is not None
        assert stopped.outcome == "interrupted", stopped
        # It finished the step it was in (reading rules, or loading the big file) and did
        # not go on to evaluate.
        assert stopped.error in ("stopped by request after the rules step",
                                 "stopped by request after the source visits step")
        assert stopped.exceptions == 0
        assert store.workers()["w1"].state == "stopped"
        events = worker.events()
        assert {"stop_requested", "worker_stopped"} <= {e["event"] for e in events}
        run_events = [e for e in events if e.get("run_id") == stopped.id]
        assert run_events and all(e["job"] == "every-2s" for e in run_events)
    finally:
        store.close()


@pytest.mark.postgres
def test_two_workers_on_postgresql_deliver_every_notice_exactly_once(
        postgres_url: str, tmp_path: Path, smtp: SmtpServer, httpserver: HTTPServer,
        workers: list[WorkerProcess]) -> None:
    performance = Posts(httpserver, "/performance")
    admin = Posts(httpserver, "/admin")
    with temporary_database(postgres_url) as url:
        Store.open(url).close()  # migrate once, before both start
        write_council(tmp_path, database_url=url, smtp_port=smtp.port,
                      performance=performance.url, admin_url=admin.url)
        workers.append(WorkerProcess(tmp_path, "worker-a"))
        workers.append(WorkerProcess(tmp_path, "worker-b"))
        store = Store.open(url)
        try:
            csv = tmp_path / "data" / "visits.csv"
            for batch in range(4):
                finished = len([r for r in store.runs(limit=500) if r.finished])
                with csv.open("a") as f:
                    for i in range(10):
                        f.write(f"visits,2026-09,Area {batch}-{i},{60 + i},85\n")
                wait_for(f"batch {batch} to be delivered", lambda b=batch: len(
                    {a["area"] for a in performance.alerts() if a["area"].startswith(f"Area {b}-")}
                ) == 10)
                wait_for("another finished run", lambda n=finished: len(
                    [r for r in store.runs(limit=500) if r.finished]) > n + 1)
            for worker in workers:
                assert worker.stop() == 0
            runs = store.runs(limit=500)
            slots = [(r.job, r.scheduled_for) for r in runs]
            assert len(slots) == len(set(slots))
            assert all(r.outcome in ("ok", "degraded") for r in runs), runs
            firsts = [(a["fingerprint"], a["reason"]) for a in performance.alerts()
                      if a["reason"] == "first"]
            assert len(firsts) == len(set(firsts)) == 41  # Testshire + 4 batches of 10
            assert len(performance.keys) == len(set(performance.keys))
            sent = store.outbox(["sent"])
            assert len(sent) == len(performance.bodies) + len(admin.bodies)
            assert store.outbox_counts()["pending"] == 0
            assert {r.worker for r in runs} <= {"worker-a", "worker-b"}
        finally:
            store.close()
