"""Notices across runs: once when a problem starts, again when it worsens or has been open
too long, once when resolved; silences; child-level privacy. Real SMTP on loopback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from alerting.alerts.silences import Silence, add_silence, expire_silence
from alerting.alerts.state import AlertState
from tests.notices.conftest import bodies, messages
from tests.notices.scenario import Council
from tests.notifiers.helpers import SmtpServer

AUG = date(2026, 8, 31)
SEP = date(2026, 9, 30)
OCT = date(2026, 10, 31)


def test_new_breach_then_unchanged_then_resolved_sends_one_then_none_then_one(
        council: Council, smtp: SmtpServer) -> None:
    """Three runs over changing data deliver exactly one notice, then none, then one resolved."""
    council.visits({"Jul-26": 84, "Aug-26": 70})
    first = council.run(AUG)
    assert [n.receiver for n in first.notices] == ["performance"]
    assert len(messages(smtp)) == 1

    second = council.run(AUG)
    assert second.notices == ()
    assert len(messages(smtp)) == 1

    council.visits({"Sep-26": 90})
    third = council.run(SEP)
    assert [n.receiver for n in third.notices] == ["performance"]
    delivered = messages(smtp)
    assert len(delivered) == 2
    assert delivered[0]["Subject"].startswith("[Testshire] New: Off target")
    assert delivered[1]["Subject"].startswith("[Testshire] Resolved: Off target")
    assert council.store.alerts()["visits-off-target|visits|Testshire"].state \
        is AlertState.RESOLVED


def test_amber_to_red_is_an_escalation_notice(council: Council, smtp: SmtpServer) -> None:
    """Amber -> red on an open alert sends a 'Worse' notice; red -> amber sends nothing."""
    council.visits({"Aug-26": 82})  # 82 vs 85 at 5%: amber
    council.run(AUG)
    council.visits({"Sep-26": 70})
    escalated = council.run(SEP)
    assert len(escalated.notices) == 1
    assert escalated.notices[0].subject.startswith("[Testshire] Worse: Off target")
    council.visits({"Oct-26": 83})
    improved = council.run(OCT)
    assert improved.notices == ()
    assert [u.change.value for u in improved.updates] == ["improved"]
    assert len(messages(smtp)) == 2


def test_repeat_interval_reminds_about_an_unchanged_alert(council: Council,
                                                          smtp: SmtpServer) -> None:
    """An unchanged open alert is repeated once the route's repeat interval has passed."""
    council.write_recipients(repeat="7d")
    council.visits({"Aug-26": 70})
    council.run(AUG)
    assert council.run(AUG, after=timedelta(days=6, hours=23)).notices == ()
    repeat = council.run(AUG, after=timedelta(hours=1))
    assert len(repeat.notices) == 1
    assert repeat.notices[0].subject.startswith("[Testshire] Still open: Off target")
    assert council.run(AUG, after=timedelta(days=1)).notices == ()
    assert len(messages(smtp)) == 2


def test_resolved_notices_can_be_turned_off_per_route(council: Council) -> None:
    """With send_resolved false, a resolution is recorded but no notice is sent."""
    council.write_recipients(send_resolved=False)
    council.visits({"Aug-26": 70})
    council.run(AUG)
    council.visits({"Sep-26": 90})
    outcome = council.run(SEP)
    assert outcome.notices == ()
    assert [u.change.value for u in outcome.updates] == ["resolved"]


def test_a_breach_that_comes_back_is_new_again(council: Council) -> None:
    """Fired, resolved, fired again: the second episode gets a first notice of its own."""
    council.visits({"Aug-26": 70})
    council.run(AUG)
    council.visits({"Sep-26": 90})
    council.run(SEP)
    council.visits({"Oct-26": 60})
    again = council.run(OCT)
    assert [n.subject.split(":")[0] for n in again.notices] == ["[Testshire] New"]
    assert council.store.alerts()["visits-off-target|visits|Testshire"].episode == 2


