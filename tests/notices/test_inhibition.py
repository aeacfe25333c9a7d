"""Inhibition: while a red breach of a measure in an area fires, the decline warning of the
same measure and area is recorded but sends nothing; when the breach ends, it is told."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alerting.alerts.inhibition import InhibitRule, with_inhibitions
from alerting.alerts.state import Alert, AlertState
from alerting.model.findings import Severity, Status
from alerting.model.problems import ProblemsFound
from alerting.routing.routes import load_routing
from tests.notices.conftest import messages
from tests.notices.scenario import RULES, Council
from tests.notifiers.helpers import SmtpServer

NOW = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
RED_INHIBITS_DECLINE = """
inhibit:
  - source: {rule: visits-off-target, status: red}
    target: {rule: visits-decline}
    reason: the breach says it already
"""
DECLINE = """
  - id: visits-decline
    type: decline
    title: Visits declining
    severity: medium
    periods: 3
"""


def alert(rule: str, subject: str, area: str, status: Status, *,
          state: AlertState = AlertState.FIRING, labels: dict[str, str] | None = None) -> Alert:
    return Alert(identity=f"{rule}|{subject}|{area}", rule=rule, subject=subject, area=area,
                 state=state, status=status, severity=Severity.HIGH, episode=1,
                 started_at=NOW, changed_at=NOW, last_seen_at=NOW, resolved_at=None,
                 finding={"labels": {"rule": rule, "measure": subject, "area": area,
                                     **(labels or {})}})


RULE = InhibitRule.model_validate({"source": {"rule": "tolerance-*", "status": "red"},
                                   "target": {"rule": "decline"}})


def test_a_red_breach_inhibits_the_decline_of_the_same_measure_and_area() -> None:
    """Same subject and area: inhibited, naming the breach; another area: not."""
    red = alert("tolerance-visits", "visits", "Stroud", Status.RED)
    same = alert("decline", "visits", "Stroud", Status.BREACH)
    elsewhere = alert("decline", "visits", "Cotswolds", Status.BREACH)
    result = {a.identity: a.inhibited_by for a in with_inhibitions([red, same, elsewhere],
                                                                   [RULE])}
    assert result == {red.identity: None, same.identity: red.identity,
                      elsewhere.identity: None}


def test_only_a_firing_source_with_the_matching_status_inhibits() -> None:
    """An amber or resolved breach inhibits nothing."""
    amber = alert("tolerance-visits", "visits", "Stroud", Status.AMBER)
    resolved = alert("tolerance-visits", "visits", "Cotswolds", Status.RED,
                     state=AlertState.RESOLVED)
    targets = [alert("decline", "visits", "Stroud", Status.BREACH),
               alert("decline", "visits", "Cotswolds", Status.BREACH)]
    assert [a.inhibited_by for a in with_inhibitions([amber, resolved, *targets], [RULE])][2:] \
        == [None, None]


def test_alerts_matching_both_sides_never_mute_each_other() -> None:
    """An alert matching source and target is inhibited only by one matching the source
    alone (as in Alertmanager); `equal: team` compares teams, not subjects."""
    rule = InhibitRule.model_validate({"source": {"severity": "high"},
                                       "target": {"rule": "cp*"}, "equal": "team"})
    stroud = {"team": "Stroud", "severity": "high"}
    one = alert("cp", "C1", "Stroud", Status.BREACH, labels=stroud)
    other = alert("cp", "C2", "Stroud", Status.BREACH, labels=stroud)
    assert [a.inhibited_by for a in with_inhibitions([one, other], [rule])] == [None, None]
    workforce = alert("caseloads", "caseloads", "Stroud", Status.RED, labels=stroud)
    muted = with_inhibitions([one, other, workforce], [rule])
    assert [a.inhibited_by for a in muted] == [workforce.identity, workforce.identity, None]


def test_alerts_not_updated_this_pass_still_inhibit() -> None:
    """A breach from a job that did not run now still mutes the decline evaluated now."""
    red = alert("tolerance-visits", "visits", "Stroud", Status.RED)
    decline = alert("decline", "visits", "Stroud", Status.BREACH)
    assert with_inhibitions([decline], [RULE], others=[red])[0].inhibited_by == red.identity


def test_an_inhibition_that_no_longer_applies_is_lifted() -> None:
    """With no rules left, a stored inhibited_by is cleared."""
    decline = alert("decline", "visits", "Stroud", Status.BREACH)
    stale = Alert(**{**decline.__dict__, "inhibited_by": "gone|x|y"})
    assert with_inhibitions([stale], [])[0].inhibited_by is None


@pytest.mark.parametrize(("entry", "message"), [
    ("  - target: {rule: x}\n", "inhibit[0]: source"),
    ("  - source: {rule: x}\n    target: {rule: y}\n    equals: [area]\n", "equals"),
    ("  source: {rule: x}\n", "inhibit must be a list"),
])
def test_a_wrong_inhibit_entry_names_the_file_line_and_field(tmp_path: Path, entry: str,
                                                           message: str) -> None:
    """Errors in `inhibit:` name the file, the line and the field."""
    file = tmp_path / "recipients.yaml"
    file.write_text("receivers:\n  - name: a\n    email: {to: [a@x.example]}\nroute:\n"
                    "  receiver: a\ninhibit:\n" + entry)
    with pytest.raises(ProblemsFound) as caught:
        load_routing(file)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert message in text and f"{file.name}:" in text
    assert any(p.line and p.line >= 6 for p in caught.value.problems)


def test_the_team_hears_of_the_breach_then_of_the_decline_when_the_breach_ends(
        council: Council, smtp: SmtpServer) -> None:
    """Three falls to 70%: red and declining; only the breach is sent, the decline is
    recorded as inhibited. Back within tolerance but still falling: the decline is new."""
    (council.root / "rules" / "rules.yaml").write_text(RULES + DECLINE)
    council.write_recipients()
    with (council.root / "recipients.yaml").open("a") as file:
        file.write(RED_INHIBITS_DECLINE)

    council.visits({"Jun-26": 95, "Jul-26": 92, "Aug-26": 88, "Sep-26": 70})
    first = council.run(date(2026, 9, 30))
    alerts = council.store.alerts()
    decline = alerts["visits-decline|visits|Testshire"]
    assert decline.inhibited_by == "visits-off-target|visits|Testshire"
    assert len(first.notices) == 1
    sent = messages(smtp)
    assert len(sent) == 1 and "Visits declining" not in sent[0].as_string()

    council.visits({"Sep-26": 84})  # 84 vs 85 at 5%: amber, still the third fall in a row
    second = council.run(date(2026, 9, 30))
    decline = council.store.alerts()["visits-decline|visits|Testshire"]
    assert decline.inhibited_by is None
    assert "Visits declining" in messages(smtp)[-1].as_string()
    assert len(second.notices) == 1
