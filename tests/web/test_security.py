"""Nothing is served without authentication; a forged sign-in header from an untrusted
address is refused; child-level detail reaches only users entitled to the child's team.
Over real HTTP to the server on loopback."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.web.conftest import (
    ADMIN,
    GLOUCESTER,
    LEAD,
    STROUD,
    TOKENS,
    VIEWER,
    Served,
    child_ids,
    team_children,
)

PAGES = ["/", "/alerts", "/runs", "/sources", "/outbox", "/outbox?status=all", "/silences",
         "/api/alerts", "/api/alerts?all=true", "/api/status", "/api/runs", "/api/silences",
         "/api/outbox", "/api/sources", "/metrics", "/openapi.json"]


def _stroud_child_alert(served: Served) -> str:
    return next(a.identity for a in served.store.alerts(firing_only=True).values()
                if a.child_level and a.area == "Stroud Safeguarding")


@pytest.mark.parametrize("path", PAGES)
def test_an_unauthenticated_request_gets_nothing(served: Served, path: str) -> None:
    """Without a sign-in header or token every address answers 401, with no child id."""
    answer = httpx.get(served.url + path)
    assert answer.status_code == 401
    assert child_ids(answer.text) == set()
    assert "csc_alerting_runs" not in answer.text and '"alerts"' not in answer.text
    assert "Open alerts" not in answer.text


def test_an_unauthenticated_request_for_one_alert_gets_nothing(served: Served) -> None:
    """Even with an alert's exact address, no child id comes back without sign-in."""
    identity = quote(_stroud_child_alert(served), safe="")
    for path in (f"/alerts/{identity}", f"/api/alerts/{identity}"):
        answer = httpx.get(served.url + path)
        assert answer.status_code == 401
        assert child_ids(answer.text) == set()


@pytest.mark.parametrize("path", ["/alerts", "/api/alerts", "/outbox?status=all", "/metrics"])
def test_a_forged_header_from_an_untrusted_address_is_refused(served: Served,
                                                              path: str) -> None:
    """The sign-in header is believed only from the proxy's address (127.0.0.1 here): the
    same header from 127.0.0.2 is refused, even naming the administrator."""
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=transport) as client:
        answer = client.get(served.url + path, headers={"X-Remote-User": ADMIN})
    assert answer.status_code == 401
    assert child_ids(answer.text) == set()
    trusted = httpx.get(served.url + path, headers={"X-Remote-User": ADMIN})
    assert trusted.status_code == 200


def test_x_forwarded_for_does_not_make_an_address_trusted(served: Served) -> None:
    """uvicorn is told not to believe X-Forwarded-For: it cannot launder a forged header."""
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=transport) as client:
        answer = client.get(served.url + "/api/alerts", headers={
            "X-Remote-User": ADMIN, "X-Forwarded-For": "127.0.0.1"})
    assert answer.status_code == 401


