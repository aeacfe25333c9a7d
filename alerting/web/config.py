"""Who may use the web page and API (`config/web.yaml`): users signed in by the council's
single sign-on (a reverse proxy's header, trusted only from the proxy's addresses), API
tokens held in environment variables, and each one's role and teams.

Roles, least to most: `viewer` (reads), `manager` (also says who is handling an alert of
their own teams), `performance_lead` (any alert; silences), `admin` (also retries the
outbox). Child-level detail goes only to a user entitled to the child's team, by the same
rule as notices (`Receiver.child_level_for`): the user's `teams`, `child_level_for`, and
those of the `receiver` they are in the recipients file.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alerting.config.settings import interpolate
from alerting.model.problems import Problem, ProblemsFound, problems_from_validation, read_yaml


class Role(StrEnum):
    VIEWER = "viewer"
    MANAGER = "manager"
    PERFORMANCE_LEAD = "performance_lead"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    @property
    def words(self) -> str:
        return {"viewer": "Viewer", "manager": "Team manager",
                "performance_lead": "Performance lead", "admin": "Administrator"}[self.value]


def _as_tuple(raw: Any) -> Any:
    if raw is None:
        return ()
    return (raw,) if isinstance(raw, str) else raw


class Member(BaseModel):
    """What a user or token may do: a role, the teams it manages, whose children it sees."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role = Role.VIEWER
    # The teams a manager acts for; also teams whose child-level detail they may see.
    teams: tuple[str, ...] = ()
    # Further teams (globs) whose child-level detail they may see, e.g. a head of service.
    child_level_for: tuple[str, ...] = ()
    # A receiver in the recipients file: its child_level_for applies too.
    receiver: str | None = None

    @field_validator("teams", "child_level_for", mode="before")
    @classmethod
    def _one_or_many(cls, raw: Any) -> Any:
        return _as_tuple(raw)


class User(Member):
    """A person, by the name the single sign-on gives (matched without regard to case)."""

    name: str = Field(min_length=1, max_length=200)


class Token(Member):
    """An API token: the environment variable holding it, and a name for the audit trail."""

    env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    name: str = Field(min_length=1, max_length=200)


class WebSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # The header the reverse proxy sets to the signed-in user's name, and the proxy's
    # addresses (or networks): from anywhere else the header is ignored.
    user_header: str = "X-Remote-User"
    trusted_proxies: tuple[str, ...] = ()
    users: tuple[User, ...] = ()
    tokens: tuple[Token, ...] = ()
    # The environment variable holding the key that signs form tokens (CSRF); without it a
    # key is made at start, so forms open before a restart must be reloaded.
    secret_env: str | None = None
    # The path the proxy serves the pages under (e.g. /alerting), which it strips before
    # passing a request on: the pages' links carry it.
    root_path: str = ""

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _addresses(cls, raw: Any) -> Any:
        for address in _as_tuple(raw):
            try:
                ipaddress.ip_network(str(address), strict=False)
            except ValueError:
                raise ValueError(f"{address!r} is not an IP address or network") from None
        return _as_tuple(raw)

    def user(self, name: str) -> User | None:
        folded = name.strip().casefold()
        return next((u for u in self.users if u.name.casefold() == folded), None)

    def trusts(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(p, strict=False) for p in self.trusted_proxies)


def load_web_settings(path: Path) -> WebSettings:
    """The web settings from `path`; a missing file means nobody may sign in (the page
    says so), not an open door. Errors name the file, line and field."""
    if not path.exists():
        return WebSettings()
    document = read_yaml(path)
    raw = document.data or {}
    if not isinstance(raw, Mapping):
        raise ProblemsFound([Problem(document.file, 1, "must be a mapping of web settings")])
    missing: list[tuple[str, tuple[str | int, ...]]] = []
    data = interpolate(raw, missing)
    if missing:
        raise ProblemsFound([Problem(document.file, document.line_of(where),
                                     f"environment variable {name} is not set")
                             for name, where in missing])
    try:
        settings = WebSettings.model_validate(data)
    except ValidationError as exc:
        raise ProblemsFound(problems_from_validation(exc, document, (), "web setting",
                                                     WebSettings)) from None
    names = [u.name.casefold() for u in settings.users]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        index = names.index(twice[0])
        raise ProblemsFound([Problem(document.file, document.line_of(("users", index, "name")),
                                     f"users[{index}].name: user(s) listed twice: "
                                     f"{', '.join(twice)}")])
    return settings
