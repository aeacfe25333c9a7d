"""The file channel: notices written to a folder as .eml, .txt and .card.json."""

from __future__ import annotations

import email
import json
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from notifiers import ADAPTIVE_CARD, EMAIL, DeliveryResult, Notice
from notifiers.file import FileNotifier

from .helpers import CARD, make_notice


def file_notice(folder: Path, **fields: Any) -> Notice:
    return make_notice(channel="file", target={"folder": str(folder)}, **fields)


def send(notice: Notice) -> DeliveryResult:
    with FileNotifier() as channel:
        return channel.send(notice)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_writes_eml_text_and_card(tmp_path: Path) -> None:
    """One notice gives a parseable .eml with HTML and inline image, a .txt and a card."""
    notice = file_notice(tmp_path)
    result = send(notice)
    assert result.ok, result.detail
    stem = "20240501T073000-north-team-5f0c2a9e8b7d"
    assert names(tmp_path) == [f"{stem}.card.json", f"{stem}.eml", f"{stem}.txt"]
    message = email.message_from_bytes((tmp_path / f"{stem}.eml").read_bytes(), policy=default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == "north-team"
    assert message["Message-ID"] == f"<{notice.id}@csc-alerting>"
    html = message.get_body(("html",))
    assert html is not None
    assert "cid:trend@csc-alerting" in html.get_content()
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert [p["Content-ID"] for p in images] == ["<trend@csc-alerting>"]
    envelope = json.loads((tmp_path / f"{stem}.card.json").read_text("utf-8"))
    assert envelope["type"] == "message"
    assert envelope["attachments"][0]["content"] == CARD
    assert (tmp_path / f"{stem}.txt").read_text("utf-8") == notice.text


def test_addresses_from_the_target_go_in_the_eml(tmp_path: Path) -> None:
    """When the target lists addresses, the .eml is addressed to them."""
    notice = make_notice(target={"folder": str(tmp_path), "to": "a@council.example"})
    assert send(notice).ok
    (eml,) = tmp_path.glob("*.eml")
    assert email.message_from_bytes(eml.read_bytes(), policy=default)["To"] == "a@council.example"


def test_no_card_file_without_a_card(tmp_path: Path) -> None:
    """A notice without a card gives only the .eml and .txt."""
    assert send(file_notice(tmp_path, card=None)).ok
    assert [Path(n).suffix for n in names(tmp_path)] == [".eml", ".txt"]


def test_sending_twice_overwrites(tmp_path: Path) -> None:
    """Sending the same notice again leaves one set of files, not a second copy."""
    assert send(file_notice(tmp_path)).ok
    first = names(tmp_path)
    assert send(file_notice(tmp_path, text="Changed on retry.")).ok
    assert names(tmp_path) == first
    (txt,) = tmp_path.glob("*.txt")
    assert txt.read_text("utf-8") == "Changed on retry."


def test_notice_without_a_time_reuses_its_files(tmp_path: Path) -> None:
    """Without created_at the current time names the files, and a retry finds them again."""
    assert send(file_notice(tmp_path, created_at=None)).ok
    first = names(tmp_path)
    assert len(first) == 3
    assert send(file_notice(tmp_path, created_at=None)).ok
    assert names(tmp_path) == first


def test_receiver_name_is_made_safe_for_a_file_name(tmp_path: Path) -> None:
    """Path separators and spaces in the receiver cannot escape the folder."""
    assert send(file_notice(tmp_path, receiver="../North East / Team")).ok
    assert all(n.startswith("20240501T073000-North-East-Team-") for n in names(tmp_path))


def test_creates_the_folder(tmp_path: Path) -> None:
    """A folder that does not exist yet is created."""
    assert send(file_notice(tmp_path / "var" / "notices")).ok
    assert len(names(tmp_path / "var" / "notices")) == 3


def test_unwritable_folder_is_retried(tmp_path: Path) -> None:
    """A folder that cannot be made (a file is in the way) is worth retrying later."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    result = send(file_notice(blocker / "notices"))
    assert not result.ok
    assert result.retryable
    assert "blocker" in result.detail


def test_no_temporary_files_left_behind(tmp_path: Path) -> None:
    """Atomic writes leave only the finished files."""
    assert send(file_notice(tmp_path)).ok
    assert not [n for n in names(tmp_path) if n.startswith(".")]


def test_asks_for_email_and_card() -> None:
    """The rendering stage is asked for both the email and the adaptive card."""
    assert FileNotifier.formats({}) == {EMAIL, ADAPTIVE_CARD}