def test_silenced_alert_is_recorded_but_not_sent_until_the_silence_ends(
        council: Council, smtp: SmtpServer) -> None:
    """A silence keeps notices back, the alert shows as silenced, and expiry releases it."""
    silences = Path(council.settings.silences)
    add_silence(silences, Silence(id="s1", rule=("visits-off-target",), area=("Testshire",),
                                  ends=datetime(2027, 1, 1, tzinfo=UTC), reason="backlog",
                                  author="p.lead"))
    council.visits({"Aug-26": 70})
    muted = council.run(AUG)
    assert muted.notices == ()
    assert muted.silenced == 1
    assert council.store.alerts()["visits-off-target|visits|Testshire"].silenced_by == "s1"
    expire_silence(silences, "s1", council.now + timedelta(hours=1))
    released = council.run(AUG)
    assert [n.subject.split(":")[0] for n in released.notices] == ["[Testshire] New"]
    assert council.store.alerts()["visits-off-target|visits|Testshire"].silenced_by is None
    assert len(messages(smtp)) == 1


def test_child_level_detail_goes_only_to_the_entitled_team_manager(
        council: Council, smtp: SmtpServer) -> None:
    """The Stroud manager sees Stroud's children; the head of service gets counts only."""
    council.plans(("C100001", "Stroud Safeguarding", date(2024, 1, 5)),
                  ("C100002", "Stroud Safeguarding", date(2023, 6, 1)),
                  ("C200001", "Cotswolds Safeguarding", date(2024, 2, 1)))
    outcome = council.run(date(2026, 9, 30))
    by_receiver = {n.receiver: n for n in outcome.notices}
    assert set(by_receiver) == {"stroud-manager", "head-of-service"}
    manager = by_receiver["stroud-manager"]
    assert "C100001" in manager.text and "C100002" in manager.text
    assert "C200001" not in manager.text and "C200001" not in (manager.html or "")
    assert "Time on plan: 2 years 8 months" in manager.text
    assert "Allocated worker: Worker 7" in manager.text
    head = by_receiver["head-of-service"]
    for child in ("C100001", "C100002", "C200001"):
        assert child not in head.text and child not in (head.html or "")
        assert child not in str(head.to_json())
    assert "2 children in Stroud Safeguarding" in head.text
    assert "1 child in Cotswolds Safeguarding" in head.text
    delivered = {m["To"]: bodies(m) for m in messages(smtp)}
    assert "C100001" in delivered["stroud.tm@example.gov.uk"][0]
    assert "C100001" not in "".join(delivered["head@example.gov.uk"])


def test_html_in_titles_and_commentary_arrives_escaped_in_email(council: Council,
                                                                smtp: SmtpServer) -> None:
    """Markup from data is escaped in the HTML part, never passed through."""
    council.visits({"Aug-26": 70}, commentary='<script>alert("x")</script> & more')
    council.run(AUG)
    text, html = bodies(messages(smtp)[0])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in html
    assert "Initial visits in time &lt;b&gt;(10 working days)&lt;/b&gt;" in html
    assert '<script>alert("x")</script>' in text  # plain text shows it as text


def test_email_carries_trend_chart_and_key_facts(council: Council, smtp: SmtpServer) -> None:
    """The email shows value, target, tolerance, polarity, trend (inline chart) and owner."""
    council.visits({"May-26": 84, "Jun-26": 80, "Jul-26": 77, "Aug-26": 73})
    council.run(AUG)
    message = messages(smtp)[0]
    text, html = bodies(message)
    for fact in ("Value: 73.0%", "Target: 85.0%", "Tolerance: relative 5%",
                 "Good performance: bigger is better", "Owner: Head of Safeguarding",
                 "May-26 84.0%"):
        assert fact in text
    assert '<img src="cid:chart-1@csc-alerting"' in html
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1
    assert images[0]["Content-ID"] == "<chart-1@csc-alerting>"
    assert images[0].get_payload(decode=True).startswith(b"\x89PNG")


def test_a_notice_says_who_is_handling_the_alert(council: Council, smtp: SmtpServer) -> None:
    """Once a manager marks an alert 'being handled by', its next notice says so."""
    from alerting.store.handling import Handling

    council.visits({"Aug-26": 82})
    council.run(AUG)
    identity = "visits-off-target|visits|Testshire"
    council.store.set_handling(Handling(identity, 1, "Sam Patel", "recording backlog",
                                        "j.smith", datetime(2026, 9, 1, tzinfo=UTC)))
    council.visits({"Sep-26": 70})
    escalated = council.run(SEP)
    assert len(escalated.notices) == 1
    text, html = bodies(messages(smtp)[-1])
    assert "Being handled by Sam Patel: recording backlog" in text
    assert "Being handled by" in html and "Sam Patel: recording backlog" in html