def test_an_unknown_user_and_a_wrong_token_are_refused(served: Served) -> None:
    """A signed-in name not in the web config gets 403; a token that is not one gets 401."""
    unknown = httpx.get(served.url + "/alerts", headers={"X-Remote-User": "someone@else"})
    assert unknown.status_code == 403
    assert child_ids(unknown.text) == set()
    wrong = httpx.get(served.url + "/api/alerts",
                      headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401
    right = httpx.get(served.url + "/metrics",
                      headers={"Authorization": f"Bearer {TOKENS['TEST_TOKEN_VIEWER']}"})
    assert right.status_code == 200


def test_a_manager_of_another_team_sees_no_child_of_stroud(served: Served) -> None:
    """Gloucester's manager sees Gloucester's children, and Stroud's only as counts; a
    Stroud child's alert page answers as if it did not exist."""
    teams = team_children()
    headers = {"X-Remote-User": GLOUCESTER}
    for path in ("/alerts", "/api/alerts", "/api/alerts?all=true", "/outbox?status=all",
                 "/api/outbox?status=dead"):
        answer = httpx.get(served.url + path, headers=headers)
        assert answer.status_code == 200
        seen = child_ids(answer.text)
        assert seen <= teams["Gloucester Safeguarding"], path
    listed = httpx.get(served.url + "/api/alerts", headers=headers).json()
    assert any(c["team"] == "Stroud Safeguarding" and c["count"] > 0
               for c in listed["child_counts"])
    assert child_ids(httpx.get(served.url + "/alerts", headers=headers).text)
    identity = quote(_stroud_child_alert(served), safe="")
    for path in (f"/alerts/{identity}", f"/api/alerts/{identity}"):
        answer = httpx.get(served.url + path, headers=headers)
        assert answer.status_code == 404
        assert child_ids(answer.text) == set()


def test_a_viewer_without_teams_sees_counts_only(served: Served) -> None:
    """A viewer entitled to no team sees no child id anywhere, the dead notice's subject
    included, but the counts of children's alerts."""
    headers = {"X-Remote-User": VIEWER}
    for path in ("/alerts", "/api/alerts?all=true", "/outbox?status=all", "/api/outbox",
                 "/runs", "/sources", "/silences", "/api/status", "/metrics"):
        answer = httpx.get(served.url + path, headers=headers)
        assert answer.status_code == 200, path
        assert child_ids(answer.text) == set(), path
    page = httpx.get(served.url + "/alerts", headers=headers).text
    assert "Children's alerts you see as counts" in page


def test_the_stroud_manager_sees_stroud_children(served: Served) -> None:
    """Child-level detail for the user's own team, by the same entitlement as notices."""
    answer = httpx.get(served.url + "/api/alerts", headers={"X-Remote-User": STROUD}).json()
    children = {a["subject"] for a in answer["alerts"] if a["child_level"]}
    assert children and children <= team_children()["Stroud Safeguarding"]


def test_forms_need_the_csrf_token_of_the_signed_in_user(served: Served) -> None:
    """A form post without its token, or with another user's, is refused and changes
    nothing."""
    identity = quote(_stroud_child_alert(served), safe="")
    before = served.store.audit_trail()
    missing = httpx.post(f"{served.url}/alerts/{identity}/handling",
                         headers={"X-Remote-User": STROUD},
                         data={"handled_by": "Mallory", "note": "x"})
    assert missing.status_code == 403
    page = httpx.get(served.url + "/silences", headers={"X-Remote-User": LEAD}).text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    borrowed = httpx.post(f"{served.url}/alerts/{identity}/handling",
                          headers={"X-Remote-User": STROUD},
                          data={"handled_by": "Mallory", "csrf_token": token})
    assert borrowed.status_code == 403
    assert served.store.audit_trail() == before


def test_api_changes_must_be_json(served: Served) -> None:
    """A cross-site form cannot post to the API: a body that is not JSON gets 415."""
    answer = httpx.post(served.url + "/api/silences", headers={"X-Remote-User": LEAD},
                        data={"rule": "x", "until": "2w", "reason": "r"})
    assert answer.status_code == 415


def test_roles_limit_what_a_user_may_change(served: Served) -> None:
    """A viewer cannot silence; a manager cannot take another team's alert; only an
    administrator retries notices."""
    viewer = httpx.post(served.url + "/api/silences", headers={"X-Remote-User": VIEWER},
                        json={"rule": ["x"], "until": "2w", "reason": "r"})
    assert viewer.status_code == 403
    gloucester_alert = next(a.identity for a in served.store.alerts(firing_only=True).values()
                            if a.child_level and a.area == "Gloucester Safeguarding")
    stroud = httpx.post(f"{served.url}/api/alerts/{quote(gloucester_alert, safe='')}/handling",
                        headers={"X-Remote-User": STROUD}, json={"note": "mine"})
    assert stroud.status_code == 404  # not Stroud's to see, so not confirmed to exist
    measure_alert = next(a.identity for a in served.store.alerts(firing_only=True).values()
                         if not a.child_level and a.area == "Cotswolds")
    stroud = httpx.post(f"{served.url}/api/alerts/{quote(measure_alert, safe='')}/handling",
                        headers={"X-Remote-User": STROUD}, json={"note": "mine"})
    assert stroud.status_code == 403
    lead = httpx.post(served.url + "/api/outbox/retry", headers={"X-Remote-User": LEAD},
                      json={"ids": []})
    assert lead.status_code == 403


def test_security_headers_on_every_answer(served: Served) -> None:
    """No script or framing allowed, no sniffing, no caching of pages that may hold child
    ids, no server banner; refusals carry the headers too."""
    for headers in ({"X-Remote-User": ADMIN}, {}):
        answer = httpx.get(served.url + "/alerts", headers=headers)
        assert "script-src" not in answer.headers["content-security-policy"]
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["cache-control"] == "no-store"
        assert "server" not in answer.headers
