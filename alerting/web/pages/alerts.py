"""Pages: open alerts by team and severity, one alert (trend, explain, history), and who is
handling it."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from alerting.alerts.state import Alert
from alerting.authoring.explain import ExplainError, explain_subject
from alerting.model.findings import Severity
from alerting.pipeline import read_data
from alerting.service.operations import is_operations
from alerting.store.handling import Handling
from alerting.web.app import WebContext, context_of, pages_of, principal_of
from alerting.web.auth import Principal
from alerting.web.chart import trend_svg
from alerting.web.pages import checked_form, text
from alerting.web.views import (
    AlertView,
    ChildCount,
    by_team,
    firing,
    may_see,
    team_of,
    visible_alerts,
)

router = APIRouter(include_in_schema=False)


def alerts_for(context: WebContext, principal: Principal, *, include_resolved: bool = False,
               team: str = "", severity: str = "") -> tuple[list[AlertView], list[ChildCount]]:
    store = context.store
    chosen = [a for a in firing(store.alerts(), include_resolved=include_resolved)
              if (not severity or a.severity.value == severity)
              and (not team or (team_of(a) or "") == team)]
    titles = context.ruleset().rule_titles()
    shown = visible_alerts(principal, chosen, rule_titles=titles, handling=store.handling(),
                           log=store.notification_log())
    return shown.alerts, shown.counts


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, team: str = "", severity: str = "",
                resolved: str = "") -> HTMLResponse:
    context = context_of(request)
    principal = principal_of(request)
    views, counts = alerts_for(context, principal, include_resolved=bool(resolved), team=team,
                               severity=severity)
    teams = sorted({team_of(a) or "" for a in context.store.alerts().values()} - {""})
    return pages_of(request).render(
        request, "alerts.html.j2", title="Open alerts", groups=by_team(views), counts=counts,
        teams=teams, severities=[s.value for s in reversed(Severity)], team=team,
        severity=severity, resolved=bool(resolved), total=len(views) + sum(c.count
                                                                          for c in counts))


def _find(context: WebContext, principal: Principal, identity: str) -> Alert:
    alert = context.store.alerts().get(identity)
    # The same answer for "no such alert" and "not yours to see": an id is not confirmed.
    if alert is None or not may_see(principal, alert):
        raise HTTPException(404, "There is no alert with that id that you may see.")
    return alert


def _explain(context: WebContext, alert: Alert) -> list[str]:
    if is_operations(alert.rule):
        return []
    ruleset = context.ruleset()
    runs = context.store.runs(limit=1, finished_only=True)
    as_of = runs[0].as_of if runs and runs[0].as_of else context.today()
    area = None if alert.finding.get("type") == "risk_rise" else alert.area
    try:
        explained = explain_subject(
            ruleset, context.settings, read_data(context.store, ruleset), rule_id=alert.rule,
            subject=alert.subject, area=area, as_of=as_of, silences=context.silences(),
            now=context.clock(), today=context.today())
    except ExplainError as exc:
        return [f"This alert cannot be explained now: {exc}."]
    return [p for p in (explained.disabled_note, *explained.paragraphs,
                        explained.silences_note, *explained.failures) if p]


@router.get("/alerts/{identity:path}", response_class=HTMLResponse)
def alert_page(request: Request, identity: str) -> HTMLResponse:
    context = context_of(request)
    principal = principal_of(request)
    alert = _find(context, principal, identity)
    view = visible_alerts(principal, [alert], rule_titles=context.ruleset().rule_titles(),
                          handling=context.store.handling(),
                          log=context.store.notification_log()).alerts[0]
    return pages_of(request).render(
        request, "alert.html.j2", title=view.rule_title, view=view,
        chart=trend_svg(view.trend, title=f"{view.subject_title}, {view.alert.area or ''}"),
        explained=_explain(context, alert), audit=context.store.audit_trail(identity),
        may_handle=principal.may_handle(view.team), details=view.alert.finding.get("details")
        or {})


@router.post("/alerts/{identity:path}/handling")
async def set_handling(request: Request, identity: str) -> RedirectResponse:
    form = await checked_form(request)
    context = context_of(request)
    principal = principal_of(request)
    alert = _find(context, principal, identity)
    if not principal.may_handle(team_of(alert)):
        raise HTTPException(403, "Only the team's manager, a performance lead or an "
                                 "administrator can say who is handling this alert.")
    now = context.clock()
    if text(form, "action") == "clear":
        context.store.clear_handling(identity, actor=principal.name, at=now)
    else:
        handled_by = text(form, "handled_by") or principal.name
        context.store.set_handling(Handling(identity, alert.episode, handled_by[:200],
                                            text(form, "note")[:2000], principal.name, now))
    return RedirectResponse(f"{context.web.root_path}/alerts/{quote(identity, safe='')}"
                            "?saved=1", status_code=303)


__all__ = ["alerts_for", "router"]
