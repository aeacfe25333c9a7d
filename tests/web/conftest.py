"""A council's service after one full run of the bundled examples, served over real HTTP
on loopback, with users of every role and API tokens."""

from __future__ import annotations

import csv
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed (pip install '.[web]')")
pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install '.[web]')")

from alerting.config.settings import Settings, load_settings
from alerting.model.clock import utc_now
from alerting.service.run import Service
from alerting.store import Store
from alerting.web.config import Role, Token, User, WebSettings
from alerting.web.server import BackgroundServer, web_context
from notifiers import Notice
from tests.conftest import ROOT

STROUD = "stroud.tm@example.gov.uk"
GLOUCESTER = "gloucester.tm@example.gov.uk"
VIEWER = "viewer@example.gov.uk"
LEAD = "performance.lead@example.gov.uk"
ADMIN = "it.admin@example.gov.uk"
TOKENS = {"TEST_TOKEN_ADMIN": "admin-token-0123456789", "TEST_TOKEN_VIEWER": "viewer-token-42"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def web_settings() -> WebSettings:
    return WebSettings(
        trusted_proxies=("127.0.0.1",),
        users=(User(name=STROUD, role=Role.MANAGER, teams=("Stroud Safeguarding",)),
               User(name=GLOUCESTER, role=Role.MANAGER, teams=("Gloucester Safeguarding",)),
               User(name=VIEWER, role=Role.VIEWER),
               User(name=LEAD, role=Role.PERFORMANCE_LEAD),
               User(name=ADMIN, role=Role.ADMIN, child_level_for=("*",))),
        tokens=(Token(env="TEST_TOKEN_ADMIN", name="admin-script", role=Role.ADMIN),
                Token(env="TEST_TOKEN_VIEWER", name="monitoring", role=Role.VIEWER)))


def council_settings(folder: Path) -> Settings:
    """The shipped config with absolute paths, and its database, silences and notices in
    `folder`."""
    base = load_settings(ROOT / "config" / "service.yaml")
    sources = tuple(s.model_copy(update={"path": str(ROOT / s.path)}) if s.path else s
                    for s in base.sources)
    (folder / "silences.yaml").write_text("silences: []\n", encoding="utf-8")
    return base.model_copy(update={
        "database_url": f"sqlite:///{folder / 'web.sqlite3'}",
        "rules": (str(ROOT / "rules"),), "recipients": str(ROOT / "config" / "recipients.yaml"),
        "silences": str(folder / "silences.yaml"), "templates": str(folder / "no-templates"),
        "redirect_to_folder": str(folder / "notices"), "sources": sources})


def dead_notice(store: Store, folder: Path, notice_id: str = "dead0000notice0001") -> str:
    """A notice to a team manager that could not be delivered (its subject names a child);
    sent again, it is written to `folder`."""
    now = utc_now()
    notice = Notice(id=notice_id, receiver="stroud-safeguarding-manager",
                    channel="file", target={"folder": str(folder),
                                            "to": ["stroud.safeguarding.tm@example.gov.uk"]},
                    subject="[Gloucestershire] New: Child C099999 on a plan over 2 years",
                    text="Child C099999", created_at=now - timedelta(hours=3))
    store.commit_run([], [], [notice], now=now - timedelta(hours=3))
    for entry in store.claim_due_notices("test", now=now):
        store.record_attempt(entry, worker="test", outcome="dead",
                             detail="550 5.1.1 mailbox unavailable", duration_ms=40, now=now)
    return notice.id


def child_ids(text: str) -> set[str]:
    """The pseudonymous child ids (C and six digits) in a page or an answer."""
    return set(re.findall(r"\bC\d{6}\b", text))


def team_children() -> dict[str, set[str]]:
    """Child ids per team in the bundled CP-plan list."""
    teams: dict[str, set[str]] = {}
    with (ROOT / "examples" / "cases" / "cp_plans.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            teams.setdefault(row["team"], set()).add(row["child_id"])
    return teams


@dataclass
class Served:
    url: str
    settings: Settings
    store: Store
    dead_id: str


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from datetime import date

    folder = tmp_path_factory.mktemp("web")
    settings = council_settings(folder)
    store = Store.open(settings.database_url)
    service = Service(settings, store, worker="web-test")
    run = service.run(service.plan(None, date(2021, 9, 30)), wait_for_retries=False)
    assert run is not None and run.outcome in ("ok", "degraded")
    dead_id = dead_notice(store, Path(str(settings.redirect_to_folder)))
    context = web_context(settings, store, web=web_settings())
    context.environ = dict(TOKENS)
    port = free_port()
    background = BackgroundServer(context, "127.0.0.1", port).start()
    try:
        yield Served(f"http://127.0.0.1:{port}", settings, store, dead_id)
    finally:
        background.stop()
        store.close()
