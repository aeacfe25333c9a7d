"""How much to generate (the scales) and over which periods, fixed so output never
depends on today; and the array types the generator modules share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# The last monthly period and the run date that sees it: fixed so output never depends on today.
END_YEAR, END_MONTH = 2026, 9
AS_OF = date(2026, 9, 30)


@dataclass(frozen=True)
class Scale:
    """How much to generate. Plans are a total across authorities; risks are per register."""

    authorities: int
    localities: int  # per authority; 0 = authority level only
    measures: int
    periods: int  # months ending END_YEAR-END_MONTH
    open_plans: int
    risks: int  # per authority's risk register
    quarters: int

    @property
    def areas(self) -> int:
        return self.authorities * (1 + self.localities)

    @property
    def observation_rows(self) -> int:
        return self.measures * self.areas * self.periods

    @property
    def closed_plans(self) -> int:
        return self.open_plans // 4

    @property
    def case_rows(self) -> int:
        return self.open_plans + self.closed_plans

    @property
    def risk_rows(self) -> int:
        return self.authorities * self.risks * self.quarters


SCALES = {
    "council": Scale(authorities=1, localities=7, measures=150, periods=60, open_plans=1_000,
                     risks=8, quarters=20),
    "region": Scale(authorities=15, localities=7, measures=150, periods=60, open_plans=1_000,
                    risks=8, quarters=20),
    "national": Scale(authorities=153, localities=0, measures=200, periods=60,
                      open_plans=50_000, risks=8, quarters=20),
    "tiny": Scale(authorities=2, localities=2, measures=5, periods=12, open_plans=30,
                  risks=2, quarters=4),  # for tests; not offered on the command line
}
PUBLIC_SCALES = ("council", "region", "national")


def month_labels(periods: int) -> tuple[list[str], IntArray]:
    """'YYYY-MM' labels of the `periods` months ending END_YEAR-END_MONTH, and their April-based
    financial year (year of the April that starts it)."""
    last = END_YEAR * 12 + END_MONTH - 1
    index = np.arange(last - periods + 1, last + 1, dtype=np.int64)
    labels = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in index.tolist()]
    return labels, (index - 3) // 12


def quarter_labels(quarters: int) -> list[str]:
    """Financial quarters (Q1 = Apr-Jun) ending with the one holding the last month."""
    last = (END_YEAR * 12 + END_MONTH - 1 - 3) // 3  # quarters since April of year 0
    labels = []
    for q in range(last - quarters + 1, last + 1):
        fy, number = q // 4, q % 4 + 1
        labels.append(f"Q{number} {fy}/{(fy + 1) % 100:02d}")
    return labels
