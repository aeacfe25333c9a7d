"""Rendering: the Teams card validates against Adaptive Card 1.4, data HTML arrives inert,
long lists are cut under 28 KB with 'and N more', templates are overridable and strict."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from alerting.alerts.state import NotifyReason, update_alerts
from alerting.model.findings import Finding, Severity, Status
from alerting.rendering.render import Renderer, ServiceInfo, TemplateProblem
from alerting.routing.grouping import ChildCount, DueAlert, NoticeDraft
from alerting.routing.routes import Receiver
from notifiers import ADAPTIVE_CARD, EMAIL, JSON, MESSAGE_CARD
from tests.conftest import ROOT
from tests.notices.scenario import Council

SCHEMA = ROOT.parent / "shared" / "schemas" / "adaptive-card-1.4.json"
NOW = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
EVIL = '<script>alert("x")</script><img src=x onerror=1>'


def validate_card(card: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"the Adaptive Card schema is read from {SCHEMA}, absent here "
                    "(../shared is not part of this checkout)")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    content = {k: v for k, v in card.items() if k != "msteams"}  # a Teams extension
    jsonschema.Draft6Validator(schema).validate(content)


def finding(index: int = 0, *, child: bool = False, title: str = "Initial visits",
            commentary: str | None = None) -> Finding:
    if child:
        return Finding(
            rule="cp-over-2y", rule_type="case_duration", subject=f"C{index:06d}",
            subject_title=f"Child C{index:06d}", area="Stroud Safeguarding",
            period=date(2026, 9, 30), period_label="2026-09-30", status=Status.BREACH,
            severity=Severity.HIGH, exception=True,
            message=f"Child C{index:06d} (Stroud Safeguarding): on a CP plan since 2024-01-05",
            value=32.0, labels={"rule": "cp-over-2y", "team": "Stroud Safeguarding"},
            details={"child_level": True, "child_id": f"C{index:06d}", "plan_type": "CP",
                     "start_date": "2024-01-05", "team": "Stroud Safeguarding",
                     "worker": "Worker 7"})
    return Finding(
        rule="off-target", rule_type="tolerance", subject=f"m{index}", subject_title=title,
        area="Cotswolds", period=date(2026, 8, 31), period_label="Aug-26", status=Status.RED,
        severity=Severity.HIGH, exception=True, message=f"{title} (Cotswolds): 63.0% in Aug-26",
        value=63.0, target=85.0, labels={"rule": "off-target", "area": "Cotswolds"},
        details={"unit": "percent", "polarity": "bigger_is_better", "tolerance_rule":
                 "relative 5%", "comparators": {"england": 80.1}, "commentary": commentary,
                 "owner": "Head of Safeguarding", "link": "https://intranet.example/visits",
                 "trend": [{"label": "Jul-26", "value": 70.0, "target": 85.0},
                           {"label": "Aug-26", "value": 63.0, "target": 85.0}]})


def draft(findings: list[Finding], counts: tuple[ChildCount, ...] = (),
          **fields: Any) -> NoticeDraft:
    rules = {f.rule for f in findings}
    alerts = [u.alert for u in update_alerts({}, findings, rules, rules, NOW)]
    receiver = Receiver(name="cotswolds", title="Cotswolds <locality>",
                        child_level_for=("Stroud Safeguarding",),
                        channels={"teams": {"url": "https://example.invalid/hook"}})
    return NoticeDraft(receiver, tuple(DueAlert(a, NotifyReason.FIRST) for a in alerts),
                       counts, rule_titles={"off-target": "Off <target>"}, **fields)


def render(notice_draft: NoticeDraft, formats: frozenset[str], *,
           renderer: Renderer | None = None, max_bytes: int | None = 28_000):  # type: ignore[no-untyped-def]
    chosen = renderer or Renderer(None, ServiceInfo("Testshire", "https://intranet.example/d"))
    return chosen.render(notice_draft, notice_id="n1", channel="teams", target={},
                         formats=formats, max_bytes=max_bytes, now=NOW)


def test_default_card_validates_against_adaptive_card_1_4() -> None:
    """The card for measure and child-level alerts, with counts and a link, is valid 1.4."""
    notice = render(draft([finding(1), finding(2, child=True)],
                          (ChildCount("cp-over-2y", "Cotswolds Safeguarding",
                                      NotifyReason.FIRST, 4),)), frozenset({ADAPTIVE_CARD}))
    card = notice.documents.get(ADAPTIVE_CARD)
    assert card is not None
    validate_card(dict(card))
    assert card["version"] == "1.4"
    facts = [fact for item in card["body"] if item["type"] == "Container"
             for element in item["items"] if element["type"] == "FactSet"
             for fact in element["facts"]]
    titles = {fact["title"]: fact["value"] for fact in facts}
    assert titles["Value"] == "63.0%"
    assert titles["Target"] == "85.0% (tolerance relative 5%)"
    assert titles["Child id"] == "C000002"
    assert titles["Allocated worker"] == "Worker 7"
    assert card["actions"] == [{"type": "Action.OpenUrl", "url": "https://intranet.example/d",
                                "title": "Open the performance dashboard"}]


def test_html_in_titles_and_commentary_is_escaped_in_the_card() -> None:
    """Markup from data arrives as inert text (&lt;...) in every card string."""
    notice = render(draft([finding(1, title=EVIL, commentary=EVIL)]),
                    frozenset({ADAPTIVE_CARD, MESSAGE_CARD}))
    for card in (notice.documents.get(ADAPTIVE_CARD), notice.documents.get(MESSAGE_CARD)):
        text = json.dumps(card, ensure_ascii=False)
        assert "<script>" not in text and "<img" not in text and "<target>" not in text
        assert "&lt;script&gt;" in text
    validate_card(dict(notice.documents.get(ADAPTIVE_CARD) or {}))


def test_html_arrives_escaped_at_a_real_teams_endpoint(store, smtp, httpserver: HTTPServer,
                                                       tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Posted to a loopback webhook, the card body carries no raw markup from the data."""
    council = Council(tmp_path, store, smtp.port, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook", method="POST").respond_with_data("", status=202)
    council.visits({"Aug-26": 70}, commentary=EVIL)
    council.run(date(2026, 8, 31))
    body = httpserver.log[0][0].get_data(as_text=True)
    posted = json.loads(body)
    assert posted["type"] == "message"
    content = posted["attachments"][0]["content"]
    validate_card(content)
    text = json.dumps(content, ensure_ascii=False)
    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;" in text


def test_long_digest_is_cut_under_the_size_limit_with_and_n_more() -> None:
    """300 child-level alerts do not fit in 28 KB: the card shows what fits and 'and N more'."""
    notice = render(draft([finding(i, child=True) for i in range(300)]),
                    frozenset({ADAPTIVE_CARD}))
    card = notice.documents.get(ADAPTIVE_CARD) or {}
    envelope = {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
        "content": card}]}
    assert len(json.dumps(envelope, separators=(",", ":")).encode()) <= 28_000
    shown = sum(1 for item in card["body"] if item["type"] == "Container")
    assert 10 < shown < 300
    assert any(item.get("text", "").startswith(f"…and {300 - shown} more")
               for item in card["body"])
    validate_card(dict(card))


