"""One measure's history as an inline SVG chart: values, target, tolerance band, alerts.

Plain SVG, no script and nothing fetched, so the backtest report is one self-contained file
that opens in any browser and can be emailed. The SVG is built in code, so every text in it
(titles, labels, numbers, dates) goes through markupsafe's escape; the chart is returned as
`Markup` for the page's autoescaping template to embed as is.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from alerting.model.catalogue import Measure, Polarity
from alerting.rules import RagScheme
from alerting.rules import tolerance as tolerance_rule

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


def band_edges(measure: Measure | None, target: float | None,
               scheme: RagScheme) -> tuple[float, float] | None:
    """The tolerance band around a target exactly as the tolerance rule draws it under the
    scheme it rates by; none for a measure the rule does not rate (no polarity)."""
    if measure is None or target is None or measure.tolerance is None \
            or measure.polarity is Polarity.NONE:
        return None
    return tolerance_rule.band_edges(measure.polarity, scheme, target,
                                     measure.tolerance.amount(target))


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


@dataclass(frozen=True)
class Band:
    """A tolerance band to shade: the catalogue's measure, the targets it applies to and the
    RAG scheme the rule rates by (its own `scheme:` or the council's `rag_scheme`)."""

    label: str
    measure: Measure | None
    points: Sequence[Point]
    scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE

    def edges(self, target: float | None) -> tuple[float, float] | None:
        return band_edges(self.measure, target, self.scheme)


def series_chart(title: str, points: Sequence[Point], bands: Sequence[Band],
                 markers: Sequence[Markers]) -> Markup:
    """An SVG chart of one series. Each period's target and band are drawn across that
    period's slot on the time axis, so a target given only for the last period shows too."""
    valued = [p for p in points if p.value is not None]
    if not valued:
        return Markup(f"<p>{escape(title)}: no values stored.</p>")
    edges = [e for band in bands for p in band.points if (e := band.edges(p.target))]
    numbers = [p.value for p in valued if p.value is not None]
    numbers += [p.target for band in bands for p in band.points if p.target is not None]
    numbers += [v for edge in edges for v in edge]
    slots = _slots([p.period_end for p in points])
    scale = _Scale(slots[0][0], slots[-1][1], min(numbers), max(numbers))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">{_title(title)}',
             f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
             f'height="{HEIGHT - TOP - BOTTOM}" fill="#fafafa" stroke="#ddd"/>']
    for index, band in enumerate(bands):
        parts.extend(_band(band, _slots([p.period_end for p in band.points]), scale, index))
    for index, band in enumerate(bands):
        parts.extend(_targets(band, _slots([p.period_end for p in band.points]), scale, index))
    parts.append(_line(((p.period_end, p.value) for p in points), scale, "#1a237e", ""))
    for p in valued:
        assert p.value is not None
        parts.append(f'<circle cx="{scale.x(p.period_end):.1f}" cy="{scale.y(p.value):.1f}" '
                     f'r="2.5" fill="#1a237e">'
                     f'{_title(f"{p.period_end.isoformat()}: {_number(p.value)}")}</circle>')
    for marker in markers:
        parts.extend(_markers(points, marker, scale))
    parts.extend(_axes(scale, (points[0].period_end, points[-1].period_end), numbers))
    parts.append("</svg>")
    return Markup("".join(parts))


def _title(text: str) -> str:
    """A tooltip: the one way text gets into the chart's shapes, escaped."""
    return f"<title>{escape(text)}</title>"


def _slots(days: Sequence[date]) -> list[tuple[date, date]]:
    """Each period's slot on the axis: halfway to its neighbours (as wide again at the ends)."""
    if not days:
        return []
    if len(days) == 1:
        return [(days[0] - timedelta(days=15), days[0] + timedelta(days=15))]
    middles = [a + (b - a) / 2 for a, b in itertools.pairwise(days)]
    first = days[0] - (middles[0] - days[0])
    last = days[-1] + (days[-1] - middles[-1])
    return list(zip([first, *middles], [*middles, last], strict=True))


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


_BAND_COLOURS = ("#ffe0b2", "#b3e5fc")
_TARGET_COLOURS = ("#2e7d32", "#6a1b9a")


def _band(band: Band, slots: Sequence[tuple[date, date]], scale: _Scale,
          index: int) -> list[str]:
    shapes = []
    label = f"{band.label} tolerance band" if band.label else "tolerance band"
    for point, (left, right) in zip(band.points, slots, strict=True):
        edge = band.edges(point.target)
        if edge is None:
            continue
        x1, x2 = scale.x(left), scale.x(right)
        y_low, y_high = scale.y(edge[0]), scale.y(edge[1])
        opacity = "0.7" if index == 0 else "0.45"
        shapes.append(f'<rect x="{x1:.1f}" y="{y_high:.1f}" width="{max(x2 - x1, 1):.1f}" '
                      f'height="{max(y_low - y_high, 0.5):.1f}" '
                      f'fill="{_BAND_COLOURS[index % 2]}" fill-opacity="{opacity}">'
                      f'{_title(f"{label} {_number(edge[0])} to {_number(edge[1])}")}</rect>')
    return shapes


def _targets(band: Band, slots: Sequence[tuple[date, date]], scale: _Scale,
             index: int) -> list[str]:
    """The target as a step across each period's slot (dashed)."""
    shapes = []
    for point, (left, right) in zip(band.points, slots, strict=True):
        if point.target is None:
            continue
        y = scale.y(point.target)
        shapes.append(f'<line x1="{scale.x(left):.1f}" y1="{y:.1f}" x2="{scale.x(right):.1f}" '
                      f'y2="{y:.1f}" stroke="{_TARGET_COLOURS[index % 2]}" stroke-width="1.6" '
                      f'stroke-dasharray="6 3">'
                      f'{_title(f"{band.label} target {_number(point.target)}")}</line>')
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
        tooltip = f"{marker.label}: firing as of {as_of.isoformat()} ({_number(value)})"
        shapes.append(f'<circle cx="{scale.x(period_end):.1f}" cy="{scale.y(value):.1f}" '
                      f'r="{radius}" {fill}>{_title(tooltip)}</circle>')
    return shapes


def _axes(scale: _Scale, span: tuple[date, date], numbers: Sequence[float]) -> list[str]:
    """The lowest and highest figure drawn, and the first and last period's dates."""
    bottom = HEIGHT - BOTTOM
    low, high = min(numbers), max(numbers)
    texts = [(LEFT - 6, scale.y(high) + 4, "end", _number(high)),
             (LEFT - 6, scale.y(low) + 4, "end", _number(low)),
             (scale.x(span[0]), bottom + 16, "start", span[0].isoformat())]
    if span[1] != span[0]:
        texts.append((scale.x(span[1]), bottom + 16, "end", span[1].isoformat()))
    return [f'<text x="{x:.0f}" y="{y:.0f}" font-size="11" text-anchor="{anchor}" '
            f'fill="#444">{escape(text)}</text>' for x, y, anchor, text in texts]
