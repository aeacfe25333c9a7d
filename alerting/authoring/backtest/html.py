"""A backtest as one self-contained HTML file: summary, episodes, notices, a chart per measure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from html import escape

import numpy as np

from alerting.authoring.backtest.chart import Band, Markers, Point, series_chart
from alerting.authoring.backtest.replay import Backtest, Comparison, Episode
from alerting.authoring.backtest.report import CAVEAT, ended, notice_changes, started, worst
from alerting.model.catalogue import Catalogue
from alerting.model.frames import ObservationFrame

MAX_CHARTS = 60

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 14px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }
th { background: #f0f0f0; } td.n { text-align: right; }
.added { color: #b71c1c; } .removed { color: #1b5e20; }
figure { margin: 1em 0 2em; } figcaption { font-weight: 600; margin-bottom: 4px; }
.key span { margin-right: 1.5em; } .muted { color: #666; }
"""

_KEY = ('<p class="key muted"><span>— value</span><span>- - target</span>'
        '<span>shaded: tolerance band</span><span>● red: alert firing at that run</span>'
        '{extra}</p>')


def _page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1>" + "\n".join(body) + "</body></html>\n")


def _table(header: Sequence[str], rows: Sequence[Sequence[str | int]], css: str = "") -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{c}</td>' if isinstance(c, int)
                         else f"<td>{escape(c)}</td>" for c in row) + "</tr>"
        for row in rows)
    return f'<table class="{css}"><tr>{head}</tr>{body}</table>'


def _episode_rows(episodes: Sequence[Episode]) -> list[list[str | int]]:
    return [[e.rule, e.subject_title, e.area or "-", started(e), ended(e), len(e.firing),
             worst(e)] for e in episodes]


_HEADER = ("Rule", "Subject", "Area", "Started", "Ended", "Runs firing", "Worst")


def _failures(result: Backtest, side: str) -> str:
    if not result.failures:
        return ""
    items = "".join(f"<li>{escape(rule)}: {escape(error)} (at {n} as-of dates)</li>"
                    for rule, error, n in result.failure_counts())
    return f"<h2>Rules that failed{escape(side)}</h2><ul>{items}</ul>"


def _span(dates: Sequence[date]) -> str:
    if not dates:
        return "<p>No as-of dates in range.</p>"
    return (f"<p>{len(dates)} as-of dates, {dates[0].isoformat()} to "
            f"{dates[-1].isoformat()}. {escape(CAVEAT)}</p>")


def backtest_html(result: Backtest, frame: ObservationFrame, catalogue: Catalogue,
                  rules_name: str) -> str:
    count = Counter(e.rule for e in result.episodes)
    body = [_span(result.as_of_dates), f"<p>Rules: {escape(rules_name)}</p>",
            _failures(result, ""),
            "<h2>Episodes per rule</h2>",
            _table(("Rule", "Episodes"), [[rule, n] for rule, n in sorted(count.items())]),
            "<h2>Notices per receiver</h2>",
            _table(("Receiver", "Notices"), [[n, c] for n, c in result.notices.items()]),
            f"<h2>Episodes ({len(result.episodes)})</h2>",
            _table(_HEADER, _episode_rows(result.episodes))]
    series = _series(result.episodes)
    body.append("<h2>Measures that alerted</h2>" + _KEY.format(extra=""))
    for (measure_id, area), episodes in list(series.items())[:MAX_CHARTS]:
        fired = tuple(sorted({d for e in episodes for d in e.firing}))
        body.append(measure_figure(frame, catalogue, catalogue, measure_id, area,
                            [Markers("alert", fired, "fired")], result.as_of_dates))
    body.append(_more(len(series)))
    return _page("Backtest report", body)


