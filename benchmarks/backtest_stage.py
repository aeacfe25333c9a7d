"""The benchmark's backtest stage: 24 monthly as-of dates, as `alerting backtest` runs them.

Timed as the command does it: one read of the store, comparators for the rows the runs can
report read once, then the rules replayed at each month end with alert state and each
receiver's notification log carried forward.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

RECIPIENTS = """receivers:
  - name: performance-team
    email: {to: [performance.team@example.gov.uk]}
  - name: risk-owners
    email: {to: [risk.register@example.gov.uk]}
route:
  receiver: performance-team
  repeat_interval: 7d
  send_resolved: true
  routes:
    - match: {rule_type: risk_rise}
      receiver: risk-owners
"""


@dataclass(frozen=True)
class BacktestFigures:
    seconds: float
    as_of_dates: int
    episodes: int
    notices: int


def backtest_months(store: Any, ruleset: Any, last: date, folder: Path,
                    months: int = 24) -> BacktestFigures:
    from alerting.authoring.backtest.replay import as_of_dates, run_backtest, without_extras
    from alerting.pipeline import gather
    from alerting.routing.routes import load_routing

    folder.mkdir(parents=True, exist_ok=True)
    recipients = folder / "recipients.yaml"
    recipients.write_text(RECIPIENTS)
    routing = load_routing(recipients)
    first = _months_before(last, months - 1)
    started = time.perf_counter()
    data = gather(store, ruleset)
    dates = as_of_dates(data, first, last)
    result = run_backtest(ruleset, without_extras(data), dates, routing)
    seconds = time.perf_counter() - started
    return BacktestFigures(seconds, len(dates), len(result.episodes),
                           sum(result.notices.values()))


def _months_before(last: date, months: int) -> date:
    """The first day of the month `months` before `last`'s month."""
    index = last.year * 12 + last.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
