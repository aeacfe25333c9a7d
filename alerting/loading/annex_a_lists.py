"""The Ofsted Annex A lists and their headings, mapped onto event fields.

Headings follow Ofsted's Annex A child-level data template for inspections of local
authority children's services (ILACS), lists 1-10, in the wording tabulated by the
regional data projects' `liia-tools` (SocialFinance, `annex_a_pipeline/spec/
Annex_A_schema.yml`, the schema in use after its `Annex_A_schema_2020.yml`), which mirrors
the template's column headings. Ofsted's own template file could not be consulted here, so
where councils' copies or other editions word a heading differently (`Child ID`, `Date
assessment started`, `Date of Last Statutory Visit`) the variant is accepted too. Headings
are compared folded: case, runs of spaces, curly quotes, a trailing `?`, `:` or `*` and a
trailing `(DD/MM/YYYY)` or `(Y/N)` do not matter.

Only the headings below are read. Everything else in a sheet (names, gender, ethnicity,
date of birth, age, addresses, placement postcodes, URNs) is never stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from alerting.model.events import EventKind


@dataclass(frozen=True)
class AnnexList:
    """One Annex A list: its number, what it holds, and heading -> event field."""

    number: int
    title: str
    kind: EventKind
    pairs: tuple[tuple[str, str], ...]  # (heading, field); a field's first is the published
    sheet_words: tuple[str, ...]  # words that name the list in a sheet title

    @cached_property
    def headings(self) -> Mapping[str, str]:
        """Folded heading -> event field."""
        return {fold_heading(h): f for h, f in self.pairs}

    @property
    def start_headings(self) -> list[str]:
        return [h for h, f in self.headings.items() if f == "start_date"]

    def published(self, field: str) -> str:
        """The published heading for a field (for messages)."""
        return next((h for h, f in self.pairs if f == field), field)


_FORMAT_SUFFIX = re.compile(
    r"\s*[\(\[]\s*(?:dd[/\-.]mm[/\-.]yy(?:yy)?|y\s*/\s*n|yes\s*/\s*no|date)\s*[\)\]]\s*$")


def fold_heading(heading: object) -> str:
    """A heading as compared: lower case, single spaces, straight quotes, no format suffix."""
    text = str(heading or "").replace("\ufeff", "").replace("\u2019", "'").replace("\u2018", "'")
    text = " ".join(text.split()).lower()
    previous = None
    while previous != text:
        previous = text
        text = _FORMAT_SUFFIX.sub("", text).rstrip("?:* ").strip()
    return text


def _headings(*pairs: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return pairs


_COMMON = (
    ("Child Unique ID", "child_id"), ("Child ID", "child_id"), ("Unique Child ID", "child_id"),
    ("Child Unique Identifier", "child_id"), ("Child Identifier", "child_id"),
    ("LAchildID", "child_id"),
    ("Allocated Team", "team"), ("Team", "team"), ("Allocated Team Name", "team"),
    ("Allocated Worker", "worker"), ("Worker", "worker"), ("Allocated Social Worker", "worker"),
    ("Locality", "locality"), ("Area", "locality"), ("Allocated Locality", "locality"),
)
_DISABILITY = ("Does the Child have a Disability", "disability")

LISTS: tuple[AnnexList, ...] = (
    AnnexList(1, "contacts", EventKind.CONTACT, _headings(
        ("Date of Contact", "start_date"), ("Contact Date", "start_date"),
        ("Contact Source", "contact_source"), ("Source of Contact", "contact_source"),
        *_COMMON), ("contact",)),
    AnnexList(2, "early help", EventKind.EARLY_HELP, _headings(
        ("Assessment start date", "start_date"), ("Early Help Assessment Start Date",
                                                  "start_date"),
        ("Date assessment started", "start_date"),
        ("Assessment completion date", "end_date"),
        ("Early Help Assessment Completion Date", "end_date"),
        ("Date assessment completed", "end_date"),
        ("Organisation completing assessment", "organisation"), *_COMMON), ("early help",)),
    AnnexList(3, "referrals", EventKind.REFERRAL, _headings(
        ("Date of referral", "start_date"), ("Referral Date", "start_date"),
        ("Referral Source", "referral_source"), ("Source of Referral", "referral_source"),
        ("Referral NFA", "referral_nfa"),
        ("Number of Referrals in Last 12 Months", "referrals_last_12_months"),
        *_COMMON), ("referral",)),
    AnnexList(4, "assessments", EventKind.ASSESSMENT, _headings(
        ("Continuous Assessment Start Date", "start_date"),
        ("Assessment Start Date", "start_date"), ("Date assessment started", "start_date"),
        ("Continuous Assessment Date of Authorisation", "end_date"),
        ("Assessment Authorisation Date", "end_date"),
        ("Date of Assessment Authorisation", "end_date"),
        ("Date assessment completed", "end_date"), ("Assessment Completion Date", "end_date"),
        ("Child Seen During Continuous Assessment", "child_seen"),
        ("Was the child assessed as requiring LA children's social care support",
         "needs_social_care_support"),
        ("Date of referral", "referral_date"), ("Date of initial visit", "initial_visit"),
        ("Date child first seen", "initial_visit"), _DISABILITY, *_COMMON), ("assessment",)),
    AnnexList(5, "section 47 enquiries and ICPCs", EventKind.S47, _headings(
        ("Strategy discussion initiating Section 47 Enquiry Start Date", "start_date"),
        ("Strategy Discussion Initiating Section 47 Enquiry Date", "start_date"),
        ("Date of strategy discussion", "start_date"),
        ("Section 47 Enquiry Start Date", "start_date"),
        ("Was an Initial Child Protection Conference deemed unnecessary", "icpc_unnecessary"),
        ("Date of Initial Child Protection Conference", "icpc_date"),
        ("Date of ICPC", "icpc_date"),
        ("Did the Initial Child Protection Conference Result in a Child Protection Plan",
         "icpc_resulted_in_plan"),
        ("Number of Section 47 Enquiries in the last 12 months", "s47_last_12_months"),
        ("Number of ICPCs in the last 12 months", "icpcs_last_12_months"),
        _DISABILITY, *_COMMON), ("section 47", "s47", "icpc")),
    AnnexList(6, "children in need", EventKind.CIN, _headings(
        ("CIN Start Date", "start_date"), ("Child in Need Start Date", "start_date"),
        ("CIN Closure Date", "end_date"), ("Child in Need Closure Date", "end_date"),
        ("Date Child Was Last Seen", "last_seen"),
        ("Date of latest CIN plan review", "latest_review"),
        ("Primary Need Code", "primary_need"), ("Reason for Closure", "closure_reason"),
        ("Case Status", "case_status"), _DISABILITY, *_COMMON),
        ("children in need", "child in need", "cin")),
    AnnexList(7, "child protection plans", EventKind.CP_PLAN, _headings(
        ("Child Protection Plan Start Date", "start_date"), ("CP Plan Start Date", "start_date"),
        ("Child Protection Plan End Date", "end_date"), ("CP Plan End Date", "end_date"),
        ("Initial Category of Abuse", "initial_category"),
        ("Latest Category of Abuse", "latest_category"),
        ("Date of the Last Statutory Visit", "last_visit"),
        ("Date of Last Statutory Visit", "last_visit"),
        ("Was the Child Seen Alone", "seen_alone"),
        ("Date of latest review conference", "latest_review"),
        ("Date of Latest Review Conference", "latest_review"),
        ("Subject to Emergency Protection Order or Protected Under Police Powers in Last Six "
         "Months", "emergency_protection"),
        ("Number of Previous Child Protection Plans", "previous_plans"),
        _DISABILITY, *_COMMON), ("child protection", "cp plan", "cpp")),
    AnnexList(8, "children in care", EventKind.CIC, _headings(
        ("Date Started to be Looked After", "start_date"),
        ("Date Started to be Looked After (Current Episode)", "start_date"),
        ("Date Ceased to be Looked After", "end_date"),
        ("Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months", "uasc"),
        ("Child's Category of Need", "category_of_need"),
        ("Is this a second or subsequent period of being a Looked After Child within the "
         "last 12 months", "second_period"),
        ("Start date of current legal status", "legal_status_start"),
        ("Child's Legal Status", "legal_status"),
        ("Date of Latest Statutory Review", "latest_review"),
        ("Date of Last Social Work Visit", "last_visit"),
        ("Date of Last Statutory Visit", "last_visit"),
        ("What is the permanence plan for this child", "permanence_plan"),
        ("Date of Last IRO Visit / Contact to the Child", "last_iro_visit"),
        ("Date of Last Health Assessment", "last_health_assessment"),
        ("Date of Last Dental Check", "last_dental_check"),
        ("Number of Placements in the Last 12 months", "placements_last_12_months"),
        ("Reason Ceased to be Looked After", "ceased_reason"),
        ("Start Date of Most Recent Placement", "placement_start"),
        ("Placement Type", "placement_type"), ("Placement Provider", "placement_provider"),
        ("Placement Location", "placement_location"), ("LA of Placement", "la_of_placement"),
        ("Number of Episodes the Child has been 'Missing' from their Placement in the last "
         "12 months", "missing_episodes"),
        ("Number of Episodes the Child has been 'Absent' from their Placement in the last "
         "12 months", "absent_episodes"),
        ("Was the child offered a Return Interview after their last missing episode",
         "return_interview_offered"),
        ("Did the child accept a Return Interview after their last missing episode",
         "return_interview_accepted"),
        _DISABILITY, *_COMMON), ("children in care", "looked after", "cla", "cic")),
    AnnexList(9, "care leavers", EventKind.CARE_LEAVER, _headings(
        ("Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over", "uasc"),
        ("Allocated Personal Advisor", "personal_advisor"),
        ("Allocated Personal Adviser", "personal_advisor"),
        ("Eligibility Category", "eligibility"),
        ("Latest Pathway Plan Review Date", "latest_review"),
        ("LA in Touch", "in_touch"), ("Latest Date of Contact", "latest_contact"),
        ("Type of Accommodation", "accommodation_type"),
        ("Suitability of Accommodation", "accommodation_suitable"),
        ("Activity Status", "activity"), _DISABILITY, *_COMMON), ("care leaver",)),
    AnnexList(10, "adoption", EventKind.ADOPTION, _headings(
        ("Date of Decision that Child Should be Placed for Adoption", "start_date"),
        ("Date the Child Entered Care", "entered_care"),
        ("Date of Placement Order", "placement_order"),
        ("Date of Matching Child and Prospective Adopters", "matched"),
        ("Date Placed for Adoption", "placed"),
        ("Date of Adoption Order", "adoption_order"),
        ("Date of Decision that Child Should No Longer be Placed for Adoption",
         "no_longer_placed_decision"),
        ("Reason Why Child No Longer Placed for Adoption", "reason_no_longer_placed"),
        ("Date the child was placed for fostering in FFA or concurrent planning placement",
         "ffa_placement"), _DISABILITY, *_COMMON), ("adoption",)),
)

BY_NUMBER = {annex.number: annex for annex in LISTS}
CHILD_ID_HEADINGS = frozenset(h for h, f in LISTS[0].headings.items() if f == "child_id")

_LIST_TITLE = re.compile(r"\blist\s*[-_]?\s*0?(\d{1,2})\b|^\s*l\s*0?(\d{1,2})\b", re.I)


def list_by_sheet_title(title: str) -> AnnexList | None:
    """`List 3`, `List 3 - Referrals`, `L3`, or a title naming it (`Referrals`)."""
    match = _LIST_TITLE.search(title)
    if match:
        return BY_NUMBER.get(int(match.group(1) or match.group(2)))
    folded = f" {fold_heading(title)} "
    for annex in LISTS:
        if any(re.search(rf"\b{re.escape(word)}", folded) for word in annex.sheet_words):
            return annex
    return None


def is_list_title(title: str) -> bool:
    return _LIST_TITLE.search(title) is not None


_SIGNATURE = {9: {"allocated personal advisor", "allocated personal adviser",
                  "eligibility category"}}


def list_by_headings(folded: set[str]) -> AnnexList | None:
    """The list a heading row belongs to: among the lists whose start-date heading (or,
    for care leavers, signature heading) is there, the one with most headings matched."""
    candidates = [annex for annex in LISTS
                  if folded & (set(annex.start_headings) | _SIGNATURE.get(annex.number, set()))]
    if not candidates:
        return None
    return max(candidates, key=lambda annex: len(folded & set(annex.headings)))
