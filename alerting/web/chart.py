"""The trend chart of an alert's page: a small inline SVG drawn on the server (no script),
with a text alternative; the page also lists the values in a table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

_W, _H, _PAD = 560, 180, 36


def _number(raw: Any) -> float | None:
    try:
        return None if raw is None else float(raw)
    except (TypeError, ValueError):
        return None


def trend_svg(points: Sequence[Mapping[str, Any]], *, title: str) -> str:
    """Values as a line with dots, targets as ticks joined by a dashed line; '' when
    there is no trend."""
    values = [_number(p.get("value")) for p in points]
    targets = [_number(p.get("target")) for p in points]
    known = [v for v in (*values, *targets) if v is not None]
    if len(points) < 2 or not known:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    low, high = low - span * 0.1, high + span * 0.1
    step = (_W - 2 * _PAD) / (len(points) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return _PAD + i * step, _H - _PAD - (v - low) / (high - low) * (_H - 2 * _PAD)

    def line(series: list[float | None], style: str) -> str:
        coords = [xy(i, v) for i, v in enumerate(series) if v is not None]
        if len(coords) < 2:
            return ""
        joined = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        return f'<polyline points="{joined}" fill="none" {style}/>'

    labels = [str(p.get("label", "")) for p in points]
    described = "; ".join(f"{label} {'no value' if v is None else f'{v:g}'}"
                          for label, v in zip(labels, values, strict=True))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="{_W}" '
             f'height="{_H}" role="img" aria-labelledby="chart-title" class="chart">',
             f'<title id="chart-title">Trend of {escape(title)}: {escape(described)}</title>',
             f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" '
             'stroke="#b1b4b6"/>',
             line(targets, 'stroke="#505a5f" stroke-width="2" stroke-dasharray="6 4"'),
             line(values, 'stroke="#1d70b8" stroke-width="3"')]
    for i, t in enumerate(targets):
        if t is not None:  # a tick per target, so a lone target still shows
            x, y = xy(i, t)
            parts.append(f'<line x1="{x - 12:.1f}" y1="{y:.1f}" x2="{x + 12:.1f}" '
                         f'y2="{y:.1f}" stroke="#505a5f" stroke-width="3"/>')
    for i, v in enumerate(values):
        if v is not None:
            x, y = xy(i, v)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1d70b8"/>')
            parts.append(f'<text x="{x:.1f}" y="{y - 9:.1f}" text-anchor="middle" '
                         f'font-size="12">{v:g}</text>')
    for i, label in enumerate(labels):
        x, _ = xy(i, low)
        parts.append(f'<text x="{x:.1f}" y="{_H - _PAD + 18}" text-anchor="middle" '
                     f'font-size="12">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(p for p in parts if p)
