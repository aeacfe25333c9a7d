"""`alerting preview`: the notice a receiver would get, made by the same notice pass as a run,
so a receiver not entitled to a team's children sees counts, never child ids."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from alerting.cli.main import main
from tests.conftest import ROOT
from tests.notices.test_rendering import validate_card

CHILD_ID = re.compile(r"\bC\d{6}\b")


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> None:
    """The shipped config over the bundled examples, loaded and run once."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("CSC_ALERTING_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    monkeypatch.setenv("CSC_ALERTING_NOTICES_FOLDER", str(tmp_path / "notices"))
    assert main(["run", "--as-of", "2021-09-30"]) == 0
    capsys.readouterr()


def _preview(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["preview", "--as-of", "2021-09-30", *args]) == 0
    return capsys.readouterr().out


def test_a_team_manager_sees_only_their_own_teams_children(loaded, capsys):
    """Stroud's manager gets Stroud's children by id and no other team's."""
    out = _preview(capsys, "--rule", "cp-over-2y", "--receiver", "stroud-safeguarding-manager")
    assert out.startswith("To: Team Manager, Stroud Safeguarding")
    assert CHILD_ID.search(out)
    assert "(Stroud Safeguarding)" in out
    assert "(Gloucester Safeguarding)" not in out


def test_a_head_of_service_sees_counts_not_child_ids(loaded, capsys):
    """A receiver not entitled to children's detail gets counts per team."""
    out = _preview(capsys, "--rule", "cp-over-2y", "--receiver", "head-of-safeguarding")
    assert "counts only" in out
    assert re.search(r"\d+ children in Stroud Safeguarding", out)
    assert not CHILD_ID.search(out)


def test_a_receiver_the_routes_do_not_reach_is_told_so(loaded, capsys):
    """A receiver whose routes never match the rule's alerts would get nothing."""
    out = _preview(capsys, "--rule", "cp-over-2y", "--receiver", "performance-team")
    assert "would get no notice" in out


def test_the_teams_card_is_valid_and_sends_nothing(loaded, capsys, tmp_path):
    """The Teams form prints a valid Adaptive Card; nothing reaches the outbox folder."""
    before = sorted((tmp_path / "notices").iterdir())
    out = _preview(capsys, "--rule", "significantly-worse-than-target", "--format", "teams")
    validate_card(json.loads(out))
    assert sorted((tmp_path / "notices").iterdir()) == before


def test_every_document_a_channel_declares_can_be_previewed(loaded, capsys):
    """`--format` offers each declared document by its templates: key: messagecard too."""
    out = _preview(capsys, "--rule", "significantly-worse-than-target", "--format", "messagecard")
    assert json.loads(out)["@type"] == "MessageCard"
