"""One measure's history as an inline SVG chart: values, target, tolerance band, alerts.

Plain SVG, no script and nothing fetched, so the backtest report is one self-contained file
that opens in any browser and can be emailed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from alerting.catalogue import Measure, Polarity

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 36


@dataclass(frozen=True)
class Point:
    period_end: date
    value: float | None
    target: float | None


@dataclass(frozen=True)
class Markers:
    """The as-of dates an alert on this series was firing, drawn on the value then."""

    label: str
    dates: tuple[date, ...]
    style: str  # "fired" (filled) or "before" (hollow)


def band_edges(measure: Measure | None, target: float | None) -> tuple[float, float] | None:
    """The edges of the tolerance band around a target: (low, high) of 'within tolerance'."""
    if measure is None or target is None or measure.tolerance is None:
        return None
    amount = measure.tolerance.amount(target)
    if measure.polarity is Polarity.BIGGER_IS_BETTER:
        return (target - amount, target)
    if measure.polarity is Polarity.SMALLER_IS_BETTER:
        return (target, target + amount)
    if measure.polarity is Polarity.PLAN_IS_BEST:
        return (target - amount, target + amount)
    return None


def value_at(points: Sequence[Point], as_of: date) -> tuple[date, float] | None:
    """The latest value on or before an as-of date (what a run then saw)."""
    seen = [p for p in points if p.period_end <= as_of and p.value is not None]
    if not seen:
        return None
    latest = seen[-1]
    assert latest.value is not None
    return latest.period_end, latest.value


class _Scale:
    def __init__(self, first: date, last: date, low: float, high: float):
        self.first, self.days = first.toordinal(), max(last.toordinal() - first.toordinal(), 1)
        pad = (high - low) * 0.08 or max(abs(high) * 0.1, 1.0)
        self.low, self.high = low - pad, high + pad

    def x(self, day: date) -> float:
        return LEFT + (day.toordinal() - self.first) / self.days * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return TOP + (1 - share) * (HEIGHT - TOP - BOTTOM)


def _number(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".") if math.isfinite(value) else "-"


def series_chart(title: str, points: Sequence[Point], bands: Sequence[tuple[str, Measure | None]],
                 markers: Sequence[Markers]) -> str:
    """An SVG chart; `bands` are (label, measure) pairs whose tolerance band to shade."""
    valued = [p for p in points if p.value is not None]
    if not valued:
        return f"<p>{escape(title)}: no values stored.</p>"
    edges = [e for _, m in bands for p in points if (e := band_edges(m, p.target))]
    numbers = [p.value for p in valued if p.value is not None]
    numbers += [p.target for p in points if p.target is not None]
    numbers += [v for edge in edges for v in edge]
    scale = _Scale(points[0].period_end, points[-1].period_end, min(numbers), max(numbers))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img"><title>{escape(title)}</title>',
             f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
             f'height="{HEIGHT - TOP - BOTTOM}" fill="#fafafa" stroke="#ddd"/>']
    for index, (label, measure) in enumerate(bands):
        parts.extend(_band(points, measure, scale, index, label))
    parts.append(_line(((p.period_end, p.target) for p in points), scale, "#2e7d32",
                       'stroke-dasharray="6 3"'))
    parts.append(_line(((p.period_end, p.value) for p in points), scale, "#1a237e", ""))
    for p in valued:
        assert p.value is not None
        parts.append(f'<circle cx="{scale.x(p.period_end):.1f}" cy="{scale.y(p.value):.1f}" '
                     f'r="2" fill="#1a237e"/>')
    for marker in markers:
        parts.extend(_markers(points, marker, scale))
    parts.extend(_axes(scale, points))
    parts.append("</svg>")
    return "".join(parts)


def _line(pairs: Iterable[tuple[date, float | None]], scale: _Scale, colour: str,
          extra: str) -> str:
    """A polyline broken at gaps (missing values are not drawn as zero)."""
    runs: list[list[str]] = [[]]
    for day, value in pairs:
        if value is None:
            runs.append([])
            continue
        runs[-1].append(f"{scale.x(day):.1f},{scale.y(value):.1f}")
    return "".join(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                   f'stroke-width="1.6" {extra}/>' for run in runs if run)


def _band(points: Sequence[Point], measure: Measure | None, scale: _Scale, index: int,
          label: str) -> list[str]:
    colours = ["#ffe0b2", "#b3e5fc"]
    shapes = []
    for left, right in itertools.pairwise(points):
        edge = band_edges(measure, left.target)
        if edge is None:
            continue
        x1, x2 = scale.x(left.period_end), scale.x(right.period_end)
        y_low, y_high = scale.y(edge[0]), scale.y(edge[1])
        opacity = "0.7" if index == 0 else "0.45"
        shapes.append(f'<rect x="{x1:.1f}" y="{y_high:.1f}" width="{max(x2 - x1, 1):.1f}" '
                      f'height="{max(y_low - y_high, 0.5):.1f}" fill="{colours[index % 2]}" '
                      f'fill-opacity="{opacity}"><title>{escape(label)} tolerance band '
                      f'{_number(edge[0])} to {_number(edge[1])}</title></rect>')
    return shapes


def _markers(points: Sequence[Point], marker: Markers, scale: _Scale) -> list[str]:
    shapes = []
    for as_of in marker.dates:
        seen = value_at(points, as_of)
        if seen is None:
            continue
        period_end, value = seen
        fill = 'fill="#c62828"' if marker.style == "fired" else \
            'fill="none" stroke="#555" stroke-width="1.5"'
        radius = 5 if marker.style == "fired" else 7
        shapes.append(f'<circle cx="{scale.x(period_end):.1f}" cy="{scale.y(value):.1f}" '
                      f'r="{radius}" {fill}><title>{escape(marker.label)}: firing as of '
                      f'{as_of.isoformat()} ({_number(value)})</title></circle>')
    return shapes


def _axes(scale: _Scale, points: Sequence[Point]) -> list[str]:
    bottom = HEIGHT - BOTTOM
    texts = [(LEFT - 6, TOP + 10, "end", _number(scale.high)),
             (LEFT - 6, bottom, "end", _number(scale.low)),
             (LEFT, bottom + 16, "start", points[0].period_end.isoformat()),
             (WIDTH - RIGHT, bottom + 16, "end", points[-1].period_end.isoformat())]
    return [f'<text x="{x}" y="{y}" font-size="11" text-anchor="{anchor}" '
            f'fill="#444">{escape(text)}</text>' for x, y, anchor, text in texts]
