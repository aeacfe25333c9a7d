"""Service settings (`config/service.yaml`): database, rules, recipients, notifiers, delivery.

`${ENV_VAR}` anywhere in a value is replaced from the environment, so secrets stay out of
the file. `CSC_ALERTING_DATABASE_URL` overrides the database for one run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alerting.durations import IntervalField
from alerting.problems import Problem, ProblemsFound, problems_from_validation, read_yaml
from alerting.rules import RagScheme
from notifiers import NOTIFIERS, ChannelOptions

DEFAULT_CONFIG = Path("config/service.yaml")
DEFAULT_DATABASE_URL = "sqlite:///var/csc-alerting.sqlite3"
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class DeliverySettings(BaseModel):
    """How the outbox retries: exponential backoff from `first_retry`, at most `max_retry`
    apart, for at most `max_attempts` or `give_up_after`; then the notice is dead."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_retry: IntervalField = timedelta(seconds=30)
    max_retry: IntervalField = timedelta(hours=1)
    max_attempts: int = Field(default=12, ge=1)
    give_up_after: IntervalField = timedelta(days=2)
    # How long one `alerting notify` waits for retries that fall due before it ends.
    wait_for_retries: IntervalField = timedelta(minutes=2)
    lease: IntervalField = timedelta(minutes=15)


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str = DEFAULT_DATABASE_URL
    rules: tuple[str, ...] = ("rules",)
    rag_scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE
    authority: str | None = None
    recipients: str = "config/recipients.yaml"
    silences: str = "config/silences.yaml"
    templates: str = "config/templates"
    link: str = ""
    # Write every notice to this folder instead of sending it (the embedded default).
    redirect_to_folder: str | None = None
    notifiers: dict[str, ChannelOptions] = Field(default_factory=dict)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)

    @field_validator("notifiers", mode="before")
    @classmethod
    def _channel_options(cls, raw: Any) -> Any:
        """Each channel's options are checked by that notifier's own options model."""
        if not isinstance(raw, Mapping):
            return raw
        checked: dict[str, Any] = {}
        for channel, options in raw.items():
            notifier = NOTIFIERS.get(str(channel))
            if notifier is None:
                raise ValueError(f"unknown channel '{channel}' (channels: "
                                 f"{', '.join(sorted(NOTIFIERS))})")
            checked[str(channel)] = notifier.Options.model_validate(options or {})
        return checked

    def rule_paths(self) -> list[Path]:
        return [Path(p) for p in self.rules]

    def channel_options(self, channel: str) -> ChannelOptions:
        return self.notifiers.get(channel) or NOTIFIERS[channel].Options()


def interpolate(value: Any, missing: list[str]) -> Any:
    """Replace ${VAR} (or ${VAR:-default}) in every string of a parsed YAML value."""
    if isinstance(value, str):
        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            missing.append(name)
            return ""
        return _ENV_RE.sub(replace, value)
    if isinstance(value, Mapping):
        return {k: interpolate(v, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, missing) for v in value]
    return value


def load_settings(path: Path | None = None) -> Settings:
    """Settings from `path` (or config/service.yaml when present), else the defaults."""
    chosen = path if path is not None else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    settings = Settings()
    if chosen is not None:
        document = read_yaml(chosen)
        raw = document.data or {}
        if not isinstance(raw, Mapping):
            raise ProblemsFound([Problem(document.file, 1, "must be a mapping of settings")])
        missing: list[str] = []
        data = interpolate(raw, missing)
        if missing:
            raise ProblemsFound([Problem(document.file, None,
                                         f"environment variable {name} is not set")
                                 for name in sorted(set(missing))])
        try:
            settings = Settings.model_validate(data)
        except ValidationError as exc:
            raise ProblemsFound(problems_from_validation(exc, document, (), "setting",
                                                         Settings)) from None
    override = os.environ.get("CSC_ALERTING_DATABASE_URL")
    if override:
        settings = settings.model_copy(update={"database_url": override})
    return settings