def test_short_digest_is_not_cut() -> None:
    """Under the limit every alert is shown and nothing says 'more'."""
    card = render(draft([finding(i) for i in range(3)]),
                  frozenset({ADAPTIVE_CARD})).documents.get(ADAPTIVE_CARD) or {}
    assert sum(1 for item in card["body"] if item["type"] == "Container") == 3
    assert "more" not in json.dumps(card)


def test_email_html_escapes_and_text_does_not() -> None:
    """Autoescape in the HTML part; the plain-text part shows the characters as typed."""
    notice = render(draft([finding(1, title=EVIL, commentary=EVIL)]), frozenset({EMAIL}))
    assert "<script>" not in (notice.html or "")
    assert "&lt;script&gt;" in (notice.html or "")
    assert "Cotswolds &lt;locality&gt;" in (notice.html or "")
    assert EVIL in notice.text
    assert notice.images and notice.images[0].content.startswith(b"\x89PNG")


def test_webhook_payload_lists_alerts_as_data() -> None:
    """The generic webhook gets machine-readable alerts with labels and fingerprints."""
    payload = render(draft([finding(1)]), frozenset({JSON})).documents.get(JSON) or {}
    [alert] = payload["alerts"]
    assert alert["fingerprint"] == "off-target|m1|Cotswolds"
    assert (alert["status"], alert["reason"], alert["value"]) == ("firing", "first", 63.0)
    assert payload["receiver"] == "cotswolds"


