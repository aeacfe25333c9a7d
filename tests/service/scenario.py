"""A small council run by the service: data files, rule files, recipients and a clock.

The performance team is emailed (real SMTP on loopback); the admin gets operations
notices by webhook (a real HTTP server on loopback); the rule authors (performance leads)
by email.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alerting.config.settings import Settings
from alerting.service.run import Service
from alerting.store import Store
from alerting.store.service import RunRecord

MEASURES = """\
measures:
  - id: visits
    title: Initial visits in time
    polarity: bigger_is_better
    unit: percent
    frequency: monthly
    tolerance: {relative: 5%}
"""
RULES = """\
rules:
  - id: visits-off-target
    type: tolerance
    title: Off target
    severity: high
    include_amber: true
"""
VISITS = """\
measure_id,period,area,value,target
visits,2026-07,Testshire,90,85
visits,2026-08,Testshire,84,85
visits,2026-09,Testshire,70,85
visits,2026-09,Stroud,88,85
"""


def recipients(smtp_port: int, admin_url: str) -> str:
    return textwrap.dedent(f"""\
    receivers:
      - name: performance
        email: {{to: [performance@example.gov.uk]}}
      - name: leads
        title: Performance leads
        email: {{to: [leads@example.gov.uk]}}
      - name: admin
        title: Service admin
        webhook: {{url: '{admin_url}'}}
    route:
      receiver: performance
    """)


@dataclass
class Scene:
    root: Path
    store: Store
    smtp_port: int
    admin_url: str
    now: datetime = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        (self.root / "rules").mkdir(exist_ok=True)
        (self.root / "data").mkdir(exist_ok=True)
        (self.root / "rules" / "measures.yaml").write_text(MEASURES)
        (self.root / "rules" / "rules.yaml").write_text(RULES)
        (self.root / "data" / "visits.csv").write_text(VISITS)
        (self.root / "recipients.yaml").write_text(recipients(self.smtp_port, self.admin_url))

    @property
    def settings(self) -> Settings:
        raw: dict[str, Any] = {
            "database_url": "sqlite://",
            "rules": [str(self.root / "rules")],
            "recipients": str(self.root / "recipients.yaml"),
            "silences": str(self.root / "silences.yaml"),
            "templates": str(self.root / "templates"),
            "authority": "Testshire",
            "notifiers": {"email": {"host": "127.0.0.1", "port": self.smtp_port,
                                    "security": "none", "timeout": 5},
                          "webhook": {"timeout": 5}},
            "delivery": {"first_retry": "10s", "max_attempts": 3, "wait_for_retries": "0s"},
            "sources": [{"name": "visits", "path": str(self.root / "data" / "visits.csv"),
                         "refresh": "35d"}],
            "schedules": [{"name": "monthly", "cron": "0 6 5 * *", "sources": ["visits"],
                           "as_of": "2026-10-31"}],
            "operations": {"admin": "admin", "rule_authors": "leads",
                           "repeat_interval": "1d"},
        }
        raw.update(self.overrides)
        return Settings.model_validate(raw)

    def service(self, worker: str = "worker-a") -> Service:
        return Service(self.settings, self.store, worker=worker, clock=lambda: self.now)

    def run(self, *, after: timedelta = timedelta(hours=1), job: str = "monthly",
            worker: str = "worker-a") -> RunRecord:
        self.now += after
        service = self.service(worker)
        run = service.run(service.plan(job))
        assert run is not None
        return run

    def write_rules(self, text: str) -> None:
        (self.root / "rules" / "rules.yaml").write_text(text)
