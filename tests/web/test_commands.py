"""`alerting web` and `alerting worker --web` serve the pages as real processes; the web
config's errors name the file, line and field; without the extra the command says how to
install it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from alerting.cli.main import main
from alerting.model.problems import ProblemsFound
from alerting.web.config import Role, load_web_settings
from tests.conftest import ROOT
from tests.web.conftest import free_port


def test_the_shipped_web_config_loads() -> None:
    """config/web.yaml: a manager per team, a lead, an admin, a monitoring token."""
    web = load_web_settings(ROOT / "config" / "web.yaml")
    assert web.host == "127.0.0.1"
    assert web.user("STROUD.TM@example.gov.uk").role is Role.MANAGER  # any case
    assert {t.env for t in web.tokens} == {"CSC_ALERTING_TOKEN_MONITORING"}
    assert web.trusts("127.0.0.1") and not web.trusts("10.0.0.8")


def test_web_config_errors_name_the_file_line_and_field(tmp_path: Path) -> None:
    """A wrong role and an address that is not one are reported where they are."""
    path = tmp_path / "web.yaml"
    path.write_text(textwrap.dedent("""\
        trusted_proxies: [proxy.council.local]
        users:
          - name: a@example.gov.uk
            role: boss
        """), encoding="utf-8")
    with pytest.raises(ProblemsFound) as raised:
        load_web_settings(path)
    shown = [str(p) for p in raised.value.problems]
    assert any(":1:" in p and "trusted_proxies" in p and "not an IP address" in p
               for p in shown), shown
    assert any(":4:" in p and "users[0].role" in p for p in shown), shown


def test_a_user_listed_twice_is_an_error(tmp_path: Path) -> None:
    """Two entries for one sign-in name (in any case) would make the role ambiguous."""
    path = tmp_path / "web.yaml"
    path.write_text("users:\n  - name: a@x\n  - name: A@X\n    role: admin\n",
                    encoding="utf-8")
    with pytest.raises(ProblemsFound, match="listed twice"):
        load_web_settings(path)


def test_without_the_web_extra_the_command_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`alerting web` on a core install exits 2 naming `pip install 'csc-alerting[web]'`."""
    monkeypatch.setitem(sys.modules, "alerting.web.server", None)
    monkeypatch.chdir(ROOT)
    assert main(["web"]) == 2
    assert "pip install 'csc-alerting[web]'" in capsys.readouterr().err


def _config(tmp_path: Path) -> Path:
    (tmp_path / "web.yaml").write_text(textwrap.dedent("""\
        trusted_proxies: [127.0.0.1]
        users:
          - {name: lead@example.gov.uk, role: performance_lead}
        """), encoding="utf-8")
    config = tmp_path / "service.yaml"
    config.write_text(textwrap.dedent(f"""\
        database_url: sqlite:///{tmp_path / 'db.sqlite3'}
        rules: [{ROOT / 'rules'}]
        recipients: {ROOT / 'config' / 'recipients.yaml'}
        silences: {tmp_path / 'silences.yaml'}
        web: {tmp_path / 'web.yaml'}
        redirect_to_folder: {tmp_path / 'notices'}
        operations: {{admin: service-admin}}
        """), encoding="utf-8")
    return config


@pytest.mark.parametrize("command", [["web", "--port"], ["worker", "--web", "--web-port"]])
def test_the_command_serves_the_pages_until_stopped(tmp_path: Path, command: list[str]) -> None:
    """A real process on 127.0.0.1: refuses a request without sign-in, answers a signed-in
    one, and stops on SIGTERM with exit 0."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "CSC_ALERTING_DATABASE_URL"}
    process = subprocess.Popen(
        [sys.executable, "-m", "alerting", "--config", str(_config(tmp_path)),
         *command, str(port)], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                answer = httpx.get(url + "/api/status",
                                   headers={"X-Remote-User": "lead@example.gov.uk"})
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the web server did not start")
        assert answer.status_code == 200 and "status" in answer.json()
        assert httpx.get(url + "/api/status").status_code == 401
        page = httpx.get(url + "/alerts", headers={"X-Remote-User": "lead@example.gov.uk",
                                                   "Accept": "text/html"})
        assert "There are no open alerts." in page.text
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
