"""Generate SYNTHETIC child protection plans for examples and tests (no real children).

Run from the project root:  python examples/cases/make_cp_plans.py

Writes cp_plans.csv (data-contract case records) and annex_a_list7.csv (the same kind of
rows under Ofsted's Annex A List 7 headings) next to this script. The output is
deterministic (random.Random(2019)) and is shaped to match the figures in the August 2019
performance report, evaluated at 2019-08-31:

- 722 plans open (end date blank or after 2019-08-31); 694 open at 2019-07-31;
- 31 open plans started two or more years earlier (on or before 2017-08-31), including one
  that started exactly on 2017-08-31; one started 2017-09-01 (a day short: must not count);
- the longest open plans are 36 months old, for 3 children;
- 534 open plans started less than a year earlier (74%);
- 82 plans started in August 2019, 29 of them (35%) a second or subsequent plan;
- 225 open plans (31.2%) are a second or subsequent plan; 14 children are on a 4th plan
  and 1 on a 5th;
- 300 closed plans, 54 of which ended during August 2019.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

Plan = dict[str, Any]
HERE = Path(__file__).resolve().parent
AS_OF = date(2019, 8, 31)
TWO_YEARS_BEFORE = date(2017, 8, 31)
ONE_YEAR_BEFORE = date(2018, 8, 31)

LOCALITIES = {  # locality -> share of plans
    "Cheltenham": 0.18,
    "Cotswolds": 0.10,
    "Forest of Dean": 0.15,
    "Gloucester": 0.27,
    "Stroud": 0.14,
    "Tewkesbury": 0.16,
}
CATEGORIES = {
    "Neglect": 0.48,
    "Emotional abuse": 0.32,
    "Physical abuse": 0.08,
    "Sexual abuse": 0.04,
    "Multiple": 0.08,
}
WORKERS_PER_LOCALITY = 10
N_CLOSED_BEFORE_AUGUST = 246
N_CLOSED_IN_AUGUST = 54

rng = random.Random(2019)


def day_between(first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def whole_months(start: date, as_of: date) -> int:
    months = (as_of.year - start.year) * 12 + as_of.month - start.month
    return months - (1 if as_of.day < start.day else 0)


def is_open(plan: Plan, as_of: date) -> bool:
    return plan["start_date"] <= as_of and (plan["end_date"] is None or plan["end_date"] > as_of)


def open_start_dates() -> list[date]:
    starts = [day_between(date(2016, 8, 1), date(2016, 8, 31)) for _ in range(3)]  # 36 months
    starts.append(date(2017, 8, 31))  # exactly two years: counts
    starts += [day_between(date(2016, 9, 1), date(2017, 8, 30)) for _ in range(27)]
    starts.append(date(2017, 9, 1))  # one day short of two years: must not count
    starts += [day_between(date(2017, 9, 2), date(2018, 8, 31)) for _ in range(156)]
    starts += [day_between(date(2018, 9, 1), date(2019, 7, 31)) for _ in range(452)]
    starts.append(AS_OF)  # made subject to a plan on the evaluation day
    starts += [day_between(date(2019, 8, 1), date(2019, 8, 30)) for _ in range(81)]
    return starts


def closed_periods() -> list[tuple[date, date]]:
    periods = []
    for _ in range(N_CLOSED_IN_AUGUST):
        end = day_between(date(2019, 8, 1), date(2019, 8, 30))
        periods.append((end - timedelta(days=rng.randint(90, 700)), end))
    for _ in range(N_CLOSED_BEFORE_AUGUST):
        end = day_between(date(2017, 6, 1), date(2019, 7, 30))
        periods.append((end - timedelta(days=rng.randint(90, 800)), end))
    return periods


def previous_plans_for(n_open: int, starts: list[date]) -> list[int]:
    """225 of the open plans are repeat plans: 29 of the 82 August starts, 196 of the rest."""
    august = [i for i in range(n_open) if starts[i] >= date(2019, 8, 1)]
    earlier = [i for i in range(n_open) if starts[i] < date(2019, 8, 1)]
    repeat = rng.sample(august, 29) + rng.sample(earlier, 196)
    counts = [0] * n_open
    rng.shuffle(repeat)
    for k, i in enumerate(repeat):
        counts[i] = 3 if k < 14 else 4 if k == 14 else rng.choices([1, 2], [0.75, 0.25])[0]
    return counts


def build() -> list[Plan]:
    localities = list(LOCALITIES)
    worker_numbers = rng.sample(range(1, 100), WORKERS_PER_LOCALITY * len(localities))
    workers = {
        loc: worker_numbers[i * WORKERS_PER_LOCALITY : (i + 1) * WORKERS_PER_LOCALITY]
        for i, loc in enumerate(localities)
    }
    starts = open_start_dates()
    previous = previous_plans_for(len(starts), starts)
    periods: list[tuple[date, date | None]] = [(s, None) for s in starts]
    periods += closed_periods()
    ids = rng.sample(range(1, 1_000_000), len(periods))
    plans: list[Plan] = []
    for k, (start, end) in enumerate(periods):
        locality = rng.choices(localities, list(LOCALITIES.values()))[0]
        plans.append(
            {
                "child_id": f"C{ids[k]:06d}",
                "plan_type": "CP",
                "start_date": start,
                "end_date": end,
                "team": f"{locality} Safeguarding",
                "locality": locality,
                "worker": f"Worker {rng.choice(workers[locality])}",
                "category": rng.choices(list(CATEGORIES), list(CATEGORIES.values()))[0],
                "previous_plans": previous[k]
                if k < len(starts)
                else rng.choices([0, 1, 2, 3], [0.70, 0.20, 0.08, 0.02])[0],
            }
        )
    # Some plans open at the evaluation date have since ended (the extract was taken later).
    boundary = {date(2017, 8, 31), date(2017, 9, 1), AS_OF}
    later = [
        p
        for p in plans[: len(starts)]
        if p["start_date"] not in boundary and whole_months(p["start_date"], AS_OF) < 36
    ]
    ended_later = [next(p for p in later if p["start_date"] <= TWO_YEARS_BEFORE)]
    ended_later += rng.sample([p for p in later if p not in ended_later], 11)
    for n, plan in enumerate(ended_later):
        plan["end_date"] = (
            date(2019, 9, 1) if n == 0 else day_between(date(2019, 9, 2), date(2019, 10, 15))
        )
    plans.sort(key=lambda p: (p["start_date"], p["child_id"]))
    return plans


def verify(plans: list[Plan]) -> None:
    open_now = [p for p in plans if is_open(p, AS_OF)]
    over_two_years = [p for p in open_now if p["start_date"] <= TWO_YEARS_BEFORE]
    under_one_year = [p for p in open_now if p["start_date"] > ONE_YEAR_BEFORE]
    longest = max(whole_months(p["start_date"], AS_OF) for p in open_now)
    at_longest = [p for p in open_now if whole_months(p["start_date"], AS_OF) == longest]
    started_august = [p for p in plans if date(2019, 8, 1) <= p["start_date"] <= AS_OF]
    repeat_august = [p for p in started_august if p["previous_plans"] >= 1]
    repeat_open = [p for p in open_now if p["previous_plans"] >= 1]
    closed = [p for p in plans if p["end_date"] is not None and p["end_date"] < AS_OF]
    open_july = [p for p in plans if is_open(p, date(2019, 7, 31))]
    checks = [
        ("open at 2019-08-31", len(open_now), 722),
        ("open at 2019-08-31 for two years or more", len(over_two_years), 31),
        ("longest open plan, whole months", longest, 36),
        ("open plans at the longest duration", len(at_longest), 3),
        ("open less than one year", len(under_one_year), 534),
        ("open at 2019-07-31", len(open_july), 694),
        ("started in August 2019", len(started_august), 82),
        ("started in August 2019, second or subsequent", len(repeat_august), 29),
        ("open, second or subsequent plan", len(repeat_open), 225),
        ("open, 4th plan", sum(p["previous_plans"] == 3 for p in open_now), 14),
        ("open, 5th plan", sum(p["previous_plans"] == 4 for p in open_now), 1),
        ("closed before 2019-08-31", len(closed), N_CLOSED_BEFORE_AUGUST + N_CLOSED_IN_AUGUST),
        ("open at 2019-08-31, ended since", sum(p["end_date"] is not None for p in open_now), 12),
    ]
    for label, got, expected in checks:
        print(f"{label}: {got}")
        assert got == expected, f"{label}: expected {expected}, got {got}"
    by_start = {p["start_date"]: p for p in open_now}
    assert date(2017, 8, 31) in by_start and date(2017, 9, 1) in by_start
    assert by_start[date(2017, 9, 1)] not in over_two_years
    assert len({p["child_id"] for p in plans}) == len(plans)
    assert all(p["end_date"] is None or p["end_date"] > p["start_date"] for p in plans)
    assert all(p["start_date"] <= AS_OF for p in plans)
    print(f"open, second or subsequent plan share: {len(repeat_open) / len(open_now):.1%}")
    print(f"plans written: {len(plans)}")


def iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def uk(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def write_plans(plans: list[Plan]) -> None:
    fields = [
        "child_id",
        "plan_type",
        "start_date",
        "end_date",
        "team",
        "locality",
        "worker",
        "category",
        "previous_plans",
    ]
    with (HERE / "cp_plans.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(fields)
        for p in plans:
            writer.writerow([iso(p[f]) if f.endswith("_date") else p[f] for f in fields])


def write_annex_a(plans: list[Plan]) -> None:
    """Six rows under Annex A List 7 headings: four open plans (boundaries incl.), two closed."""
    open_blank = [p for p in plans if p["end_date"] is None]
    picks = [
        next(p for p in open_blank if whole_months(p["start_date"], AS_OF) == 36),
        next(p for p in open_blank if p["start_date"] == date(2017, 8, 31)),
        next(p for p in open_blank if p["start_date"] == date(2017, 9, 1)),
        next(p for p in open_blank if p["start_date"] >= date(2019, 8, 1)),
    ]
    closed = [p for p in plans if p["end_date"] is not None and p["end_date"] < AS_OF]
    picks += rng.sample(closed, 2)
    headings = [
        "Child Unique ID",
        "Child Protection Plan Start Date",
        "Child Protection Plan End Date",
        "Initial Category of Abuse",
        "Latest Category of Abuse",
        "Number of Previous Child Protection Plans",
        "Allocated Team",
        "Allocated Worker",
        "Date of the Last Statutory Visit",
    ]
    with (HERE / "annex_a_list7.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(headings)
        for n, p in enumerate(picks):
            last_day = p["end_date"] or AS_OF
            visit = day_between(max(p["start_date"], last_day - timedelta(days=25)), last_day)
            while visit.weekday() >= 5:  # visits on working days
                visit -= timedelta(days=1)
            latest = "Multiple" if n == 1 and p["category"] != "Multiple" else p["category"]
            writer.writerow(
                [
                    p["child_id"],
                    uk(p["start_date"]),
                    uk(p["end_date"]),
                    p["category"],
                    latest,
                    p["previous_plans"],
                    p["team"],
                    p["worker"],
                    uk(visit),
                ]
            )


def main() -> None:
    plans = build()
    verify(plans)
    write_plans(plans)
    write_annex_a(plans)


if __name__ == "__main__":
    main()
