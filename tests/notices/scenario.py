"""A small council for notice tests: one measure, one CP rule, three receivers, real servers."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from alerting.alerts.silences import load_silences
from alerting.config.ruleset import RuleSet, load_rules
from alerting.config.settings import DeliverySettings, Settings
from alerting.model.periods import parse_period
from alerting.model.records import CaseRecord, ObservationRecord
from alerting.pipeline import Notifying, NotifyOutcome, notify
from alerting.rendering.render import Renderer, ServiceInfo
from alerting.routing.routes import load_routing
from alerting.store import Store

MEASURES = """
measures:
  - id: visits
    title: "Initial visits in time <b>(10 working days)</b>"
    polarity: bigger_is_better
    unit: percent
    frequency: monthly
    tolerance: {relative: 5%}
    owner: Head of Safeguarding
    link: https://intranet.example.gov.uk/visits
"""
RULES = """
rules:
  - id: visits-off-target
    type: tolerance
    title: Off target
    severity: high
    include_amber: true
  - id: cp-over-2y
    type: case_duration
    title: Children on a CP plan for two years or more
    severity: high
    older_than: 2y
"""


def recipients(smtp_port: int, teams_url: str | None = None, *, repeat: str = "7d",
               send_resolved: bool = True) -> str:
    teams = f"\n        teams: {{url: '{teams_url}'}}" if teams_url else ""
    return textwrap.dedent(f"""
    receivers:
      - name: performance
        email: {{to: [performance@example.gov.uk]}}{teams}
      - name: stroud-manager
        child_level_for: [Stroud Safeguarding]
        email: {{to: [stroud.tm@example.gov.uk]}}
      - name: head-of-service
        email: {{to: [head@example.gov.uk]}}
    route:
      receiver: performance
      repeat_interval: {repeat}
      send_resolved: {str(send_resolved).lower()}
      routes:
        - match: {{rule_type: case_duration, team: Stroud Safeguarding}}
          receiver: stroud-manager
          continue: true
        - match: {{rule_type: case_duration}}
          receiver: head-of-service
    """)


@dataclass
class Council:
    """Files, store and settings of one test council; `run` is one notify cycle."""

    root: Path
    store: Store
    smtp_port: int
    teams_url: str | None = None
    now: datetime = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    teams_timeout: float = 5.0
    max_attempts: int = 12
    outcomes: list[NotifyOutcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.root / "rules").mkdir(exist_ok=True)
        (self.root / "rules" / "measures.yaml").write_text(MEASURES)
        (self.root / "rules" / "rules.yaml").write_text(RULES)
        self.write_recipients()

    def write_recipients(self, **options: Any) -> None:
        (self.root / "recipients.yaml").write_text(
            recipients(self.smtp_port, self.teams_url, **options))

    @property
    def settings(self) -> Settings:
        return Settings(
            database_url="sqlite://", rules=(str(self.root / "rules"),),
            recipients=str(self.root / "recipients.yaml"),
            silences=str(self.root / "silences.yaml"), authority="Testshire",
            link="https://intranet.example.gov.uk/dashboard",
            notifiers={"email": {"host": "127.0.0.1", "port": self.smtp_port,
                                 "security": "none", "timeout": 5},
                       "teams": {"timeout": self.teams_timeout}},
            delivery=DeliverySettings(first_retry=timedelta(seconds=10),
                                      max_retry=timedelta(minutes=10),
                                      max_attempts=self.max_attempts,
                                      wait_for_retries=timedelta(0)),
        )

    def ruleset(self) -> RuleSet:
        ruleset = load_rules(self.settings.rule_paths())
        assert not ruleset.problems, ruleset.problems
        return ruleset

    def notifying(self) -> Notifying:
        settings = self.settings
        return Notifying(load_routing(Path(settings.recipients)),
                         load_silences(Path(settings.silences)),
                         Renderer(None, ServiceInfo("Testshire", settings.link)), settings)

    def visits(self, values: dict[str, float | None], area: str = "Testshire",
               target: float = 85.0, commentary: str | None = None) -> None:
        records = [ObservationRecord("visits", parse_period(label), area, value, target,
                                     commentary=commentary)
                   for label, value in values.items()]
        self.store.save_observations(records, "test.csv")

    def plans(self, *plans: tuple[str, str, date]) -> None:
        self.store.save_cases([CaseRecord(child_id=child, plan_type="CP", start_date=start,
                                          end_date=None, team=team, worker="Worker 7")
                               for child, team, start in plans], "plans.csv")

    def run(self, as_of: date, *, after: timedelta = timedelta(days=1),
            deliver: bool = True) -> NotifyOutcome:
        self.now += after
        now = self.now
        outcome = notify(self.store, self.ruleset(), self.notifying(), as_of,
                         deliver=deliver, clock=lambda: now)
        self.outcomes.append(outcome)
        return outcome
