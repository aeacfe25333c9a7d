"""The JSON API and /metrics over real HTTP: the same operations as the CLI (alerts, who is
handling one, silences, runs, status, outbox retry), documented by OpenAPI."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx

from alerting.alerts.silences import load_silences
from tests.web.conftest import ADMIN, LEAD, STROUD, TOKENS, Served, dead_notice

ADMIN_TOKEN = {"Authorization": f"Bearer {TOKENS['TEST_TOKEN_ADMIN']}"}


def test_alerts_are_the_stores_open_alerts(served: Served) -> None:
    """GET /api/alerts lists every open alert for someone entitled to every team."""
    answer = httpx.get(served.url + "/api/alerts", headers={"X-Remote-User": ADMIN})
    assert answer.status_code == 200
    listed = answer.json()
    firing = served.store.alerts(firing_only=True)
    assert {a["identity"] for a in listed["alerts"]} == set(firing)
    assert listed["child_counts"] == []
    one = next(a for a in listed["alerts"] if a["rule"] == "significantly-worse-than-target")
    assert {"rule_title", "severity", "started_at", "team", "handled_by", "told"} <= set(one)


def test_filter_by_team_and_severity(served: Served) -> None:
    """?team= and ?severity= narrow the list as the page's filters do."""
    answer = httpx.get(served.url + "/api/alerts", headers={"X-Remote-User": ADMIN},
                       params={"team": "Stroud Safeguarding", "severity": "high"}).json()
    assert answer["alerts"]
    assert {(a["team"], a["severity"]) for a in answer["alerts"]} == {
        ("Stroud Safeguarding", "high")}


def test_a_manager_says_who_is_handling_an_alert_and_it_is_audited(served: Served) -> None:
    """POST .../handling by the team's manager: shown on the alert, in the list, and in the
    audit trail with who did it; DELETE clears it (audited too)."""
    identity = next(a.identity for a in served.store.alerts(firing_only=True).values()
                    if a.child_level and a.area == "Stroud Safeguarding")
    url = f"{served.url}/api/alerts/{quote(identity, safe='')}/handling"
    headers = {"X-Remote-User": STROUD}
    set_ = httpx.post(url, headers=headers, json={"handled_by": "Sam Patel",
                                                  "note": "review conference booked"})
    assert set_.status_code == 200
    assert set_.json()["handled_by"]["name"] == "Sam Patel"
    assert set_.json()["audit"][0]["actor"] == STROUD
    assert "review conference booked" in set_.json()["audit"][0]["detail"]
    listed = httpx.get(served.url + "/api/alerts", headers=headers).json()["alerts"]
    assert next(a for a in listed if a["identity"] == identity)["handled_by"]["note"] == \
        "review conference booked"
    cleared = httpx.delete(url, headers=headers)
    assert cleared.json()["handled_by"] is None
    assert [e["action"] for e in cleared.json()["audit"][:2]] == ["handling-cleared",
                                                                  "handling"]


def test_silences_are_added_listed_and_expired_as_the_cli_does(served: Served) -> None:
    """POST /api/silences writes the silences file (author = the caller) and the audit
    trail; /expire ends it now."""
    headers = {"X-Remote-User": LEAD}
    added = httpx.post(served.url + "/api/silences", headers=headers, json={
        "rule": ["three-period-decline"], "area": ["Cotswolds"], "until": "2w",
        "reason": "recording backlog"})
    assert added.status_code == 201, added.text
    silence = added.json()
    assert silence["author"] == LEAD and silence["active"]
    stored = load_silences(Path(served.settings.silences))
    assert stored.get(silence["id"]) is not None
    listed = httpx.get(served.url + "/api/silences", headers=headers).json()
    assert silence["id"] in {s["id"] for s in listed}
    ended = httpx.post(f"{served.url}/api/silences/{silence['id']}/expire", headers=headers,
                       json={})
    assert ended.status_code == 200 and not ended.json()["active"]
    actions = [e.action for e in served.store.audit_trail(silence["id"])]
    assert actions == ["silence-expired", "silence-added"]


def test_a_silence_without_a_matcher_or_with_a_bad_end_is_refused(served: Served) -> None:
    """The same checks as `alerting silence add`, in words: 400 and nothing written."""
    headers = {"X-Remote-User": LEAD}
    nothing = httpx.post(served.url + "/api/silences", headers=headers,
                         json={"until": "2w", "reason": "r"})
    assert nothing.status_code == 400
    assert "at least one of" in nothing.json()["detail"]
    bad = httpx.post(served.url + "/api/silences", headers=headers,
                     json={"rule": ["x"], "until": "soon", "reason": "r"})
    assert bad.status_code == 400
    assert "2026-12-31" in bad.json()["detail"]


