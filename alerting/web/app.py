"""The web application: one FastAPI app with the pages, the JSON API and /metrics.

`create_app` wires the pieces; every request passes the authentication middleware first
(nothing is served to a request it refuses) and leaves with the security headers.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import PackageLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware

from alerting.alerts.silences import Silences, load_silences
from alerting.config.ruleset import RuleSet, load_rules
from alerting.config.settings import Settings
from alerting.model.clock import Clock, local_today, utc_now
from alerting.model.problems import ProblemsFound
from alerting.routing.routes import Routing, load_routing
from alerting.store import Store
from alerting.web.auth import FormTokens, Principal, Refusal, authenticate
from alerting.web.config import WebSettings
from alerting.web.views import local

log = structlog.get_logger("alerting.web")

# No script, no frames, no other site: the pages are plain HTML and one stylesheet.
_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")
_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    # Pages may carry child ids: never kept by a browser or a shared cache.
    "Cache-Control": "no-store",
}


_HEADINGS = {403: "You cannot do that", 404: "Page not found",
             405: "Sorry, there is a problem"}


@dataclass
class WebContext:
    """What the pages need: the service settings, the store, who may use it, the clock."""

    settings: Settings
    web: WebSettings
    store: Store
    clock: Clock = utc_now
    forms: FormTokens = field(default_factory=lambda: FormTokens(secrets.token_bytes(32)))
    environ: dict[str, str] | None = None

    def routing(self) -> Routing | None:
        try:
            return load_routing(Path(self.settings.recipients))
        except ProblemsFound:
            return None

    def ruleset(self) -> RuleSet:
        return load_rules(self.settings.rule_paths())

    def silences(self) -> Silences:
        return load_silences(Path(self.settings.silences))

    def today(self) -> date:
        return local_today(self.clock, self.settings.timezone)


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(loader=PackageLoader("alerting.web", "templates"),
                               autoescape=select_autoescape(["html", "j2"],
                                                            default_for_string=True),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["q"] = lambda text: quote(str(text), safe="")
    return env


class Pages:
    """Renders a page template with what every page shows (who is signed in, the nav)."""

    def __init__(self, context: WebContext):
        self.context = context
        self.env = _environment()

    def render(self, request: Request, template: str, status_code: int = 200,
               **values: Any) -> HTMLResponse:
        principal: Principal | None = getattr(request.state, "principal", None)
        zone = self.context.settings.zone()
        body = self.env.get_template(template).render(
            principal=principal, root=self.context.web.root_path,
            csrf=self.context.forms.token(principal) if principal else "",
            authority=self.context.settings.authority or "", path=request.url.path,
            when=lambda moment: local(moment, zone), **values)
        return HTMLResponse(body, status_code=status_code)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/metrics", "/openapi")) and \
        "text/html" in request.headers.get("accept", "text/html")


class Authenticated(BaseHTTPMiddleware):
    def __init__(self, app: Any, context: WebContext, pages: Pages):
        super().__init__(app)
        self.context = context
        self.pages = pages

    async def dispatch(self, request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path == "/static/style.css":
            response = await call_next(request)  # the stylesheet holds nothing private
        else:
            response = await self._checked(request, call_next)
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    async def _checked(self, request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        import os

        client = request.client.host if request.client else None
        found = authenticate(self.context.web, self.context.routing(),
                             headers=request.headers, client=client,
                             environ=self.context.environ if self.context.environ is not None
                             else os.environ)
        if isinstance(found, Refusal):
            log.warning("web_refused", path=request.url.path, client=client,
                        status=found.status, reason=found.reason)
            return self._refuse(request, found)
        request.state.principal = found
        return await call_next(request)

    def _refuse(self, request: Request, refusal: Refusal) -> Response:
        headers = {"WWW-Authenticate": 'Bearer realm="csc-alerting"'} \
            if refusal.status == 401 else {}
        if _wants_html(request):
            response: Response = self.pages.render(
                request, "refused.html.j2", status_code=refusal.status, refusal=refusal,
                title="Sign in" if refusal.status == 401 else "No access")
            response.headers.update(headers)
            return response
        return JSONResponse({"error": refusal.reason}, status_code=refusal.status,
                            headers=headers)


def create_app(context: WebContext) -> FastAPI:
    from alerting.web import api, metrics
    from alerting.web.pages import alerts, outbox, service, silences

    app = FastAPI(title="csc-alerting", version="1",
                  description="Alerts, silences, runs and status of csc-alerting: the same "
                              "operations as the `alerting` command. Authenticate with "
                              "`Authorization: Bearer TOKEN` (tokens in config/web.yaml).",
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    pages = Pages(context)
    app.state.context = context
    app.state.pages = pages
    app.add_middleware(Authenticated, context=context, pages=pages)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(f"{context.web.root_path}/alerts", status_code=303)

    @app.get("/static/style.css", include_in_schema=False)
    def style() -> Response:
        css = (Path(__file__).parent / "templates" / "style.css").read_text(encoding="utf-8")
        return Response(css, media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not _wants_html(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        heading = _HEADINGS.get(exc.status_code, "Sorry, there is a problem")
        return pages.render(request, "error.html.j2", status_code=exc.status_code,
                            title=heading, heading=heading, message=str(exc.detail))

    for module in (alerts, service, outbox, silences):
        app.include_router(module.router)
    app.include_router(api.router, prefix="/api")
    app.include_router(metrics.router)
    return app


def principal_of(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


def context_of(request: Request) -> WebContext:
    context: WebContext = request.app.state.context
    return context


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages
