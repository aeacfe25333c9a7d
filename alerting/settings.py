"""Service settings (`config/service.yaml`): database, rule paths, RAG scheme.

`${ENV_VAR}` anywhere in a value is replaced from the environment, so secrets stay out of
the file. `CSC_ALERTING_DATABASE_URL` overrides the database for one run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from alerting.problems import Problem, ProblemsFound, problems_from_validation, read_yaml
from alerting.rules import RagScheme

DEFAULT_CONFIG = Path("config/service.yaml")
DEFAULT_DATABASE_URL = "sqlite:///var/csc-alerting.sqlite3"
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str = DEFAULT_DATABASE_URL
    rules: tuple[str, ...] = ("rules",)
    rag_scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE
    authority: str | None = None

    def rule_paths(self) -> list[Path]:
        return [Path(p) for p in self.rules]


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