def test_runs_and_status(served: Served) -> None:
    """GET /api/runs is `alerting runs --format json`; /api/status is `alerting status`."""
    runs = httpx.get(served.url + "/api/runs", headers=ADMIN_TOKEN).json()
    assert runs[0]["outcome"] == "ok" and runs[0]["rows_loaded"] == 1471
    status = httpx.get(served.url + "/api/status", headers=ADMIN_TOKEN).json()
    assert status["status"] in {"healthy", "warning", "unhealthy"}
    assert status["open_alerts"] > 0
    sources = httpx.get(served.url + "/api/sources", headers=ADMIN_TOKEN).json()
    assert {s["name"] for s in sources} == {"scorecard", "monthly-report", "dashboard",
                                            "cp-plans"}


def test_outbox_retry_queues_a_dead_notice_and_delivers_it(served: Served) -> None:
    """POST /api/outbox/retry by an administrator's token: the dead notice is sent."""
    notice_id = dead_notice(served.store, Path(str(served.settings.redirect_to_folder)),
                            "dead0000notice0002")
    answer = httpx.post(served.url + "/api/outbox/retry", headers=ADMIN_TOKEN,
                        json={"ids": [notice_id]})
    assert answer.status_code == 200 and answer.json() == {"queued": 1}
    entry = next(e for e in served.store.outbox() if e.id == notice_id)
    assert entry.status == "sent"
    assert served.store.audit_trail(notice_id)[0].actor == "admin-script"


def test_openapi_documents_the_api(served: Served) -> None:
    """/openapi.json (signed in) lists the API's paths; the pages are not in it."""
    schema = httpx.get(served.url + "/openapi.json", headers=ADMIN_TOKEN).json()
    paths = set(schema["paths"])
    assert {"/api/alerts", "/api/alerts/{identity}", "/api/alerts/{identity}/handling",
            "/api/silences", "/api/silences/{silence_id}/expire", "/api/runs", "/api/status",
            "/api/outbox", "/api/outbox/retry", "/api/sources"} <= paths
    assert "/alerts" not in paths


def test_metrics_for_prometheus(served: Served) -> None:
    """/metrics: runs by outcome, rows loaded and rejected, open alerts by rule and
    severity, outbox by status, delivery latency, last successful run."""
    text = httpx.get(served.url + "/metrics", headers=ADMIN_TOKEN).text
    assert 'csc_alerting_runs_total{job="all",outcome="ok"} 1.0' in text
    assert "csc_alerting_rows_loaded_total 1471.0" in text
    assert "csc_alerting_rows_rejected_total 0.0" in text
    assert 'csc_alerting_open_alerts{rule="cp-over-2y",severity="high"}' in text
    assert 'csc_alerting_outbox_notices{status="sent"}' in text
    assert "csc_alerting_delivery_latency_seconds_bucket" in text
    assert 'csc_alerting_last_successful_run_timestamp_seconds{job="all"}' in text
    assert 'csc_alerting_delivery_attempts_total{outcome="sent"}' in text


def test_under_a_path_prefix_the_links_carry_it(served: Served) -> None:
    """With `root_path: /alerting` (a proxy serving it under that path, and stripping it
    before passing the request on, as uvicorn's --root-path expects) the pages link under
    that path."""
    from alerting.web.server import BackgroundServer, web_context
    from tests.web.conftest import free_port, web_settings

    web = web_settings().model_copy(update={"root_path": "/alerting"})
    port = free_port()
    server = BackgroundServer(web_context(served.settings, served.store, web=web),
                              "127.0.0.1", port).start()
    try:
        headers = {"X-Remote-User": LEAD, "Accept": "text/html"}
        page = httpx.get(f"http://127.0.0.1:{port}/alerts", headers=headers)
        assert page.status_code == 200
        assert 'href="/alerting/silences"' in page.text
        assert 'href="/alerting/static/style.css"' in page.text
        home = httpx.get(f"http://127.0.0.1:{port}/", headers=headers)
        assert home.headers["location"] == "/alerting/alerts"
    finally:
        server.stop()
