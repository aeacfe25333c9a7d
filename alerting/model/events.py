"""Child-level events: one row per contact, referral, assessment, plan or period in care.

An event is what one row of an Ofsted Annex A list (or a tidy events CSV) says about one
child: its kind, when it started and ended (or was completed), who holds it, and the other
dates the timeliness checks count working days between (kept in `dates`, by name) and a
few coded facts (`details`). Child ids only: never a name, date of birth or address.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class EventKind(StrEnum):
    """One kind per Annex A list (List 5 gives two: the S47 enquiry and its ICPC)."""

    CONTACT = "contact"          # List 1
    EARLY_HELP = "early_help"    # List 2
    REFERRAL = "referral"        # List 3
    ASSESSMENT = "assessment"    # List 4
    S47 = "s47"                  # List 5
    ICPC = "icpc"                # List 5, when an initial conference was held
    CIN = "cin"                  # List 6
    CP_PLAN = "cp_plan"          # List 7
    CIC = "cic"                  # List 8, children in care
    CARE_LEAVER = "care_leaver"  # List 9
    ADOPTION = "adoption"        # List 10


# What start_date and end_date mean for each kind (and so its natural key: child id, kind
# and start date; a care leaver has no start in Annex A, so one record per child).
START_END: Mapping[EventKind, tuple[str, str]] = {
    EventKind.CONTACT: ("date of contact", "-"),
    EventKind.EARLY_HELP: ("early help assessment started", "assessment completed"),
    EventKind.REFERRAL: ("date of referral", "-"),
    EventKind.ASSESSMENT: ("assessment started", "assessment authorised (completed)"),
    EventKind.S47: ("strategy discussion initiating the S47 enquiry", "-"),
    EventKind.ICPC: ("strategy discussion initiating the S47 enquiry",
                     "date of the initial child protection conference"),
    EventKind.CIN: ("CIN start date", "CIN closure date"),
    EventKind.CP_PLAN: ("plan start date", "plan end date"),
    EventKind.CIC: ("date started to be looked after", "date ceased to be looked after"),
    EventKind.CARE_LEAVER: ("-", "-"),
    EventKind.ADOPTION: ("decision that the child should be placed for adoption",
                         "adoption order, or decision no longer to place"),
}

UNDATED_KINDS = frozenset({EventKind.CARE_LEAVER})

# The other dates each kind keeps (by field name), for the working-day checks: visits,
# reviews, the strategy discussion before an ICPC, the adoption milestones.
EVENT_DATES: Mapping[EventKind, tuple[str, ...]] = {
    EventKind.CONTACT: (),
    EventKind.EARLY_HELP: (),
    EventKind.REFERRAL: (),
    EventKind.ASSESSMENT: ("referral_date", "initial_visit"),
    EventKind.S47: ("icpc_date",),
    EventKind.ICPC: ("strategy_discussion",),
    EventKind.CIN: ("last_seen", "latest_review"),
    EventKind.CP_PLAN: ("last_visit", "latest_review"),
    EventKind.CIC: ("legal_status_start", "latest_review", "last_visit", "last_iro_visit",
                    "last_health_assessment", "last_dental_check", "placement_start"),
    EventKind.CARE_LEAVER: ("latest_review", "latest_contact"),
    EventKind.ADOPTION: ("entered_care", "placement_order", "matched", "placed",
                         "adoption_order", "no_longer_placed_decision", "ffa_placement"),
}


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One child-level event. `dates` holds the other dates by name (referral_date,
    last_statutory_visit, latest_review, ...); `details` short coded facts."""

    child_id: str
    kind: EventKind
    start_date: date | None
    end_date: date | None = None
    team: str | None = None
    locality: str | None = None
    worker: str | None = None
    dates: Mapping[str, date] = field(default_factory=dict)
    details: Mapping[str, str] = field(default_factory=dict)

    @property
    def episode(self) -> str:
        """The event's identity within its child and kind: its start date (ISO), or ''
        for kinds that have none (one care-leaver record per child)."""
        return self.start_date.isoformat() if self.start_date else ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.child_id, self.kind.value, self.episode)


@dataclass(frozen=True)
class EventFrame:
    """Events as columns (a list per field, in child id then start date order): what a
    timeliness check reads. `date(name)` gives one of the extra dates as a column."""

    child_id: list[str]
    kind: list[EventKind]
    start_date: list[date | None]
    end_date: list[date | None]
    team: list[str | None]
    locality: list[str | None]
    worker: list[str | None]
    dates: list[Mapping[str, date]]
    details: list[Mapping[str, str]]

    def __len__(self) -> int:
        return len(self.child_id)

    @classmethod
    def from_records(cls, records: Iterable[EventRecord]) -> EventFrame:
        rows = sorted(records, key=lambda r: (r.child_id, r.kind.value, r.episode))
        return cls(
            child_id=[r.child_id for r in rows], kind=[r.kind for r in rows],
            start_date=[r.start_date for r in rows], end_date=[r.end_date for r in rows],
            team=[r.team for r in rows], locality=[r.locality for r in rows],
            worker=[r.worker for r in rows], dates=[r.dates for r in rows],
            details=[r.details for r in rows],
        )

    def date(self, name: str) -> list[date | None]:
        """One named extra date per event (None where it has none)."""
        return [d.get(name) for d in self.dates]

    def detail(self, name: str) -> list[str | None]:
        return [d.get(name) for d in self.details]

    def records(self) -> list[EventRecord]:
        return [EventRecord(*row) for row in zip(
            self.child_id, self.kind, self.start_date, self.end_date, self.team,
            self.locality, self.worker, self.dates, self.details, strict=True)]
