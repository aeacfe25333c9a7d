"""Pages about the service itself: the run history with the service's health, and the data
sources with how fresh each one is."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from alerting.service.data_sources import last_changed, missing_reason
from alerting.service.run import default_worker_name
from alerting.service.status import Health, check_health
from alerting.web.app import WebContext, context_of, pages_of

router = APIRouter(include_in_schema=False)


def health_of(context: WebContext) -> Health:
    """The same check as `alerting status`, for this host's worker."""
    named = os.environ.get("CSC_ALERTING_WORKER_NAME")
    return check_health(context.store, context.settings, context.clock(),
                        named or default_worker_name(), required=bool(named))


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, job: str = "", limit: int = 50) -> HTMLResponse:
    context = context_of(request)
    runs = context.store.runs(limit=max(1, min(limit, 500)), job=job or None)
    return pages_of(request).render(request, "runs.html.j2", title="Runs and service status",
                                    runs=runs, health=health_of(context), job=job,
                                    jobs=[s.name for s in context.settings.schedules])


@dataclass(frozen=True)
class SourceRow:
    name: str
    where: str
    refresh: str
    loaded_at: datetime | None
    changed_at: datetime | None
    rows_loaded: int
    rows_rejected: int
    problem: str
    stale: bool


def source_rows(context: WebContext) -> list[SourceRow]:
    from alerting.model.durations import interval_text

    statuses = context.store.source_status()
    now = context.clock()
    rows = []
    for source in context.settings.sources:
        status = statuses.get(source.name)
        changed = last_changed(source, status)
        stale = bool(source.refresh and changed and now - changed > source.refresh)
        rows.append(SourceRow(
            name=source.name, where=source.path or "a SQL query",
            refresh=interval_text(source.refresh) if source.refresh else "not set",
            loaded_at=status.loaded_at if status else None, changed_at=changed,
            rows_loaded=status.rows_loaded if status else 0,
            rows_rejected=status.rows_rejected if status else 0,
            problem=missing_reason(source, status) or "", stale=stale))
    return rows


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> HTMLResponse:
    return pages_of(request).render(request, "sources.html.j2", title="Data sources",
                                    sources=source_rows(context_of(request)))
