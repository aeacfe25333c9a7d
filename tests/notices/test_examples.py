"""The shipped config over the bundled examples: what the README's main command writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from alerting.cli.main import main
from tests.conftest import ROOT
from tests.notices.test_rendering import validate_card


def test_shipped_config_writes_valid_notices_and_keeps_children_private(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every card is valid Adaptive Card 1.4 under 28 KB; child ids only reach team managers;
    a second run writes nothing."""
    monkeypatch.chdir(ROOT)
    folder = tmp_path / "notices"
    monkeypatch.setenv("CSC_ALERTING_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    monkeypatch.setenv("CSC_ALERTING_NOTICES_FOLDER", str(folder))
    assert main(["run", "--as-of", "2021-09-30"]) == 0
    out = capsys.readouterr().out
    assert "1471 rows loaded, 0 rejected" in out and "49 notices queued, 49 sent" in out
    assert ": ok in " in out
    cards = sorted(folder.glob("*.card.json"))
    assert len(cards) == len(list(folder.glob("*.eml"))) > 10
    for card in cards:
        body = card.read_bytes()
        envelope = json.loads(body)
        assert len(json.dumps(envelope, separators=(",", ":")).encode()) <= 28_000
        validate_card(envelope["attachments"][0]["content"])
    child_id = re.compile(r"\bC\d{6}\b")
    for name in ("head-of-safeguarding", "performance-team", "cotswolds-locality"):
        for file in folder.glob(f"*-{name}-*"):
            assert not child_id.search(file.read_text(encoding="utf-8", errors="replace")), file
    stroud = next(folder.glob("*-stroud-safeguarding-manager-*.txt")).read_text()
    assert child_id.search(stroud)
    assert main(["run", "--as-of", "2021-09-30"]) == 0
    assert "0 notices queued" in capsys.readouterr().out
    assert len(list(folder.glob("*.card.json"))) == len(cards)
