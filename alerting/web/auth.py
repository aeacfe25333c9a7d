"""Who is asking, and what they may see and do.

A request is authenticated by an API token (`Authorization: Bearer`, compared in constant
time with the value of each configured environment variable) or by the single sign-on
header, believed only when the request comes straight from a trusted proxy address.
Anything else is refused before any data is read. Form posts carry a token signed for the
signed-in user (CSRF); JSON API posts must be `application/json`, which a page on another
site cannot send without the browser asking first (and no cross-origin access is granted).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from alerting.routing.routes import Receiver, Routing
from alerting.web.config import Member, Role, WebSettings


@dataclass(frozen=True)
class Principal:
    """A signed-in user or an API token, with what their entry in the web config grants."""

    name: str
    role: Role
    teams: tuple[str, ...]
    # The same check notices use: a receiver entitled to these teams' children.
    entitled: Receiver
    via: str  # "sso" or "token"

    def may_see_children_of(self, team: str | None) -> bool:
        return self.entitled.may_see_children_of(team)

    def may_handle(self, team: str | None) -> bool:
        """Say who is handling an alert: managers for their own teams' alerts."""
        if self.role.rank >= Role.PERFORMANCE_LEAD.rank:
            return True
        if self.role is Role.MANAGER and team:
            return Receiver(name="manager", child_level_for=self.teams).may_see_children_of(
                team)
        return False

    @property
    def may_silence(self) -> bool:
        return self.role.rank >= Role.PERFORMANCE_LEAD.rank

    @property
    def may_retry(self) -> bool:
        return self.role is Role.ADMIN


def principal_for(name: str, member: Member, routing: Routing | None, via: str) -> Principal:
    patterns = [*member.teams, *member.child_level_for]
    if member.receiver and routing is not None and member.receiver in routing.receivers:
        patterns.extend(routing.receivers[member.receiver].child_level_for)
    return Principal(name=name, role=member.role, teams=member.teams,
                     entitled=Receiver(name="web-user", child_level_for=tuple(patterns)),
                     via=via)


@dataclass(frozen=True)
class Refusal:
    """Why a request was not let in: 401 (not signed in) or 403 (signed in, not listed)."""

    status: int
    reason: str


def authenticate(settings: WebSettings, routing: Routing | None, *,
                 headers: Mapping[str, str], client: str | None,
                 environ: Mapping[str, str] = os.environ) -> Principal | Refusal:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        offered = authorization[7:].strip().encode()
        for token in settings.tokens:
            expected = environ.get(token.env, "").encode()
            if expected and hmac.compare_digest(offered, expected):
                return principal_for(token.name, token, routing, "token")
        return Refusal(401, "the API token is not valid")
    user = headers.get(settings.user_header.lower())
    if user is None or not user.strip():
        return Refusal(401, "not signed in")
    if not settings.trusts(client):
        # A header anyone can type: believed only from the single sign-on proxy.
        return Refusal(401, "the sign-in header did not come from a trusted proxy")
    found = settings.user(user)
    if found is None:
        return Refusal(403, "signed in, but not registered for this service")
    return principal_for(found.name, found, routing, "sso")


class FormTokens:
    """CSRF tokens: an HMAC of the signed-in user's name and role under a server key."""

    def __init__(self, key: bytes):
        self._key = key

    @classmethod
    def from_settings(cls, settings: WebSettings,
                      environ: Mapping[str, str] = os.environ) -> FormTokens:
        value = environ.get(settings.secret_env or "", "") if settings.secret_env else ""
        return cls(value.encode() if value else os.urandom(32))

    def token(self, principal: Principal) -> str:
        message = f"{principal.via}:{principal.name}:{principal.role.value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def valid(self, principal: Principal, offered: str | None) -> bool:
        return bool(offered) and hmac.compare_digest(self.token(principal), str(offered))
