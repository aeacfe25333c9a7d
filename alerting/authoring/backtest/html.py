"""A backtest as one self-contained HTML file: summary, episodes, notices, a chart per measure.

The page is the template `templates/backtest.html.j2`, autoescaped: this module gathers what
it shows (tables of text and numbers, and the charts, which chart.py escapes as it builds
them), never HTML.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup

from alerting.authoring.backtest.chart import Band, Markers, Point, series_chart
from alerting.authoring.backtest.replay import Backtest, Comparison, Episode
from alerting.authoring.backtest.report import CAVEAT, ended, notice_changes, started, worst
from alerting.config.ruleset import RuleSet
from alerting.model.catalogue import Catalogue
from alerting.model.frames import ObservationFrame
from alerting.rules import RagScheme

MAX_CHARTS = 60


@dataclass(frozen=True)
class Schemes:
    """The RAG scheme each rule rates by (its own `scheme:` or the council's `rag_scheme`), so
    a chart shades the band the rule that alerted on its series used."""

    council: RagScheme = RagScheme.TARGET_WITH_TOLERANCE
    by_rule: Mapping[str, RagScheme] = field(default_factory=dict)

    @classmethod
    def of(cls, ruleset: RuleSet, council: RagScheme) -> Schemes:
        return cls(council, {rule.id: scheme for rule in ruleset.rules
                             if (scheme := rule.scheme_in_force(council)) is not None})

    def of_series(self, episodes: Sequence[Episode]) -> RagScheme:
        """The scheme of the first rule (in episode order) that alerted on a series."""
        return next((self.by_rule[e.rule] for e in episodes if e.rule in self.by_rule),
                    self.council)


@dataclass(frozen=True)
class _Table:
    heading: str
    header: Sequence[str]
    rows: Sequence[Sequence[str | int]]
    css: str = ""


@dataclass(frozen=True)
class _Failures:
    when: str  # "", " before the change", " after the change"
    counts: Sequence[tuple[str, str, int]]


@dataclass(frozen=True)
class _Figure:
    caption: str
    chart: Markup


@cache
def _templates() -> jinja2.Environment:
    # Our own templates (not users'), so no sandbox; autoescape on for everything.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("alerting.authoring.backtest", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)


def _page(title: str, dates: Sequence[date], rules: str, **parts: Any) -> str:
    page = _templates().get_template("backtest.html.j2")
    return page.render(title=title, dates=dates, caveat=CAVEAT, rules=rules, **parts) + "\n"


_HEADER = ("Rule", "Subject", "Area", "Started", "Ended", "Runs firing", "Worst")


def _episodes(heading: str, episodes: Sequence[Episode], css: str = "") -> _Table:
    rows: list[list[str | int]] = [
        [e.rule, e.subject_title, e.area or "-", started(e), ended(e), len(e.firing), worst(e)]
        for e in episodes]
    return _Table(f"{heading} ({len(episodes)})", _HEADER, rows, css)


def _not_drawn(series: Sequence[object]) -> int:
    return max(len(series) - MAX_CHARTS, 0)


def backtest_html(result: Backtest, frame: ObservationFrame, catalogue: Catalogue,
                  rules_name: str, schemes: Schemes | None = None) -> str:
    schemes = schemes or Schemes()
    count = Counter(e.rule for e in result.episodes)
    tables = [
        _Table("Episodes per rule", ("Rule", "Episodes"),
               [[rule, n] for rule, n in sorted(count.items())]),
        _Table("Notices per receiver", ("Receiver", "Notices"),
               [[n, c] for n, c in result.notices.items()]),
        _episodes("Episodes", result.episodes)]
    series = list(_series(result.episodes).items())
    figures = []
    for (measure_id, area), episodes in series[:MAX_CHARTS]:
        fired = tuple(sorted({d for e in episodes for d in e.firing}))
        figures.append(_figure(frame, catalogue, catalogue, measure_id, area,
                               [Markers("alert", fired, "fired")], result.as_of_dates,
                               schemes.of_series(episodes)))
    return _page("Backtest report", result.as_of_dates, f"Rules: {rules_name}",
                 failures=[_Failures("", result.failure_counts())], tables=tables,
                 charts_heading="Measures that alerted", comparison=False, figures=figures,
                 not_drawn=_not_drawn(series))


def comparison_html(comparison: Comparison, frame: ObservationFrame, before: Catalogue,
                    after: Catalogue, before_name: str, after_name: str,
                    before_schemes: Schemes | None = None,
                    after_schemes: Schemes | None = None) -> str:
    before_schemes, after_schemes = before_schemes or Schemes(), after_schemes or Schemes()
    notices: list[list[str | int]] = [[name, b, a, f"{a - b:+d}"]
                                       for name, b, a in notice_changes(comparison)]
    changed: list[list[str | int]] = [[new.rule, new.subject_title, new.area or "-",
                f"{started(old)} to {ended(old)}", f"{started(new)} to {ended(new)}"]
               for old, new in comparison.changed]
    tables = [
        _Table("Notices per receiver", ("Receiver", "Before", "After", "Change"), notices),
        _episodes("Episodes added", comparison.added, "added"),
        _episodes("Episodes removed", comparison.removed, "removed"),
        _Table(f"Episodes changed ({len(comparison.changed)})",
               ("Rule", "Subject", "Area", "Before", "After"), changed)]
    touched = [*comparison.added, *comparison.removed,
               *(e for pair in comparison.changed for e in pair)]
    series = list(_series(touched).items())
    figures = []
    for (measure_id, area), episodes in series[:MAX_CHARTS]:
        markers = [
            Markers("before", _firing(comparison.before.episodes, measure_id, area), "before"),
            Markers("after", _firing(comparison.after.episodes, measure_id, area), "fired")]
        figures.append(_figure(frame, before, after, measure_id, area, markers,
                               comparison.after.as_of_dates, after_schemes.of_series(episodes),
                               before_schemes.of_series(episodes)))
    return _page("Backtest comparison", comparison.after.as_of_dates,
                 f"Before: {before_name}. After: {after_name}.",
                 failures=[_Failures(" before the change", comparison.before.failure_counts()),
                           _Failures(" after the change", comparison.after.failure_counts())],
                 tables=tables, charts_heading="Measures the change affects", comparison=True,
                 figures=figures, not_drawn=_not_drawn(series))


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


def _figure(frame: ObservationFrame, before: Catalogue, after: Catalogue, measure_id: str,
            area: str, markers: list[Markers], dates: Sequence[date], scheme: RagScheme,
            before_scheme: RagScheme | None = None) -> _Figure:
    """A chart of one series; with two catalogues, each one's targets and band. The band is
    the one the rule rates by under `scheme` (`before_scheme` for the catalogue before)."""
    until = dates[-1] if dates else None
    points = series_points(frame, after, measure_id, area, until)
    if before is after:
        bands = [Band("", after.get(measure_id), points, scheme)]
    else:
        bands = [Band("before", before.get(measure_id),
                      series_points(frame, before, measure_id, area, until),
                      before_scheme or scheme),
                 Band("after", after.get(measure_id), points, scheme)]
    title = f"{after.get(measure_id).display_title} — {area}"
    return _Figure(title, series_chart(title, points, bands, markers))


def measure_figure(frame: ObservationFrame, before: Catalogue, after: Catalogue, measure_id: str,
                   area: str, markers: list[Markers], dates: Sequence[date],
                   scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE,
                   before_scheme: RagScheme | None = None) -> Markup:
    """One series' figure (caption and chart) as the page shows it."""
    figure = _figure(frame, before, after, measure_id, area, markers, dates, scheme,
                     before_scheme)
    parts: Any = _templates().get_template("parts.html.j2").module  # its macros
    return Markup(parts.figure(figure))


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
