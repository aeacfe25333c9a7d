"""What templates see: each due alert as plain values in the users' words.

Values are formatted here (units, dates, time on plan) so templates stay simple. Child-level
alerts carry the child id, plan start, time on plan and allocated worker, never a name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from alerting.alerts.state import NotifyReason
from alerting.model.catalogue import Polarity, Unit
from alerting.model.durations import months_between
from alerting.model.findings import Status
from alerting.rendering.chart import sparkline
from alerting.routing.grouping import ChildCount, DueAlert

_SEVERITY_COLOUR = {"critical": "attention", "high": "attention", "medium": "warning",
                    "low": "accent", "info": "default"}


def _unit(details: Mapping[str, Any]) -> Unit | None:
    try:
        unit = details.get("unit")
        return Unit(str(unit)) if unit else None
    except ValueError:
        return None


def _format(value: Any, unit: Unit | None) -> str:
    if value is None:
        return ""
    return unit.format_value(float(value)) if unit else f"{float(value):g}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _web_link(raw: Any) -> str:
    """Only http(s) links reach a notice (a catalogue typo must not become a script link)."""
    text = str(raw or "").strip()
    return text if text.startswith(("https://", "http://")) else ""


def _handled_by(raw: Any) -> dict[str, str] | None:
    if not isinstance(raw, Mapping) or not raw.get("name"):
        return None
    return {"name": str(raw["name"]), "note": str(raw.get("note") or "")}


def time_on_plan(start: date, as_of: date) -> str:
    years, months = divmod(months_between(start, as_of), 12)
    parts = ([_plural(years, "year")] if years else []) + [_plural(months, "month")]
    return " ".join(parts)


def alert_view(due: DueAlert, rule_titles: Mapping[str, str],
               partials: Mapping[str, str]) -> dict[str, Any]:
    """The template variables of one due alert."""
    alert, finding = due.alert, due.alert.finding
    details: Mapping[str, Any] = finding.get("details") or {}
    unit = _unit(details)
    status = Status(finding.get("status", alert.status.value))
    polarity = details.get("polarity")
    trend = list(details.get("trend") or [])
    view: dict[str, Any] = {
        "identity": alert.identity,
        "reason": due.reason.value,
        "reason_words": due.reason.words,
        "resolved": due.reason is NotifyReason.RESOLVED,
        "rule": alert.rule,
        "rule_title": rule_titles.get(alert.rule, alert.rule),
        "rule_type": finding.get("type", ""),
        "subject": alert.subject,
        "subject_title": finding.get("subject_title") or alert.subject,
        # What the subject is: a measure, or for the service's own alerts a rule file,
        # data source, job or the outbox.
        "subject_label": details.get("subject_label") or "Measure",
        "area": alert.area or "",
        "status": status.value,
        "status_words": status.words,
        "severity": alert.severity.value,
        "colour": "good" if due.reason is NotifyReason.RESOLVED
        else _SEVERITY_COLOUR.get(alert.severity.value, "default"),
        "period": finding.get("period_label") or "",
        "message": finding.get("message") or "",
        "value": _format(finding.get("value"), unit),
        "target": _format(finding.get("target"), unit),
        "tolerance": details.get("tolerance_rule") or "",
        "polarity": Polarity(str(polarity)).words
        if polarity in {p.value for p in Polarity} else "",
        "comparators": [{"name": k.replace("_", " "), "value": _format(v, unit)}
                        for k, v in sorted((details.get("comparators") or {}).items())],
        "commentary": details.get("commentary") or "",
        "link": _web_link(details.get("link")),
        "owner": details.get("owner") or "",
        "since": alert.started_at.strftime("%d %b %Y"),
        "resolved_on": alert.resolved_at.strftime("%d %b %Y") if alert.resolved_at else "",
        "trend": [{"period": p.get("label", ""), "value": _format(p.get("value"), unit),
                   "target": _format(p.get("target"), unit)} for p in trend],
        "trend_numbers": [(p.get("value"), p.get("target")) for p in trend],
        # An SPC finding's process limits and special-cause points, for the chart.
        "trend_limits": _spc_limits(details),
        "trend_flags": _spc_flags(details, trend),
        "sparkline": sparkline([p.get("value") for p in trend]),
        "chart": "",  # the cid of the inline chart image, set for email
        "child": None,
        # Who is handling the alert (set on the web page), or None.
        "handled_by": _handled_by(finding.get("handled_by")),
        "partials": dict(partials),
    }
    view["comparators_text"] = ", ".join(f"{c['name']} {c['value']}"
                                         for c in view["comparators"])
    if details.get("child_level"):
        start = date.fromisoformat(str(details["start_date"]))
        as_of = date.fromisoformat(str(finding.get("period")))
        view["child"] = {
            "child_id": details.get("child_id") or alert.subject,
            "plan_type": details.get("plan_type") or "",
            "start_date": start.strftime("%d %b %Y"),
            "time_on_plan": time_on_plan(start, as_of),
            "worker": details.get("worker") or "not recorded",
            "team": details.get("team") or alert.area or "",
        }
    return view


def count_view(count: ChildCount, rule_titles: Mapping[str, str]) -> dict[str, Any]:
    share = (f"{round(100 * count.count / count.cohort)}% of {count.cohort} open"
             if count.cohort else "")
    longest = _plural(count.longest, "working day") if count.longest else ""
    detail = "; ".join(filter(None, [share, f"the longest {longest}" if longest else ""]))
    return {"rule": count.rule, "rule_title": rule_titles.get(count.rule, count.rule),
            "team": count.team, "reason": count.reason.value,
            "reason_words": count.reason.words, "count": count.count,
            "children": _plural(count.count, "child").replace("childs", "children"),
            "share": share, "longest": longest, "detail": detail, "summary": count.summary}


def count_summaries(counts: list[dict[str, Any]]) -> list[str]:
    """Each counted rule's cohort summary once, in the order of the counts (report wording:
    'Assessments for 18 children have been open for more than 90 working days; ...')."""
    return list(dict.fromkeys(c["summary"] for c in counts if c.get("summary")))


def summary_line(alerts: list[dict[str, Any]], counts: list[dict[str, Any]]) -> str:
    """'3 new, 1 worse, 2 resolved' — the digest's headline."""
    tally: dict[str, int] = {}
    for item in alerts:
        tally[item["reason_words"]] = tally.get(item["reason_words"], 0) + 1
    for item in counts:
        tally[item["reason_words"]] = tally.get(item["reason_words"], 0) + item["count"]
    order = [r.words for r in NotifyReason]
    return ", ".join(f"{tally[w]} {w.lower()}" for w in order if w in tally)


def timestamp(now: datetime) -> str:
    return now.strftime("%d %b %Y %H:%M %Z").strip()


def _spc_limits(details: Mapping[str, Any]) -> tuple[float, float, float] | None:
    lower, mean, upper = (details.get(k) for k in ("lower_limit", "mean", "upper_limit"))
    if not all(isinstance(n, int | float) and math.isfinite(n) for n in (lower, mean, upper)):
        return None
    return float(lower), float(mean), float(upper)  # type: ignore[arg-type]


def _spc_flags(details: Mapping[str, Any], trend: list[Mapping[str, Any]]) -> list[bool]:
    """Which trend points an SPC finding marks as special causes (matched by period)."""
    special = {str(h.get("period")) for h in details.get("history") or [] if h.get("signals")}
    return [str(p.get("period")) in special for p in trend]