def comparison_html(comparison: Comparison, frame: ObservationFrame, before: Catalogue,
                    after: Catalogue, before_name: str, after_name: str) -> str:
    notices: list[list[str | int]] = [[name, b, a, f"{a - b:+d}"]
                                       for name, b, a in notice_changes(comparison)]
    changed: list[list[str | int]] = [[new.rule, new.subject_title, new.area or "-",
                f"{started(old)} to {ended(old)}", f"{started(new)} to {ended(new)}"]
               for old, new in comparison.changed]
    body = [_span(comparison.after.as_of_dates),
            f"<p>Before: {escape(before_name)}. After: {escape(after_name)}.</p>",
            _failures(comparison.before, " before the change"),
            _failures(comparison.after, " after the change"),
            "<h2>Notices per receiver</h2>",
            _table(("Receiver", "Before", "After", "Change"), notices),
            f"<h2>Episodes added ({len(comparison.added)})</h2>",
            _table(_HEADER, _episode_rows(comparison.added), "added"),
            f"<h2>Episodes removed ({len(comparison.removed)})</h2>",
            _table(_HEADER, _episode_rows(comparison.removed), "removed"),
            f"<h2>Episodes changed ({len(comparison.changed)})</h2>",
            _table(("Rule", "Subject", "Area", "Before", "After"), changed)]
    touched = [*comparison.added, *comparison.removed,
               *(e for pair in comparison.changed for e in pair)]
    series = _series(touched)
    body.append("<h2>Measures the change affects</h2>" + _KEY.format(
        extra="<span>○ firing before the change</span><span>orange band and green "
              "target: before; blue band and purple target: after</span>"))
    for measure_id, area in list(series)[:MAX_CHARTS]:
        markers = [
            Markers("before", _firing(comparison.before.episodes, measure_id, area), "before"),
            Markers("after", _firing(comparison.after.episodes, measure_id, area), "fired")]
        body.append(measure_figure(frame, before, after, measure_id, area, markers,
                            comparison.after.as_of_dates))
    body.append(_more(len(series)))
    return _page("Backtest comparison", body)


def _more(total: int) -> str:
    if total > MAX_CHARTS:
        return f"<p class=\"muted\">…and {total - MAX_CHARTS} more measures not drawn.</p>"
    return ""


def _series(episodes: Sequence[Episode]) -> dict[tuple[str, str], list[Episode]]:
    """Episodes of measure rules, by (measure, area), in first-seen order."""
    found: dict[tuple[str, str], list[Episode]] = {}
    for episode in episodes:
        if episode.measure and episode.area:
            found.setdefault((episode.measure, episode.area), []).append(episode)
    return found


def _firing(episodes: Sequence[Episode], measure_id: str, area: str) -> tuple[date, ...]:
    return tuple(sorted({d for e in episodes if e.measure == measure_id and e.area == area
                         for d in e.firing}))


def measure_figure(frame: ObservationFrame, before: Catalogue, after: Catalogue, measure_id: str,
            area: str, markers: list[Markers], dates: Sequence[date]) -> str:
    """A chart of one series; with two catalogues, each one's targets and band."""
    until = dates[-1] if dates else None
    points = series_points(frame, after, measure_id, area, until)
    if before is after:
        bands = [Band("", after.get(measure_id), points)]
    else:
        bands = [Band("before", before.get(measure_id),
                      series_points(frame, before, measure_id, area, until)),
                 Band("after", after.get(measure_id), points)]
    title = f"{after.get(measure_id).display_title} — {area}"
    chart = series_chart(title, points, bands, markers)
    return f"<figure><figcaption>{escape(title)}</figcaption>{chart}</figure>"


def series_points(frame: ObservationFrame, catalogue: Catalogue, measure_id: str, area: str,
                  until: date | None) -> list[Point]:
    """One series' values and targets (the catalogue's where the data has none)."""
    if measure_id not in frame.measure_ids or area not in frame.areas:
        return []
    rows = np.flatnonzero((frame.measure == frame.measure_ids.index(measure_id))
                          & (frame.area == frame.areas.index(area)))
    if until is not None:
        rows = rows[frame.period_end[rows] <= until.toordinal()]
    measure = catalogue.get(measure_id)
    points = []
    for row in rows:
        end = date.fromordinal(int(frame.period_end[row]))
        value, target = float(frame.value[row]), float(frame.target[row])
        fallback = measure.target_for(end)
        points.append(Point(end, None if np.isnan(value) else value,
                            fallback if np.isnan(target) else target))
    return points
