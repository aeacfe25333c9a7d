"""A backtest as a table for people or JSON for programs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from alerting.authoring.backtest.replay import Backtest, Comparison, Episode


def _span(dates: Sequence[date]) -> str:
    if not dates:
        return "no as-of dates"
    return f"{len(dates)} as-of date(s), {dates[0].isoformat()} to {dates[-1].isoformat()}"


CAVEAT = ("Replayed at every month end (and other stored period end) in the range, as if the "
          "service had run then, with today's values (revisions included); silences are not "
          "applied. 'on/before' marks an alert already firing at the first date.")


def started(episode: Episode) -> str:
    day = episode.started.isoformat()
    return f"on/before {day}" if episode.open_at_start else day


def ended(episode: Episode) -> str:
    return episode.ended.isoformat() if episode.ended else "still firing"


def worst(episode: Episode) -> str:
    text = episode.worst_status.value
    if episode.escalated:
        text += " (worse " + ", ".join(d.isoformat() for d in episode.escalated) + ")"
    return text


def _episode_row(episode: Episode) -> tuple[str, ...]:
    return (episode.rule, _short(episode.subject_title), episode.area or "-",
            started(episode), ended(episode), str(len(episode.firing)), worst(episode))


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


_EPISODE_HEADER = ("RULE", "SUBJECT", "AREA", "STARTED", "ENDED", "RUNS", "WORST")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
            for row in [header, *rows]]


def _rule_summary(episodes: Sequence[Episode]) -> list[str]:
    count = Counter(e.rule for e in episodes)
    still = Counter(e.rule for e in episodes if e.ended is None)
    rows = [(rule, str(n), str(still[rule])) for rule, n in sorted(count.items())]
    return _table(("RULE", "EPISODES", "STILL FIRING"), rows) if rows else ["No episodes."]


def backtest_table(result: Backtest) -> str:
    lines = [f"Backtest over {_span(result.as_of_dates)}.", CAVEAT, ""]
    lines += _failure_lines(result, "")
    lines += _rule_summary(result.episodes)
    if result.episodes:
        lines += ["", f"EPISODES ({len(result.episodes)})"]
        lines += _table(_EPISODE_HEADER, [_episode_row(e) for e in result.episodes])
    lines += ["", "NOTICES PER RECEIVER"]
    lines += _table(("RECEIVER", "NOTICES"),
                    [(name, str(n)) for name, n in result.notices.items()]) \
        if result.notices else ["No notices."]
    return "\n".join(lines)


def comparison_table(comparison: Comparison, before: str, after: str) -> str:
    lines = [f"Compare {before} (before) with {after} (after) over "
             f"{_span(comparison.after.as_of_dates)}.", CAVEAT, ""]
    lines += _failure_lines(comparison.before, " before the change")
    lines += _failure_lines(comparison.after, " after the change")
    if comparison.failed:
        lines += [f"Episodes of {', '.join(sorted(comparison.failed))} are left out of the "
                  "comparison.", ""]
    lines.append(f"Episodes before: {len(comparison.before.episodes)}; after: "
                 f"{len(comparison.after.episodes)}; added {len(comparison.added)}, removed "
                 f"{len(comparison.removed)}, changed {len(comparison.changed)}.")
    for title, episodes in (("EPISODES ADDED", comparison.added),
                            ("EPISODES REMOVED", comparison.removed)):
        lines += ["", f"{title} ({len(episodes)})"]
        lines += _table(_EPISODE_HEADER, [_episode_row(e) for e in episodes]) \
            if episodes else ["None."]
    lines += ["", f"EPISODES CHANGED ({len(comparison.changed)})"]
    if comparison.changed:
        rows = [(new.rule, _short(new.subject_title), new.area or "-",
                 f"{started(old)} to {ended(old)}", f"{started(new)} to {ended(new)}")
                for old, new in comparison.changed]
        lines += _table(("RULE", "SUBJECT", "AREA", "BEFORE", "AFTER"), rows)
    else:
        lines.append("None.")
    lines += ["", "NOTICES PER RECEIVER"]
    counts = [(name, str(b), str(a), f"{a - b:+d}")
              for name, b, a in notice_changes(comparison)]
    lines += _table(("RECEIVER", "BEFORE", "AFTER", "CHANGE"), counts) if counts \
        else ["No notices."]
    return "\n".join(lines)


def notice_changes(comparison: Comparison) -> list[tuple[str, int, int]]:
    return [(name, comparison.before.notices.get(name, 0), comparison.after.notices.get(name, 0))
            for name in comparison.receivers]


def _failure_lines(result: Backtest, side: str) -> list[str]:
    if not result.failures:
        return []
    return [f"RULES THAT FAILED{side.upper()}"] + [
        f"{rule}: {error} (at {n} as-of date(s))" for rule, error, n in result.failure_counts()
    ] + [""]


def episode_json(episode: Episode) -> dict[str, Any]:
    return {
        "alert": episode.identity, "rule": episode.rule, "subject": episode.subject,
        "subject_title": episode.subject_title, "area": episode.area,
        "started": episode.started.isoformat(),
        "open_at_start": episode.open_at_start,
        "ended": episode.ended.isoformat() if episode.ended else None,
        "escalated": [d.isoformat() for d in episode.escalated],
        "worst_status": episode.worst_status.value,
        "worst_severity": episode.worst_severity.value,
        "firing": [d.isoformat() for d in episode.firing],
        "labels": dict(episode.labels),
    }


def _backtest_json(result: Backtest) -> dict[str, Any]:
    return {
        "as_of_dates": [d.isoformat() for d in result.as_of_dates],
        "episodes": [episode_json(e) for e in result.episodes],
        "notices": dict(result.notices),
        "failures": [{"as_of": d.isoformat(), "rule": rule, "error": error}
                     for d, rule, error in result.failures],
    }


def backtest_json(result: Backtest) -> str:
    return json.dumps(_backtest_json(result), indent=2, ensure_ascii=False)


def comparison_json(comparison: Comparison, before: str, after: str) -> str:
    document: Mapping[str, Any] = {
        "before": {"rules": before, **_backtest_json(comparison.before)},
        "after": {"rules": after, **_backtest_json(comparison.after)},
        "added": [episode_json(e) for e in comparison.added],
        "removed": [episode_json(e) for e in comparison.removed],
        "changed": [{"before": episode_json(old), "after": episode_json(new)}
                    for old, new in comparison.changed],
        "notices": {name: {"before": b, "after": a} for name, b, a in notice_changes(comparison)},
        "left_out_failed_rules": sorted(comparison.failed),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
