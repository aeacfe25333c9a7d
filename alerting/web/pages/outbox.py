"""The outbox page: notices waiting, sent and dead, with a retry button for dead ones.

A notice's subject is shown only to someone entitled to every team whose children its
receiver may see (a notice to a team manager may name a child); others see its receiver,
status and attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from alerting.pipeline import deliver_outbox
from alerting.routing.routes import Routing
from alerting.store.handling import AuditEvent
from alerting.store.notices import OutboxEntry
from alerting.web.app import WebContext, context_of, pages_of, principal_of
from alerting.web.auth import Principal
from alerting.web.pages import checked_form

router = APIRouter(include_in_schema=False)
HIDDEN = "(subject hidden: this notice may name children you are not entitled to see)"


@dataclass(frozen=True)
class OutboxRow:
    entry: OutboxEntry
    subject: str
    last_error: str


def may_read(principal: Principal, routing: Routing | None, receiver: str) -> bool:
    if routing is None or receiver not in routing.receivers:
        return principal.may_see_children_of("*")
    return all(principal.may_see_children_of(team)
               for team in routing.receivers[receiver].child_level_for)


def outbox_rows(context: WebContext, principal: Principal, status: str | None,
                limit: int = 100) -> list[OutboxRow]:
    routing = context.routing()
    rows = []
    for entry in context.store.outbox([status] if status else None, limit=limit):
        readable = may_read(principal, routing, entry.receiver)
        rows.append(OutboxRow(entry, entry.subject if readable else HIDDEN,
                              (entry.last_error or "") if readable or not entry.last_error
                              else "(hidden)"))
    return rows


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, status: str = "dead") -> HTMLResponse:
    context = context_of(request)
    wanted = status if status in {"pending", "sending", "sent", "dead"} else None
    return pages_of(request).render(
        request, "outbox.html.j2", title="Outbox", status=wanted or "all",
        rows=outbox_rows(context, principal_of(request), wanted),
        counts=context.store.outbox_counts(), retried=request.query_params.get("retried"))


def retry(context: WebContext, principal: Principal, ids: list[str] | None) -> int:
    """Queue dead notices again and deliver them, as `alerting outbox retry` does."""
    if not principal.may_retry:
        raise HTTPException(403, "Only an administrator can send dead notices again.")
    count = context.store.retry_dead(ids or None)
    context.store.record_audit(AuditEvent(context.clock(), principal.name, "outbox-retry",
                                          ",".join(ids) if ids else "every dead notice",
                                          f"{count} notice(s) queued again"))
    if count:
        # One pass, no waiting for retries: a page must answer; the worker sends the rest.
        deliver_outbox(context.store, context.settings, clock=context.clock,
                       wait_for_retries=timedelta(0))
    return count


@router.post("/outbox/retry")
async def retry_form(request: Request) -> RedirectResponse:
    form = await checked_form(request)
    ids = [str(v) for v in form.getlist("id") if str(v).strip()]
    count = await run_in_threadpool(retry, context_of(request), principal_of(request), ids)
    return RedirectResponse(f"{context_of(request).web.root_path}/outbox?retried={count}",
                            status_code=303)
