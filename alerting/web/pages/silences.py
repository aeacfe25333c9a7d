"""The silences page: active and ended silences, a form to add one (with a reason and an
end), and a button to end one now. It edits `config/silences.yaml` through the same
functions as `alerting silence add|expire`, and records each change in the audit trail."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from alerting.alerts.silences import (
    Silence,
    add_silence,
    expire_silence,
    new_silence_id,
    silence_ends,
)
from alerting.model.problems import ProblemsFound
from alerting.store.handling import AuditEvent
from alerting.web.app import WebContext, context_of, pages_of, principal_of
from alerting.web.auth import Principal
from alerting.web.pages import checked_form, text

router = APIRouter(include_in_schema=False)
_FIELDS = ("rule", "measure", "area", "team")


class SilenceError(ValueError):
    """What is wrong with a silence someone asked for, in words for the form."""


def new_silence(context: WebContext, principal: Principal, *, until: str, reason: str,
                matchers: dict[str, list[str]]) -> Silence:
    if not principal.may_silence:
        raise HTTPException(403, "Only a performance lead or an administrator can add "
                                 "silences.")
    now = context.clock()
    if not until:
        raise SilenceError("Enter when the silence ends, for example 2026-12-31 or 2w.")
    try:
        ends = silence_ends(until, now)
    except ValueError as exc:
        raise SilenceError(str(exc).replace("--until", "The end")) from None
    try:
        silence = Silence(id=new_silence_id(), ends=ends, reason=reason, author=principal.name,
                          created=now, **{k: tuple(v) for k, v in matchers.items() if v})
    except ValidationError as exc:
        words = "; ".join(str(e.get("msg", "")).removeprefix("Value error, ")
                          for e in exc.errors(include_url=False))
        raise SilenceError(words.replace("String should have at least 1 character",
                                         "enter a reason")) from None
    try:
        add_silence(Path(context.settings.silences), silence)
    except ProblemsFound as exc:
        raise SilenceError("The silences file has errors, so it was not changed: "
                           + "; ".join(str(p) for p in exc.problems)) from None
    context.store.record_audit(AuditEvent(now, principal.name, "silence-added", silence.id,
                                          silence.describe()))
    return silence


def end_silence(context: WebContext, principal: Principal, silence_id: str) -> Silence:
    if not principal.may_silence:
        raise HTTPException(403, "Only a performance lead or an administrator can end "
                                 "silences.")
    now = context.clock()
    try:
        ended = expire_silence(Path(context.settings.silences), silence_id, now)
    except KeyError:
        raise HTTPException(404, f"There is no silence '{silence_id}'.") from None
    except ProblemsFound as exc:
        raise HTTPException(409, "The silences file has errors: "
                                 + "; ".join(str(p) for p in exc.problems)) from None
    context.store.record_audit(AuditEvent(now, principal.name, "silence-expired", ended.id,
                                          ended.describe()))
    return ended


def _page(request: Request, *, error: str = "", values: dict[str, str] | None = None,
          status_code: int = 200) -> HTMLResponse:
    context = context_of(request)
    now = context.clock()
    current = context.silences()
    rows = [(s, "active" if s.is_active(now) else
             "pending" if s.starts and s.starts > now else "ended")
            for s in sorted(current.silences, key=lambda s: s.ends, reverse=True)]
    return pages_of(request).render(
        request, "silences.html.j2", title="Silences", rows=rows, error=error,
        problems=[str(p) for p in current.problems], values=values or {},
        added=request.query_params.get("added", ""), status_code=status_code)


@router.get("/silences", response_class=HTMLResponse)
def silences_page(request: Request) -> HTMLResponse:
    return _page(request)


@router.post("/silences", response_model=None)
async def add_form(request: Request) -> Response:
    form = await checked_form(request)
    values = {name: text(form, name) for name in (*_FIELDS, "until", "reason")}
    matchers = {name: [p.strip() for p in values[name].split(",") if p.strip()]
                for name in _FIELDS}
    try:
        silence = new_silence(context_of(request), principal_of(request),
                              until=values["until"], reason=values["reason"],
                              matchers=matchers)
    except SilenceError as exc:
        return _page(request, error=str(exc), values=values, status_code=400)
    return RedirectResponse(f"{context_of(request).web.root_path}/silences?added={silence.id}",
                            status_code=303)


@router.post("/silences/{silence_id}/expire")
async def expire_form(request: Request, silence_id: str) -> RedirectResponse:
    await checked_form(request)
    end_silence(context_of(request), principal_of(request), silence_id)
    return RedirectResponse(f"{context_of(request).web.root_path}/silences", status_code=303)
