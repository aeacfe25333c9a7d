"""Render a receiver's due alerts into a Notice for one channel, from Jinja2 templates.

Templates run in a `SandboxedEnvironment` with `StrictUndefined` (a misspelt variable is an
error, not a blank), autoescape for HTML, and a user folder (`config/templates/`) searched
before the defaults shipped in `alerting/rendering/templates/`. Text from data (titles,
commentary) is HTML-escaped by autoescape in email and escaped before it reaches a card
template, where HTML is never meaningful.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import escape

from alerting.rendering.chart import trend_png
from alerting.rendering.views import (
    alert_view,
    count_summaries,
    count_view,
    summary_line,
    timestamp,
)
from alerting.routing.grouping import NoticeDraft
from notifiers import (
    DOCUMENTS,
    EMAIL,
    EMAIL_ALERT_TEMPLATES,
    EMAIL_TEMPLATES,
    Document,
    InlineImage,
    Notice,
)

# Every template a notice uses, by the `templates:` key that replaces it: the email's own and
# each declared document's (notifiers/*.py), for the notice and for one alert's part.
NOTICE_TEMPLATES: dict[str, str] = {
    **EMAIL_TEMPLATES,
    **{d.template: d.default_template for d in DOCUMENTS.values()
       if d.template and d.default_template}}
ALERT_TEMPLATES: dict[str, str] = {
    **EMAIL_ALERT_TEMPLATES,
    **{d.template: d.alert_template for d in DOCUMENTS.values()
       if d.template and d.alert_template}}
_MAX_CHARTS = 25


# Count fields that are words for people, not data for a webhook's payload.
_WORDED = frozenset({"children", "share", "longest", "detail", "summary"})


class TemplateProblem(Exception):
    """A template failed to render: names the template and what went wrong."""


@dataclass(frozen=True)
class ServiceInfo:
    authority: str = ""
    link: str = ""  # e.g. the performance dashboard, shown as the card's OpenUrl action
    name: str = "csc-alerting"


def _autoescape(name: str | None) -> bool:
    return name is not None and ".html" in name


_NOT_TEXT = {"link", "chart", "partials", "colour", "trend_numbers", "trend_limits",
             "trend_flags"}


def card_text(value: Any) -> Any:
    """Escape data text for a card: HTML is not meaningful there and must arrive inert.

    Links (only ever http(s), see views) and template names are left as they are.
    """
    if isinstance(value, str):
        return str(escape(value))
    if isinstance(value, Mapping):
        return {k: v if k in _NOT_TEXT else card_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [card_text(v) for v in value]
    return value


class Renderer:
    def __init__(self, template_dir: Path | None = None,
                 service: ServiceInfo | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if template_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(template_dir)))
        loaders.append(jinja2.PackageLoader("alerting.rendering", "templates"))
        self.env = SandboxedEnvironment(
            loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
            autoescape=_autoescape, trim_blocks=True, lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.service = service or ServiceInfo()

    def _render(self, name: str, context: Mapping[str, Any]) -> str:
        try:
            return self.env.get_template(name).render(context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(f"template {exc.name!r} was not found") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(f"template {exc.name or name}:{exc.lineno}: {exc.message}") \
                from None
        except jinja2.UndefinedError as exc:
            raise TemplateProblem(f"template {name}: {exc.message}") from None
        except jinja2.TemplateError as exc:
            raise TemplateProblem(f"template {name}: {exc}") from None

    def _json(self, name: str, context: Mapping[str, Any]) -> dict[str, Any]:
        text = self._render(name, context)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TemplateProblem(f"template {name} did not produce valid JSON: {exc.msg} at "
                                  f"line {exc.lineno} column {exc.colno}") from None
        if not isinstance(data, dict):
            raise TemplateProblem(f"template {name} must produce a JSON object")
        return data

    def context(self, draft: NoticeDraft, now: datetime) -> dict[str, Any]:
        alerts = [alert_view(due, draft.rule_titles,
                             {**ALERT_TEMPLATES, **draft.rule_templates.get(due.alert.rule, {})})
                  for due in draft.alerts]
        counts = [count_view(c, draft.rule_titles) for c in draft.child_counts]
        summary = summary_line(alerts, counts)
        return {
            "receiver": {"name": draft.receiver.name, "title": draft.receiver.display_title},
            "alerts": alerts, "child_counts": counts, "more": 0,
            "count_summaries": count_summaries(counts),
            "still_open": draft.still_open, "summary": summary,
            "title": f"{self.service.authority} children's services: {summary}".strip(),
            "authority": self.service.authority, "link": self.service.link,
            "service": self.service.name, "generated": timestamp(now),
        }

    def render(self, draft: NoticeDraft, *, notice_id: str, channel: str,
               target: Mapping[str, Any], formats: frozenset[str], max_bytes: int | None,
               now: datetime) -> Notice:
        templates = {**NOTICE_TEMPLATES, **draft.templates}
        context = self.context(draft, now)
        subject = " ".join(self._render(templates["email_subject"], context).split())
        text, html = "", None
        images: tuple[InlineImage, ...] = ()
        if EMAIL in formats:
            images = self._charts(context)
            text = self._render(templates["email_text"], context)
            html = self._render(templates["email_html"], context)
        else:
            text = context["summary"]
        unknown = formats - {EMAIL} - set(DOCUMENTS)
        if unknown:
            raise TemplateProblem(f"channel {channel!r} asks for {', '.join(sorted(unknown))}, "
                                  "which no channel module declares")
        documents = {name: self._document(document, templates, draft, context, max_bytes)
                     for name, document in DOCUMENTS.items() if name in formats}
        return Notice(id=notice_id, receiver=draft.receiver.name, channel=channel,
                      target=dict(target), subject=subject, text=text, html=html,
                      images=images, documents=documents,
                      created_at=now,
                      metadata={"alerts": len(draft.alerts) + sum(c.count for c in
                                                                   draft.child_counts),
                                "identities": [d.alert.identity for d in draft.alerts]})

    def _charts(self, context: dict[str, Any]) -> tuple[InlineImage, ...]:
        """A small trend chart per alert (the first few), attached inline to the email."""
        images = []
        for index, view in enumerate(context["alerts"][:_MAX_CHARTS]):
            points = view["trend_numbers"]
            png = trend_png([p[0] for p in points], [p[1] for p in points],
                            limits=view.get("trend_limits"),
                            flagged=view.get("trend_flags") or ()) if points else None
            if png is not None:
                cid = f"chart-{index + 1}@csc-alerting"
                view["chart"] = cid
                images.append(InlineImage(cid=cid, content=png))
        return tuple(images)

    def _document(self, document: Document, templates: Mapping[str, str], draft: NoticeDraft,
                  context: dict[str, Any], max_bytes: int | None) -> Any:
        """One declared document of the notice, from its template (or the alerts payload)."""
        if document.template is None:
            return self._payload(draft, context)
        name = templates[document.template]
        return self._fitted(name, context, max_bytes if document.fit_to_max_bytes else None,
                            document)

    def _fitted(self, name: str, context: dict[str, Any], max_bytes: int | None,
                document: Document) -> Any:
        """Render a document; when it is too big, show fewer alerts and say 'and N more'."""
        safe = card_text(context)
        total = len(safe["alerts"])

        def build(shown: int) -> tuple[Any, int]:
            trimmed = {**safe, "alerts": safe["alerts"][:shown], "more": total - shown}
            if not document.is_json:
                text = self._render(name, trimmed)
                return text, len(text.encode("utf-8"))
            card = self._json(name, trimmed)
            body = document.envelope(card) if document.envelope else card
            return card, len(json.dumps(body, separators=(",", ":")).encode("utf-8"))

        card, size = build(total)
        if max_bytes is None or size <= max_bytes:
            return card
        low, high = 0, total  # largest number shown that fits
        best = build(0)
        while low < high:
            middle = (low + high + 1) // 2
            attempt = build(middle)
            if attempt[1] <= max_bytes:
                low, best = middle, attempt
            else:
                high = middle - 1
        return best[0]

    def _payload(self, draft: NoticeDraft, context: Mapping[str, Any]) -> dict[str, Any]:
        alerts = []
        for due, view in zip(draft.alerts, context["alerts"], strict=True):
            alert = due.alert
            alerts.append({
                "fingerprint": alert.identity, "status": alert.state.value,
                "reason": due.reason.value, "rule": alert.rule, "rule_title": view["rule_title"],
                "subject": alert.subject, "subject_title": view["subject_title"],
                "area": alert.area, "rating": alert.status.value,
                "severity": alert.severity.value, "period": view["period"],
                "value": alert.finding.get("value"), "target": alert.finding.get("target"),
                "message": view["message"], "labels": alert.labels,
                "started_at": alert.started_at.isoformat(),
                "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
                "link": view["link"] or None, "child": view["child"],
            })
        return {"version": "1", "service": self.service.name,
                "authority": self.service.authority, "receiver": draft.receiver.name,
                "summary": context["summary"], "alerts": alerts,
                "child_counts": [{k: v for k, v in c.items() if k not in _WORDED}
                                 for c in context["child_counts"]]}

