"""The HTML pages, one module per group: alerts, the service (runs, sources, status), the
outbox and silences. Each form post is checked for its CSRF token first."""

from __future__ import annotations

from fastapi import HTTPException, Request
from starlette.datastructures import FormData

from alerting.web.app import context_of, principal_of


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token is the one signed for this user."""
    form = await request.form()
    token = form.get("csrf_token")
    if not context_of(request).forms.valid(principal_of(request),
                                           token if isinstance(token, str) else None):
        raise HTTPException(403, "The form has expired or did not come from this service. "
                                 "Go back, reload the page and try again.")
    return form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
