"""Every channel registers itself, its config models refuse unknown keys, and the documents
it asks for are declared; notices read back from the outbox in either form."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from notifiers import DOCUMENTS, EMAIL, NOTIFIERS, Notice

from .helpers import CARD, LEGACY_CARD, make_notice


def minimal_target(channel: str) -> dict[str, Any]:
    """The smallest valid target of a channel: its Target model's example, which gives the
    required fields and nothing else."""
    target = NOTIFIERS[channel].Target
    required = {name for name, field in target.model_fields.items() if field.is_required()}
    assert set(target.example) == required, channel
    return dict(target.example)


MINIMAL_TARGETS: dict[str, dict[str, Any]] = {channel: minimal_target(channel)
                                              for channel in NOTIFIERS}


def test_all_channels_are_registered() -> None:
    """Importing the package registers email, teams, webhook and file."""
    assert {"email", "teams", "webhook", "file"} <= set(NOTIFIERS)


@pytest.mark.parametrize("channel", sorted(MINIMAL_TARGETS))
def test_every_document_a_channel_asks_for_is_declared(channel: str) -> None:
    """`formats` names only EMAIL and documents some channel module declares."""
    wanted = NOTIFIERS[channel].formats(MINIMAL_TARGETS[channel])
    assert wanted and wanted <= {EMAIL, *DOCUMENTS}


def test_notices_round_trip_and_old_outbox_rows_still_read() -> None:
    """to_json/from_json keep every document; a row written before `documents` (card,
    message_card, payload keys) reads as the same documents."""
    notice = make_notice()
    assert Notice.from_json(notice.to_json()) == notice
    old = {k: v for k, v in notice.to_json().items() if k != "documents"}
    old.update(card=CARD, message_card=LEGACY_CARD, payload=notice.documents["json"])
    assert Notice.from_json(old).documents == notice.documents
    assert Notice.from_json({**old, "message_card": None, "payload": None}).documents == {
        "adaptive_card": CARD}


@pytest.mark.parametrize("channel", sorted(MINIMAL_TARGETS))
def test_options_have_defaults_and_refuse_unknown_keys(channel: str) -> None:
    """Options build from defaults alone, and a misspelt option is an error."""
    notifier = NOTIFIERS[channel]
    notifier.Options()
    with pytest.raises(ValidationError, match="extra"):
        notifier.Options.model_validate({"tiemout": 5})


@pytest.mark.parametrize("channel", sorted(MINIMAL_TARGETS))
def test_targets_refuse_unknown_keys(channel: str) -> None:
    """A target accepts its minimal form and refuses a misspelt key."""
    notifier = NOTIFIERS[channel]
    notifier.Target.model_validate(MINIMAL_TARGETS[channel])
    with pytest.raises(ValidationError, match="extra"):
        notifier.Target.model_validate({**MINIMAL_TARGETS[channel], "recievers": ["x"]})


@pytest.mark.parametrize("channel", sorted(MINIMAL_TARGETS))
def test_notifier_builds_with_default_options_and_closes(channel: str) -> None:
    """Each channel can be opened with default options and closed without having sent."""
    with NOTIFIERS[channel]() as notifier:
        assert notifier.channel == channel