def test_route_template_override_and_strict_undefined(tmp_path: Path) -> None:
    """A user template replaces the default; a misspelt variable names the template."""
    (tmp_path / "short.txt.j2").write_text("{{ alerts|length }} for {{ receiver.title }}")
    (tmp_path / "broken.txt.j2").write_text("{{ recevier.title }}")
    renderer = Renderer(tmp_path, ServiceInfo("Testshire"))
    notice = render(draft([finding(1)], templates={"email_text": "short.txt.j2"}),
                    frozenset({EMAIL}), renderer=renderer)
    assert notice.text == "1 for Cotswolds <locality>"
    with pytest.raises(TemplateProblem, match=r"broken\.txt\.j2: 'recevier' is undefined"):
        render(draft([finding(1)], templates={"email_text": "broken.txt.j2"}),
               frozenset({EMAIL}), renderer=renderer)


def test_rule_template_override_replaces_that_rules_part(tmp_path: Path) -> None:
    """A rule's own partial renders its alerts; other rules keep the default."""
    (tmp_path / "visits.txt.j2").write_text("VISITS {{ alert.subject }} {{ alert.value }}")
    renderer = Renderer(tmp_path, ServiceInfo("Testshire"))
    notice = render(draft([finding(1), finding(2, child=True)],
                          rule_templates={"off-target": {"email_text": "visits.txt.j2"}}),
                    frozenset({EMAIL}), renderer=renderer)
    assert "VISITS m1 63.0%" in notice.text
    assert "Child id: C000002" in notice.text


def test_sandbox_refuses_unsafe_attribute_access(tmp_path: Path) -> None:
    """Templates run sandboxed: reaching into Python internals is refused."""
    (tmp_path / "evil.txt.j2").write_text("{{ receiver.__class__.__mro__ }}")
    renderer = Renderer(tmp_path, ServiceInfo("Testshire"))
    with pytest.raises(TemplateProblem):
        render(draft([finding(1)], templates={"email_text": "evil.txt.j2"}),
               frozenset({EMAIL}), renderer=renderer)


def test_spc_notice_states_the_limits_and_its_chart_draws_them() -> None:
    """An spc finding's message names the mean, limits and signal; the email's chart draws
    the limits and marks the special-cause point (it differs from the plain trend chart)."""
    from alerting.rendering.chart import trend_png

    message = ("Re-referrals (Cotswolds): 28.0% in Aug-26, special cause concern (above the "
               "upper process limit); mean 22.0%, process limits 16.7% to 27.3%")
    spc = Finding(
        rule="spc-concern", rule_type="spc", subject="re-referrals", subject_title="Re-referrals",
        area="Cotswolds", period=date(2026, 8, 31), period_label="Aug-26",
        status=Status.BREACH, severity=Severity.MEDIUM, exception=True, message=message,
        value=28.0, labels={"rule": "spc-concern", "area": "Cotswolds"},
        details={"unit": "percent", "polarity": "smaller_is_better", "mean": 22.0,
                 "lower_limit": 16.68, "upper_limit": 27.32,
                 "history": [{"period": "2026-07-31", "value": 21.0, "signals": []},
                             {"period": "2026-08-31", "value": 28.0,
                              "signals": ["outside_limits"]}],
                 "trend": [{"period": "2026-07-31", "label": "Jul-26", "value": 21.0},
                           {"period": "2026-08-31", "label": "Aug-26", "value": 28.0}]})
    notice = render(draft([spc]), frozenset({EMAIL}))
    assert "mean 22.0%, process limits 16.7% to 27.3%" in notice.text
    assert notice.images[0].content == trend_png([21.0, 28.0], [None, None],
                                                 limits=(16.68, 22.0, 27.32),
                                                 flagged=[False, True])
    assert notice.images[0].content != trend_png([21.0, 28.0], [None, None])
