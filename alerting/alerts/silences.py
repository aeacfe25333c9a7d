"""Silences: a performance lead mutes an alert, or a selection of alerts, until a date.

They live in a YAML file under `config/` (default `config/silences.yaml`) that people may edit
by hand or through `alerting silence add|list|expire`. Silenced alerts are still evaluated and
recorded (shown as silenced); they are only kept out of notices. A broken entry is reported
with its line and skipped; the other silences still apply.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alerting.model.durations import parse_duration, parse_interval
from alerting.model.fields import LabelValues, OneOrMany, globs_match
from alerting.model.problems import Problem, ProblemsFound, problems_from_validation, read_yaml

_MATCHERS = ("alert", "rule", "measure", "area", "team")
_HEADER = """\
# Silences: alerts muted until a date. Silenced alerts are still evaluated and recorded,
# but no notice is sent for them. Manage with `alerting silence add|list|expire`, or edit
# by hand: each silence needs at least one of alert, rule, measure, area, team or labels
# (globs like cin-visits-* and lists are allowed), an `ends` date, a reason and an author.
# `alerting silence` rewrites this file, so keep notes in `reason`, not in comments.
"""


def _when(raw: Any, *, end_of_day: bool) -> Any:
    """A date means the whole day (an `ends` date mutes through that day); a time without
    a zone is UTC. Text ('2026-03-31', '2026-03-31 18:00') is read as YAML would."""
    if isinstance(raw, str):
        text = raw.strip()
        try:
            raw = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            return raw
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return datetime.combine(raw, time.max if end_of_day else time.min, tzinfo=UTC)
    if isinstance(raw, datetime) and raw.tzinfo is None:
        return raw.replace(tzinfo=UTC)
    return raw


class Silence(BaseModel):
    """Mute alerts whose labels match every given matcher, from `starts` until `ends`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", max_length=40)
    alert: OneOrMany = ()
    rule: OneOrMany = ()
    measure: OneOrMany = ()
    area: OneOrMany = ()
    team: OneOrMany = ()
    labels: LabelValues = Field(default_factory=dict)
    starts: datetime | None = None
    ends: datetime
    reason: str = Field(min_length=1)
    author: str = Field(min_length=1)
    created: datetime | None = None

    @field_validator("ends", mode="before")
    @classmethod
    def _ends(cls, raw: Any) -> Any:
        return _when(raw, end_of_day=True)

    @field_validator("starts", "created", mode="before")
    @classmethod
    def _starts(cls, raw: Any) -> Any:
        return _when(raw, end_of_day=False)

    @model_validator(mode="after")
    def _selects_something(self) -> Silence:
        if not (any(getattr(self, name) for name in _MATCHERS) or self.labels):
            raise ValueError("a silence needs at least one of alert, rule, measure, area, "
                             "team or labels (it would otherwise mute everything)")
        return self

    def matchers(self) -> dict[str, tuple[str, ...]]:
        found = {name: getattr(self, name) for name in _MATCHERS if getattr(self, name)}
        for name, patterns in self.labels.items():
            if name not in found:
                found[name] = patterns
        return found

    def is_active(self, now: datetime) -> bool:
        return (self.starts is None or self.starts <= now) and now < self.ends

    def matches(self, labels: Mapping[str, str]) -> bool:
        every = [(name, getattr(self, name)) for name in _MATCHERS if getattr(self, name)]
        every += list(self.labels.items())
        return all(globs_match(labels.get(name), patterns) for name, patterns in every)

    def describe(self) -> str:
        what = ", ".join(f"{k}={'|'.join(v)}" for k, v in self.matchers().items())
        return f"{what} until {self.ends:%Y-%m-%d %H:%M} ({self.reason}; {self.author})"

    def to_yaml(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        for name, patterns in self.matchers().items():
            if name in _MATCHERS:
                data[name] = patterns[0] if len(patterns) == 1 else list(patterns)
        if self.labels:
            data["labels"] = {k: v[0] if len(v) == 1 else list(v)
                              for k, v in self.labels.items()}
        for name in ("starts", "ends", "created"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value.isoformat(timespec="seconds" if not value.microsecond
                                             else "microseconds")
        data["reason"] = self.reason
        data["author"] = self.author
        return data


@dataclass(frozen=True)
class Silences:
    """The silences of one file, and the problems found reading it."""

    file: Path
    silences: tuple[Silence, ...] = ()
    problems: tuple[Problem, ...] = ()

    def silencing(self, labels: Mapping[str, str], now: datetime) -> Silence | None:
        """The first active silence that mutes an alert with these labels, if any."""
        for silence in self.silences:
            if silence.is_active(now) and silence.matches(labels):
                return silence
        return None

    def get(self, silence_id: str) -> Silence | None:
        return next((s for s in self.silences if s.id == silence_id), None)


def load_silences(path: Path) -> Silences:
    """Read the silences file; a missing file means no silences."""
    if not path.exists():
        return Silences(path)
    try:
        document = read_yaml(path)
    except ProblemsFound as exc:
        return Silences(path, (), exc.problems)
    raw = document.data or {}
    if not isinstance(raw, Mapping):
        return Silences(path, (), (Problem(document.file, 1,
                                           "must be a mapping with a 'silences' list"),))
    unknown = [key for key in raw if key != "silences"]
    if unknown:
        return Silences(path, (), tuple(
            Problem(document.file, document.line_of((str(key),)),
                    f"unknown field '{key}' (did you mean 'silences'?)") for key in unknown))
    entries = raw.get("silences")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        return Silences(path, (), (Problem(document.file, document.line_of(("silences",)),
                                           "silences must be a list"),))
    silences: list[Silence] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        base = ("silences", index)
        label = f"silence {entry.get('id')!r}" if isinstance(entry, Mapping) else "silence"
        try:
            silence = Silence.model_validate(entry)
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, document, base, label, Silence))
            continue
        if silence.id in seen:
            problems.append(Problem(document.file, document.line_of((*base, "id")),
                                    f"{label}: the id is used twice"))
            continue
        seen.add(silence.id)
        silences.append(silence)
    return Silences(path, tuple(silences), tuple(problems))


