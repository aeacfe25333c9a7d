"""The JSON API (documented at /openapi.json): alerts, silences, runs, status, sources and
the outbox, with the same operations as the `alerting` command and the same privacy as the
pages (child-level alerts as counts unless entitled)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from alerting.store.handling import Handling
from alerting.web.app import context_of, principal_of
from alerting.web.pages.alerts import _find, alerts_for
from alerting.web.pages.outbox import outbox_rows, retry
from alerting.web.pages.service import health_of, source_rows
from alerting.web.pages.silences import SilenceError, end_silence, new_silence
from alerting.web.views import team_of, visible_alerts


def json_only(request: Request) -> None:
    """A change must be sent as JSON: a page on another site cannot post JSON here without
    the browser asking first, and no other site is allowed (CSRF)."""
    if request.method in {"POST", "PUT", "PATCH"}:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise HTTPException(415, "send the request body as application/json")


router = APIRouter(tags=["api"], dependencies=[Depends(json_only)])


class HandlingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handled_by: str | None = Field(default=None, max_length=200,
                                   description="who is handling it (default: the caller)")
    note: str = Field(default="", max_length=2000)


class SilenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: list[str] = []
    measure: list[str] = []
    area: list[str] = []
    team: list[str] = []
    alert: list[str] = []
    until: str = Field(description="a date (2026-12-31, muted through that day) or a "
                                   "duration from now (2w, 36h)")
    reason: str


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(default=[], description="notice ids (default: every dead notice)")


@router.get("/alerts", summary="Open alerts (with ?all=true, resolved ones too)")
def list_alerts(request: Request, all: bool = False, team: str = "",
                severity: str = "") -> dict[str, Any]:
    context = context_of(request)
    views, counts = alerts_for(context, principal_of(request), include_resolved=all,
                               team=team, severity=severity)
    zone = context.settings.zone()
    return {"alerts": [v.to_json(zone) for v in views],
            "child_counts": [c.to_json() for c in counts]}


def _one(request: Request, identity: str) -> dict[str, Any]:
    context = context_of(request)
    alert = _find(context, principal_of(request), identity)
    view = visible_alerts(principal_of(request), [alert],
                          rule_titles=context.ruleset().rule_titles(),
                          handling=context.store.handling(),
                          log=context.store.notification_log()).alerts[0]
    answer = view.to_json(context.settings.zone())
    answer["audit"] = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                        "detail": e.detail} for e in context.store.audit_trail(identity)]
    return answer


@router.get("/alerts/{identity:path}", summary="One alert, with who is handling it and the "
                                               "audit trail")
def get_alert(request: Request, identity: str) -> dict[str, Any]:
    return _one(request, identity)


@router.post("/alerts/{identity:path}/handling", summary="Say who is handling an alert")
def set_handling(request: Request, identity: str, body: HandlingIn) -> dict[str, Any]:
    context, principal = context_of(request), principal_of(request)
    alert = _find(context, principal, identity)
    if not principal.may_handle(team_of(alert)):
        raise HTTPException(403, "only the team's manager, a performance lead or an "
                                 "administrator can say who is handling this alert")
    context.store.set_handling(Handling(identity, alert.episode,
                                        body.handled_by or principal.name, body.note,
                                        principal.name, context.clock()))
    return _one(request, identity)


@router.delete("/alerts/{identity:path}/handling", summary="Nobody is handling it now")
def clear_handling(request: Request, identity: str) -> dict[str, Any]:
    context, principal = context_of(request), principal_of(request)
    alert = _find(context, principal, identity)
    if not principal.may_handle(team_of(alert)):
        raise HTTPException(403, "not allowed for this alert")
    context.store.clear_handling(identity, actor=principal.name, at=context.clock())
    return _one(request, identity)


def _silence_json(silence: Any, now: Any) -> dict[str, Any]:
    return {**silence.to_yaml(), "active": silence.is_active(now),
            "description": silence.describe()}


@router.get("/silences", summary="Active silences (with ?all=true, ended ones too)")
def list_silences(request: Request, all: bool = False) -> list[dict[str, Any]]:
    context = context_of(request)
    now = context.clock()
    return [_silence_json(s, now) for s in context.silences().silences
            if all or now < s.ends]


@router.post("/silences", status_code=201, summary="Add a silence (as `alerting silence add`)")
def add_silence(request: Request, body: SilenceIn) -> dict[str, Any]:
    context = context_of(request)
    try:
        silence = new_silence(context, principal_of(request), until=body.until,
                              reason=body.reason,
                              matchers={"rule": body.rule, "measure": body.measure,
                                        "area": body.area, "team": body.team,
                                        "alert": body.alert})
    except SilenceError as exc:
        raise HTTPException(400, str(exc)) from None
    return _silence_json(silence, context.clock())


@router.post("/silences/{silence_id}/expire", summary="End a silence now")
def expire(request: Request, silence_id: str) -> dict[str, Any]:
    context = context_of(request)
    return _silence_json(end_silence(context, principal_of(request), silence_id),
                         context.clock())


@router.get("/runs", summary="The run history, newest first (as `alerting runs`)")
def list_runs(request: Request, limit: int = 20, job: str = "") -> list[dict[str, Any]]:
    runs = context_of(request).store.runs(limit=max(1, min(limit, 500)), job=job or None)
    return [r.to_json() for r in runs]


@router.get("/status", summary="Health, as `alerting status --format json`")
def status(request: Request) -> dict[str, Any]:
    return health_of(context_of(request)).to_json()


@router.get("/sources", summary="Data sources and how fresh they are")
def sources(request: Request) -> list[dict[str, Any]]:
    return [{"name": s.name, "where": s.where, "refresh": s.refresh,
             "loaded_at": s.loaded_at.isoformat() if s.loaded_at else None,
             "changed_at": s.changed_at.isoformat() if s.changed_at else None,
             "rows_loaded": s.rows_loaded, "rows_rejected": s.rows_rejected,
             "problem": s.problem or None, "stale": s.stale}
            for s in source_rows(context_of(request))]


@router.get("/outbox", summary="Notices, newest first (as `alerting outbox list`)")
def outbox(request: Request, status: str = "", limit: int = 50) -> dict[str, Any]:
    context = context_of(request)
    rows = outbox_rows(context, principal_of(request), status or None,
                       limit=max(1, min(limit, 500)))
    return {"counts": context.store.outbox_counts(), "notices": [
        {"id": r.entry.id, "receiver": r.entry.receiver, "channel": r.entry.channel,
         "subject": r.subject, "status": r.entry.status, "attempts": r.entry.attempts,
         "created_at": r.entry.created_at.isoformat(),
         "sent_at": r.entry.sent_at.isoformat() if r.entry.sent_at else None,
         "last_error": r.last_error or None} for r in rows]}


@router.post("/outbox/retry", summary="Queue dead notices again and deliver them "
                                      "(as `alerting outbox retry`)")
async def retry_dead(request: Request, body: RetryIn) -> dict[str, int]:
    count = await run_in_threadpool(retry, context_of(request), principal_of(request),
                                    body.ids or None)
    return {"queued": count}
