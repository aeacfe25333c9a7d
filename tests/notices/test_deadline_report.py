"""The August 2019 report's open-assessment paragraph, found and worded by `case_deadline`:
child ids to the team's manager only, counts (share, longest) and the report's sentence to
the head of service. Synthetic children; no real child is in this test."""

from datetime import UTC, date, datetime

from alerting.config.ruleset import load_rules
from alerting.model.calendar import england_and_wales
from alerting.model.events import EventKind, EventRecord
from alerting.pipeline import notice_pass
from alerting.rendering.render import Renderer, ServiceInfo
from alerting.routing.routes import load_routing
from alerting.rules import EvaluationContext
from alerting.rules.evaluation import evaluate
from notifiers import EMAIL
from tests.conftest import ROOT
from tests.rules.test_case_deadline import events_data

AS_OF = date(2019, 8, 30)  # the Friday before the August bank holiday had passed (26 Aug)
NOW = datetime(2019, 8, 30, 9, tzinfo=UTC)
RULE = """
rules:
  - id: assessment-over-90wd
    type: case_deadline
    title: Assessments open for more than 90 working days
    kind: assessment
    within: 90wd
"""


def august_2019() -> list[EventRecord]:
    """18 assessments open for more than 90 working days (15 in Cotswolds, the longest, 185
    working days, with TACS in Gloucester), and 42 open within 90."""
    calendar = england_and_wales()
    def back(days: int) -> date:
        return calendar.add_working_days(AS_OF, -days)
    def assessment(child: str, days: int, team: str, locality: str) -> EventRecord:
        return EventRecord(child, EventKind.ASSESSMENT, back(days), None, team, locality,
                           "Worker 1")
    events = [assessment("A0185", 185, "TACS", "Gloucester"),
              assessment("A0100", 100, "Gloucester Safeguarding", "Gloucester"),
              assessment("A0095", 95, "Stroud Safeguarding", "Stroud")]
    events += [assessment(f"A1{n:03}", 91 + n, "Cotswolds Safeguarding", "Cotswolds")
               for n in range(15)]
    events += [assessment(f"B{n:03}", 20 + n, "Cotswolds Safeguarding", "Cotswolds")
               for n in range(30)]
    events += [assessment(f"C{n:03}", 90 - n, "Stroud Safeguarding", "Stroud")
               for n in range(12)]
    return events


def test_the_report_sentence_the_counts_and_the_privacy_of_child_ids(tmp_path):
    """The head of service reads the report's sentence and counts per team, never a child
    id; the Cotswolds manager gets the Cotswolds children by id."""
    (tmp_path / "rules.yaml").write_text(RULE)
    ruleset = load_rules([tmp_path / "rules.yaml"])
    assert ruleset.problems == ()
    data = events_data(august_2019())
    evaluation = evaluate(ruleset.rules, data, EvaluationContext(AS_OF))
    findings = evaluation.exceptions
    assert len(findings) == 18
    assert findings[0].details["summary"]["text"] == (
        "Assessments for 18 children have been open for more than 90 working days; "
        "Cotswolds holds 15. The longest, 185 working days, is with TACS.")
    longest = next(f for f in findings if f.subject == "A0185")
    assert longest.details["working_days_overdue"] == 95
    # Exactly 90 working days is not 'more than 90': C000 is in the cohort, not a finding.
    assert "C000" not in {f.subject for f in findings}

    routing = load_routing(ROOT / "config" / "recipients.yaml")
    done = notice_pass({}, findings, evaluated={"assessment-over-90wd"},
                       known={"assessment-over-90wd"}, now=NOW, routing=routing, log={},
                       rule_titles=ruleset.rule_titles())
    drafts = {d.receiver.name: d for d in done.plan.drafts}
    renderer = Renderer(None, ServiceInfo("Testshire"))

    def email(name: str) -> str:
        return renderer.render(drafts[name], notice_id="n1", channel="email", target={},
                               formats=frozenset({EMAIL}), max_bytes=None, now=NOW).text

    head = email("head-of-safeguarding")
    assert ("Assessments for 18 children have been open for more than 90 working days; "
            "Cotswolds holds 15. The longest, 185 working days, is with TACS.") in head
    assert ("Assessments open for more than 90 working days — 15 children in Cotswolds "
            "Safeguarding (33% of 45 open; the longest 105 working days)") in head
    assert ("— 1 child in TACS (100% of 1 open; the longest 185 working days)") in head
    assert "A0185" not in head and "A1000" not in head

    cotswolds = email("cotswolds-safeguarding-manager")
    assert "Child id: A1000" in cotswolds
    assert "A0185" not in cotswolds and "A0095" not in cotswolds


def test_the_teams_card_carries_the_same_sentence_and_counts(tmp_path):
    """A head of service on Teams reads the report's sentence and the share and longest per
    team, in a valid Adaptive Card, with no child id."""
    import json

    from notifiers.teams import ADAPTIVE_CARD
    from tests.notices.test_rendering import validate_card

    (tmp_path / "rules.yaml").write_text(RULE)
    ruleset = load_rules([tmp_path / "rules.yaml"])
    findings = evaluate(ruleset.rules, events_data(august_2019()),
                        EvaluationContext(AS_OF)).exceptions
    routing = load_routing(ROOT / "config" / "recipients.yaml")
    done = notice_pass({}, findings, evaluated={"assessment-over-90wd"},
                       known={"assessment-over-90wd"}, now=NOW, routing=routing, log={},
                       rule_titles=ruleset.rule_titles())
    draft = next(d for d in done.plan.drafts if d.receiver.name == "head-of-safeguarding")
    notice = Renderer(None, ServiceInfo("Testshire")).render(
        draft, notice_id="n1", channel="teams", target={"url": "https://x.invalid"},
        formats=frozenset({ADAPTIVE_CARD}), max_bytes=None, now=NOW)
    card = notice.documents[ADAPTIVE_CARD]
    text = json.dumps(card, ensure_ascii=False)
    assert ("Assessments for 18 children have been open for more than 90 working days; "
            "Cotswolds holds 15. The longest, 185 working days, is with TACS.") in text
    assert "15 children (33% of 45 open; the longest 105 working days)" in text
    assert "A0185" not in text and "A1000" not in text
    validate_card(card)