def save_silences(path: Path, silences: Sequence[Silence]) -> None:
    """Write the file atomically (a half-written file would unmute everything)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump({"silences": [s.to_yaml() for s in silences]}, sort_keys=False,
                          allow_unicode=True, width=100)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(_HEADER + body, encoding="utf-8")
    temporary.replace(path)


def silence_ends(text: str, now: datetime) -> datetime:
    """`--until` (and the web form) takes a date (muted through that day) or a duration
    from now (2w, 36h)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day, datetime.max.time(), tzinfo=UTC)
    try:
        return now + parse_interval(text)
    except ValueError:
        pass
    try:
        ends = parse_duration(text).after(now.date())
    except ValueError:
        raise ValueError(f"--until must be a date like 2026-12-31 or a duration like 2w, "
                         f"14d or 36h, got {text!r}") from None
    return datetime.combine(ends, now.timetz())


def new_silence_id() -> str:
    return secrets.token_hex(4)


def add_silence(path: Path, silence: Silence) -> Silence:
    current = load_silences(path)
    if current.problems:
        raise ProblemsFound(current.problems)
    save_silences(path, [*current.silences, silence])
    return silence


def expire_silence(path: Path, silence_id: str, now: datetime) -> Silence:
    """End a silence now (it stays in the file as a record)."""
    current = load_silences(path)
    if current.problems:
        raise ProblemsFound(current.problems)
    found = current.get(silence_id)
    if found is None:
        raise KeyError(silence_id)
    ended = found.model_copy(update={"ends": min(found.ends, now)})
    save_silences(path, [ended if s.id == silence_id else s for s in current.silences])
    return ended
