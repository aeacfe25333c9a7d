"""Screenshots of the main pages for the README: `python -m tests.web.screenshots [DIR]`
(default docs/screenshots). Runs the bundled examples once, serves them on loopback and
photographs each page with headless Chromium at 1280x900, as the user each page is for."""

from __future__ import annotations

import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

from alerting.alerts.silences import Silence, add_silence
from alerting.service.run import Service
from alerting.store import Store
from alerting.store.handling import Handling
from alerting.web.server import BackgroundServer, web_context
from tests.web.browser import browser, missing
from tests.web.conftest import (
    ADMIN,
    LEAD,
    ROOT,
    STROUD,
    council_settings,
    dead_notice,
    free_port,
    web_settings,
)


def main(argv: list[str]) -> int:
    why = missing()
    if why:
        print(f"cannot take screenshots: {why}", file=sys.stderr)
        return 2
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="csc-alerting-shots-"))
    settings = council_settings(folder)
    store = Store.open(settings.database_url)
    service = Service(settings, store, worker="alerting-1")
    service.run(service.plan(None, date(2021, 9, 30)), wait_for_retries=False)
    dead_notice(store, Path(str(settings.redirect_to_folder)))
    child = next(a for a in store.alerts(firing_only=True).values()
                 if a.child_level and a.area == "Stroud Safeguarding")
    store.set_handling(Handling(child.identity, child.episode, "Sam Patel",
                                "Review conference booked for 14 October", STROUD,
                                service.clock()))
    measure = next(a for a in store.alerts(firing_only=True).values()
                   if a.rule == "significantly-worse-than-target"
                   and a.subject == "initial-visits-in-time-q" and a.area == "Gloucestershire")
    now = service.clock()
    add_silence(Path(settings.silences), Silence(
        id="3f9a1c2e", rule=("three-period-decline",), area=("Cotswolds",),
        ends=now + timedelta(days=14), reason="Recording backlog after the system change",
        author=LEAD, created=now))
    port = free_port()
    server = BackgroundServer(web_context(settings, store, web=web_settings()), "127.0.0.1",
                              port).start()
    url = f"http://127.0.0.1:{port}"
    shots = [
        (STROUD, "/alerts?team=Stroud+Safeguarding", "alerts-team-manager.png"),
        (LEAD, "/alerts?severity=high", "alerts-performance-lead.png"),
        (STROUD, f"/alerts/{quote(child.identity, safe='')}", "alert-child-handled.png"),
        (LEAD, f"/alerts/{quote(measure.identity, safe='')}", "alert-measure.png"),
        (LEAD, f"/alerts/{quote(measure.identity, safe='')}#trend", "alert-trend-explain.png"),
        (ADMIN, "/runs", "runs-status.png"),
        (ADMIN, "/sources", "sources.png"),
        (ADMIN, "/outbox", "outbox-dead.png"),
        (LEAD, "/silences", "silences.png"),
    ]
    try:
        for user, path, name in shots:
            with browser(user) as driver:
                driver.get(url + path)
                driver.save_screenshot(str(out / name))
                print(f"{out / name}: {path} as {user}")
    finally:
        server.stop()
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
