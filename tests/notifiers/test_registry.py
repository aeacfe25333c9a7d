"""Every channel registers itself and its config models refuse unknown keys."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from notifiers import NOTIFIERS

# The smallest valid target of each channel.
MINIMAL_TARGETS: dict[str, dict[str, Any]] = {
    "email": {"to": "a@council.example"},
    "teams": {"url": "https://council.webhook.office.com/x"},
    "webhook": {"url": "https://tickets.example/api"},
    "file": {},
}


def test_all_channels_are_registered() -> None:
    """Importing the package registers email, teams, webhook and file."""
    assert set(MINIMAL_TARGETS) <= set(NOTIFIERS)


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
