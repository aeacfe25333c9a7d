"""Notices written to a folder: the default channel, so a newcomer sees output at once.

Each notice becomes `<stem>.eml` (opens in any mail client), `<stem>.txt` (the plain text)
and, when it has one, `<stem>.card.json` (the Teams message, ready for the Adaptive Card
designer). The same notice always lands in the same files, so a retry overwrites.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from notifiers.base import EMAIL, ChannelOptions, DeliveryResult, Notice, Notifier
from notifiers.email import AddressList, EmailTarget, build_message
from notifiers.http import validation_detail
from notifiers.teams import ADAPTIVE_CARD, MAX_BYTES, adaptive_envelope


class FileOptions(ChannelOptions):
    from_address: str = "csc-alerting@localhost"


class FileTarget(ChannelOptions):
    folder: Path = Path("var/notices")
    to: AddressList = Field(default_factory=list)  # shown in the .eml; the receiver if empty


class FileNotifier(Notifier):
    """Writes each notice atomically into its receiver's folder."""

    channel = "file"
    Options = FileOptions
    Target = FileTarget

    @property
    def settings(self) -> FileOptions:
        assert isinstance(self.options, FileOptions)
        return self.options

    @classmethod
    def formats(cls, target: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({EMAIL, ADAPTIVE_CARD})

    @classmethod
    def max_bytes(cls, target: Mapping[str, Any],
                  options: ChannelOptions | None = None) -> int | None:
        """The card written is the one Teams would take, so it keeps to Teams' limit."""
        return MAX_BYTES

    def send(self, notice: Notice) -> DeliveryResult:
        try:
            target = FileTarget.model_validate(notice.target)
        except ValidationError as exc:
            return DeliveryResult.permanent(f"invalid file target: {validation_detail(exc)}")
        try:
            message = build_message(notice, self.settings.from_address,
                                    EmailTarget(to=target.to or [notice.receiver]), self.now)
            adaptive = notice.documents.get(ADAPTIVE_CARD)
            card = (json.dumps(adaptive_envelope(adaptive), indent=2, ensure_ascii=False)
                    if adaptive is not None else None)
        except (TypeError, ValueError) as exc:
            return DeliveryResult.permanent(f"cannot render the notice as files: {exc}")
        try:
            target.folder.mkdir(parents=True, exist_ok=True)
            stem = _stem(target.folder, notice, self.now)
            _write(target.folder / f"{stem}.txt", notice.text.encode("utf-8"))
            if card is not None:
                _write(target.folder / f"{stem}.card.json", card.encode("utf-8"))
            _write(target.folder / f"{stem}.eml", bytes(message))
        except OSError as exc:
            return DeliveryResult.retry(f"cannot write to {target.folder}: {exc}")
        return DeliveryResult.accepted(f"written to {target.folder / stem}.eml")


def _stem(folder: Path, notice: Notice, now: Callable[[], datetime]) -> str:
    """`<created>-<receiver>-<id prefix>`; a notice without a time reuses its earlier files."""
    suffix = f"-{_safe(notice.receiver)}-{_safe(notice.id[:12])}"
    if notice.created_at is None:
        earlier = sorted(folder.glob(f"*{suffix}.eml"))  # _safe leaves no glob characters
        if earlier:
            return earlier[0].name.removesuffix(".eml")
    created = notice.created_at or now()
    return f"{created:%Y%m%dT%H%M%S}{suffix}"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:60] or "x"


def _write(path: Path, content: bytes) -> None:
    """Replace `path` whole or not at all: readers never see half a notice."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise
