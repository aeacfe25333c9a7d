"""An Ofsted Annex A workbook (lists 1-10) for invented children, laid out as the template:
a title row above Ofsted's headings, one sheet per list.

    python -m benchmarks.generate.annex_a --children 50000 --out annex_a.xlsx

Every list carries the template's columns, including those the service never stores
(gender, ethnicity, date of birth, age, placement postcode), so loading it shows they stay
out. List 3's dates are typed as text (dd/mm/yyyy), the others are date cells. No real
child is represented.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.generate.scales import AS_OF

CHILD = "Child Unique ID"
PERSONAL = ["Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)"]
DISABILITY = "Does the Child have a Disability"
TEAM, WORKER = "Allocated Team", "Allocated Worker"

# (number, sheet title, title row, headings after the child id and personal columns)
LISTS: list[tuple[int, str, str, list[str]]] = [
    (1, "List 1", "List 1: Contacts", ["Date of Contact", "Contact Source"]),
    (2, "List 2", "List 2: Early Help", [
        "Assessment start date", "Assessment completion date",
        "Organisation completing assessment"]),
    (3, "List 3", "List 3: Referrals", [
        "Date of referral", "Referral Source", "Referral NFA?",
        "Number of Referrals in Last 12 Months", TEAM, WORKER]),
    (4, "List 4", "List 4: Assessments", [
        DISABILITY, "Continuous Assessment Start Date",
        "Child Seen During Continuous Assessment",
        "Continuous Assessment Date of Authorisation",
        "Was the child assessed as requiring LA children's social care support?", TEAM,
        WORKER]),
    (5, "List 5", "List 5: Section 47 enquiries and Initial Child Protection Conferences", [
        DISABILITY, "Strategy discussion initiating Section 47 Enquiry Start Date",
        "Was an Initial Child Protection Conference deemed unnecessary?",
        "Date of Initial Child Protection Conference",
        "Did the Initial Child Protection Conference Result in a Child Protection Plan",
        "Number of Section 47 Enquiries in the last 12 months",
        "Number of ICPCs in the last 12 months", TEAM, WORKER]),
    (6, "List 6", "List 6: Children in Need", [
        DISABILITY, "CIN Start Date", "Primary Need Code", "Date Child Was Last Seen",
        "CIN Closure Date", "Reason for Closure", "Case Status", TEAM, WORKER]),
    (7, "List 7", "List 7: Child Protection", [
        DISABILITY, "Child Protection Plan Start Date", "Initial Category of Abuse",
        "Latest Category of Abuse", "Date of the Last Statutory Visit",
        "Was the Child Seen Alone?", "Date of latest review conference",
        "Child Protection Plan End Date",
        "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six "
        "Months (Y/N)", "Number of Previous Child Protection Plans", TEAM, WORKER]),
    (8, "List 8", "List 8: Children in Care", [
        "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
        DISABILITY, "Date Started to be Looked After", "Child's Category of Need",
        "Is this a second or subsequent period of being a Looked After Child within the "
        "last 12 months (Y/N)", "Start date of current legal status", "Child's Legal Status",
        "Date of Latest Statutory Review", "Date of Last Social Work Visit",
        "What is the permanence plan for this child?",
        "Date of Last IRO Visit / Contact to the Child", "Date of Last Health Assessment",
        "Date of Last Dental Check", "Number of Placements in the Last 12 months",
        "Date Ceased to be Looked After", "Reason Ceased to be Looked After",
        "Start Date of Most Recent Placement", "Placement Type", "Placement Provider",
        "Placement postcode", "URN of Placement", "Placement Location", "LA of Placement",
        "Number of Episodes the Child has been 'Missing' from their Placement in the last "
        "12 months", TEAM, WORKER]),
    (9, "List 9", "List 9: Care Leavers", [
        "Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
        DISABILITY, TEAM, WORKER, "Allocated Personal Advisor", "Eligibility Category",
        "Latest Pathway Plan Review Date", "LA in Touch", "Latest Date of Contact",
        "Type of Accommodation", "Suitability of Accommodation", "Activity Status"]),
    (10, "List 10", "List 10: Adoption", [
        DISABILITY, "Date the Child Entered Care",
        "Date of Decision that Child Should be Placed for Adoption",
        "Date of Placement Order", "Date of Matching Child and Prospective Adopters",
        "Date Placed for Adoption", "Date of Adoption Order",
        "Date of Decision that Child Should No Longer be Placed for Adoption",
        "Reason Why Child No Longer Placed for Adoption", TEAM, WORKER]),
]

# Share of children on each list (list 1: every child, some twice)
_SHARE = {2: 0.2, 3: 0.6, 4: 0.55, 5: 0.15, 6: 0.3, 7: 0.08, 8: 0.06, 9: 0.03, 10: 0.01}
_TEAMS = [f"{place} {team}" for place in ("Cheltenham", "Cotswolds", "Forest of Dean",
                                          "Gloucester", "Stroud", "Tewkesbury")
          for team in ("Safeguarding", "Children in Care")]


@dataclass
class AnnexACounts:
    """Rows written per list, and the events they should load as per event kind."""

    rows: dict[int, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)


def _ago(rng: random.Random, days: int) -> date:
    return AS_OF - timedelta(days=rng.randint(1, days))


def _after(rng: random.Random, start: date, most: int) -> date | None:
    end = start + timedelta(days=rng.randint(1, most))
    return end if end <= AS_OF else None


class _Child:
    def __init__(self, rng: random.Random, number: int):
        self.rng = rng
        self.id = f"C{number:07d}"
        self.team = rng.choice(_TEAMS)
        self.worker = f"Worker {rng.randint(1, 400)}"
        born = AS_OF - timedelta(days=rng.randint(30, 17 * 365))
        self.personal = [rng.choice(["a) Male", "b) Female"]), "a) WBRI", born,
                         (AS_OF - born).days // 365]

    def row(self, cells: list[Any]) -> list[Any]:
        return [self.id, *self.personal, *cells]


def _list1(c: _Child) -> list[list[Any]]:
    first = _ago(c.rng, 180)
    rows = [c.row([first, "e) 2A: Schools"])]
    if c.rng.random() < 0.33:
        rows.append(c.row([first + timedelta(days=c.rng.randint(1, 60)), "q) 6: Police"]))
    return rows


def _list2(c: _Child) -> list[list[Any]]:
    start = _ago(c.rng, 365)
    return [c.row([start, _after(c.rng, start, 90), "Family Support Service"])]


def _list3(c: _Child) -> list[list[Any]]:
    start = _ago(c.rng, 365)
    return [c.row([start.strftime("%d/%m/%Y"), "q) 6: Police", "b) No",
                   c.rng.randint(1, 3), c.team, c.worker])]


def _list4(c: _Child) -> list[list[Any]]:
    start = _ago(c.rng, 365)
    return [c.row(["b) No", start, "a) Yes", _after(c.rng, start, 70), "a) Yes", c.team,
                   c.worker])]


def _list5(c: _Child) -> list[list[Any]]:
    start = _ago(c.rng, 365)
    held = c.rng.random() < 2 / 3
    icpc = start + timedelta(days=c.rng.randint(5, 25)) if held else None
    if icpc and icpc > AS_OF:
        icpc = None
    return [c.row(["b) No", start, "b) No" if held else "a) Yes", icpc,
                   "a) Yes" if icpc else None, 1, 1 if icpc else 0, c.team, c.worker])]


def _list6(c: _Child) -> list[list[Any]]:
    start = _ago(c.rng, 700)
    end = _after(c.rng, start, 500)
    return [c.row(["b) No", start, "N1 - Abuse or neglect", _ago(c.rng, 30), end,
                   "RC8 - Case closed after assessment, no further action" if end else None,
                   "e) Closed episode" if end else "c) Child in need plan", c.team,
                   c.worker])]


def _list7(c: _Child) -> list[list[Any]]:
    start = _ago(c.rng, 1000)
    end = _after(c.rng, start, 900)
    return [c.row(["b) No", start, "a) Neglect", "d) Emotional abuse", _ago(c.rng, 20),
                   "a) Yes", _ago(c.rng, 180), end, "b) No", c.rng.choice([0, 0, 1, 2]),
                   c.team, c.worker])]


def _list8(c: _Child) -> list[list[Any]]:
    start = _ago(c.rng, 2000)
    end = _after(c.rng, start, 2500)
    return [c.row(["b) No", "b) No", start, "N1 - Abuse or neglect", "b) No", start,
                   "C2: FCO", _ago(c.rng, 180), _ago(c.rng, 42), "f) Long-term fostering",
                   _ago(c.rng, 90), _ago(c.rng, 365), _ago(c.rng, 200), 1, end,
                   "e) E4A: Returned home" if end else None, start, "f) U6: Foster placement",
                   "b) PR1: Own provision", "GL1 1AA", None, "a) In", None, 0, c.team,
                   c.worker])]


def _list9(c: _Child) -> list[list[Any]]:
    return [c.row(["b) No", "b) No", c.team, c.worker, f"PA {c.rng.randint(1, 40)}",
                   "b) Former relevant child", _ago(c.rng, 180), "a) Yes", _ago(c.rng, 60),
                   "D: Semi-independent", "a) Suitable", "F3: Full time in training"])]


def _list10(c: _Child) -> list[list[Any]]:
    entered = _ago(c.rng, 900)
    decision = entered + timedelta(days=c.rng.randint(30, 200))
    order = _after(c.rng, decision, 400)
    return [c.row(["b) No", entered, min(decision, AS_OF), None, None, None, order, None, None,
                   c.team, c.worker])]


_ROWS: dict[int, Callable[[_Child], list[list[Any]]]] = {
    1: _list1, 2: _list2, 3: _list3, 4: _list4, 5: _list5, 6: _list6, 7: _list7, 8: _list8,
    9: _list9, 10: _list10}
_KIND = {1: "contact", 2: "early_help", 3: "referral", 4: "assessment", 5: "s47", 6: "cin",
         7: "cp_plan", 8: "cic", 9: "care_leaver", 10: "adoption"}


def write_annex_a(path: Path, children: int, seed: int = 2024) -> AnnexACounts:
    """Write the workbook (write-only: rows stream to disk) and say what it holds."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    counts = AnnexACounts()
    people = [_Child(random.Random(seed * 1_000_003 + i), i + 1) for i in range(children)]
    for number, title, title_row, headings in LISTS:
        sheet = book.create_sheet(title)
        sheet.append([f"Annex A {title_row} (synthetic data, no real children)"])
        sheet.append([CHILD, *PERSONAL, *headings])
        rows = 0
        icpcs = 0
        chooser = random.Random(seed + number)
        for child in people:
            if number != 1 and chooser.random() >= _SHARE[number]:
                continue
            for row in _ROWS[number](child):
                sheet.append(row)
                rows += 1
                if number == 5 and row[8] is not None:
                    icpcs += 1
        counts.rows[number] = rows
        counts.events[_KIND[number]] = rows
        if number == 5:
            counts.events["icpc"] = icpcs
    book.save(path)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    counts = write_annex_a(args.out, args.children, args.seed)
    print(f"{args.out}: " + ", ".join(f"List {n}: {c}" for n, c in counts.rows.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
