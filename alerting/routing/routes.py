"""Routing: who receives which alerts (`config/recipients.yaml`), like Alertmanager's tree.

Receivers are people, team mailboxes or Teams channels; each lists its channels (one key per
notifier in `notifiers/`) and the teams whose child-level detail it may see. The route tree
matches alert labels (service_area, team, area, severity, rule, ...); the first matching
child route takes an alert unless it says `continue: true`. Children inherit their parent's
receiver, grouping, repeat interval and resolved setting.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alerting.alerts.inhibition import InhibitRule
from alerting.config.settings import interpolate
from alerting.model.durations import IntervalField
from alerting.model.fields import LabelValues, OneOrMany, globs_match
from alerting.model.findings import Severity
from alerting.model.problems import (
    Problem,
    ProblemsFound,
    YamlDocument,
    problems_from_validation,
    read_yaml,
)
from alerting.routing.quiet_hours import Quiet, TimeInterval, route_quiet
from notifiers import NOTIFIERS

_RECEIVER_FIELDS = {"name", "title", "child_level_for"}


class Grouping(StrEnum):
    DIGEST = "digest"  # one notice per receiver per run, most severe first
    EACH = "each"  # one notice per alert, sent at once


class Receiver(BaseModel):
    """A person, mailbox or channel. `channels` maps a notifier name to its target options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=120)
    title: str = ""
    child_level_for: OneOrMany = ()
    channels: Mapping[str, Mapping[str, Any]] = Field(default_factory=dict)

    @property
    def display_title(self) -> str:
        return self.title or self.name

    def may_see_children_of(self, team: str | None) -> bool:
        """Child-level detail only for the teams this receiver is explicitly entitled to."""
        return globs_match(team, self.child_level_for)


class Route(BaseModel):
    """A node of the route tree. Unset options are inherited from the parent route."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    receiver: str | None = None
    match: LabelValues = Field(default_factory=dict)
    min_severity: Severity | None = None
    continue_: bool = Field(default=False, alias="continue")
    group: Grouping | None = None
    repeat_interval: IntervalField | None = None
    send_resolved: bool | None = None
    templates: Mapping[str, str] = Field(default_factory=dict)
    # Quiet hours (names from `time_intervals:`): send only inside the active ones, never
    # inside the muted ones. Unset: inherited from the parent route.
    active_time_intervals: OneOrMany | None = None
    mute_time_intervals: OneOrMany | None = None
    routes: tuple[Route, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.min_severity is not None:
            severity = (labels.get("severity") or "").casefold()
            if severity not in {s.value for s in Severity} or \
                    Severity(severity).rank < self.min_severity.rank:
                return False
        return all(globs_match(labels.get(key), patterns)
                   for key, patterns in self.match.items())


@dataclass(frozen=True)
class RouteSettings:
    """What a matched route decides for one receiver, after inheritance."""

    receiver: str
    group: Grouping = Grouping.DIGEST
    repeat_interval: timedelta = timedelta(days=7)
    send_resolved: bool = True
    templates: Mapping[str, str] | None = None
    path: str = "route"
    active_time_intervals: tuple[str, ...] = ()
    mute_time_intervals: tuple[str, ...] = ()


def _inherit(parent: RouteSettings, route: Route, path: str) -> RouteSettings:
    return RouteSettings(
        receiver=route.receiver or parent.receiver,
        group=route.group or parent.group,
        repeat_interval=parent.repeat_interval if route.repeat_interval is None
        else route.repeat_interval,
        send_resolved=parent.send_resolved if route.send_resolved is None
        else route.send_resolved,
        templates={**(parent.templates or {}), **route.templates},
        path=path,
        active_time_intervals=parent.active_time_intervals
        if route.active_time_intervals is None else route.active_time_intervals,
        mute_time_intervals=parent.mute_time_intervals
        if route.mute_time_intervals is None else route.mute_time_intervals,
    )


@dataclass(frozen=True)
class Routing:
    """Receivers and the route tree of one recipients file."""

    receivers: Mapping[str, Receiver]
    route: Route
    file: str = ""
    inhibit: tuple[InhibitRule, ...] = ()
    time_intervals: Mapping[str, TimeInterval] = field(default_factory=dict)

    def quiet(self, settings: RouteSettings) -> Quiet:
        """The quiet hours of a matched route."""
        return route_quiet(self.time_intervals, settings.active_time_intervals,
                           settings.mute_time_intervals)

    def routes_for(self, labels: Mapping[str, str]) -> list[RouteSettings]:
        """Every route an alert with these labels reaches; one per receiver, first wins."""
        root = _inherit(RouteSettings(receiver=self.route.receiver or ""), self.route, "route")
        found: list[RouteSettings] = []
        seen: set[str] = set()
        for settings in self._walk(self.route, root, labels):
            if settings.receiver and settings.receiver not in seen:
                seen.add(settings.receiver)
                found.append(settings)
        return found

    def _walk(self, route: Route, settings: RouteSettings,
              labels: Mapping[str, str]) -> Iterator[RouteSettings]:
        matched_child = False
        for index, child in enumerate(route.routes):
            if not child.matches(labels):
                continue
            child_settings = _inherit(settings, child, f"{settings.path}.routes[{index}]")
            yield from self._walk(child, child_settings, labels)
            matched_child = True
            if not child.continue_:
                break
        if not matched_child:
            yield settings

    def receiver(self, name: str) -> Receiver:
        return self.receivers[name]


def _receiver_from_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Split a receiver entry into its own fields and its channels (one key per notifier)."""
    own = {k: v for k, v in entry.items() if k in _RECEIVER_FIELDS}
    own["channels"] = {k: v for k, v in entry.items() if k not in _RECEIVER_FIELDS}
    return own


def _check_receiver(document: YamlDocument, index: int,
                    entry: Mapping[str, Any]) -> tuple[Receiver | None, list[Problem]]:
    base: tuple[str | int, ...] = ("receivers", index)
    label = f"receiver {entry.get('name')!r}"
    problems: list[Problem] = []
    for key, value in entry.items():
        if key not in _RECEIVER_FIELDS and not isinstance(value, Mapping):
            problems.append(Problem(document.file, document.line_of((*base, key)),
                                    f"{label}: {key} must be a mapping of its settings "
                                    f"(e.g. to: [...] or url: ...)"))
    if problems:
        return None, problems
    try:
        receiver = Receiver.model_validate(_receiver_from_entry(entry))
    except ValidationError as exc:
        return None, problems_from_validation(exc, document, base, label, Receiver)
    if not receiver.channels:
        problems.append(Problem(document.file, document.line_of(base),
                                f"{label}: give at least one channel "
                                f"({', '.join(sorted(NOTIFIERS))})"))
    for channel, target in receiver.channels.items():
        notifier = NOTIFIERS.get(channel)
        where = (*base, channel)
        if notifier is None:
            problems.append(Problem(document.file, document.line_of(where),
                                    f"{label}: unknown field or channel '{channel}' (channels: "
                                    f"{', '.join(sorted(NOTIFIERS))})"))
            continue
        try:
            notifier.Target.model_validate(target)
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, document, where,
                                                     f"{label} {channel}", notifier.Target))
    return (None if problems else receiver), problems


def _raw_receivers(route: Any) -> Iterator[str]:
    """Receiver names in the route tree as written (also when the tree has other errors)."""
    if not isinstance(route, Mapping):
        return
    if isinstance(route.get("receiver"), str):
        yield route["receiver"]
    children = route.get("routes")
    for child in children if isinstance(children, list) else []:
        yield from _raw_receivers(child)


def load_routing(path: Path) -> Routing:
    """Read and check a recipients file; every problem is raised at once with its line."""
    return routing_from_document(read_yaml(path))


def routing_from_document(document: YamlDocument) -> Routing:
    """Check a parsed recipients file; every problem is raised at once with its line."""
    raw = _interpolated(document)
    if not isinstance(raw, Mapping):
        raise ProblemsFound([Problem(document.file, 1, "must be a mapping with receivers "
                                                       "and route")])
    problems: list[Problem] = []
    receivers = _receivers(document, raw.get("receivers") or [], problems)
    unknown = sorted(set(raw) - {"receivers", "route", "inhibit", "time_intervals"})
    for key in unknown:
        problems.append(Problem(document.file, document.line_of((key,)),
                                f"unknown field '{key}' (expected receivers, route, inhibit "
                                "and time_intervals)"))
    inhibit = _inhibit_rules(document, raw.get("inhibit"), problems)
    intervals = _time_intervals(document, raw.get("time_intervals"), problems)
    route: Route | None = None
    try:
        route = Route.model_validate(raw.get("route") or {})
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, document, ("route",), "route", Route))
    if route is not None and not route.receiver:
        problems.append(Problem(document.file, document.line_of(("route",)),
                                "route: receiver is required at the top of the tree "
                                "(it takes every alert no other route takes)"))
    named = {r.name for r in receivers.values()}
    for name in sorted(set(_raw_receivers(raw.get("route"))) - named):
        if not any(p.message.startswith(f"receiver {name!r}") for p in problems):
            problems.append(Problem(document.file, _line_of_receiver(document, name),
                                    f"route: receiver '{name}' is not defined under receivers"))
    if route is not None:
        problems.extend(_unknown_intervals(document, route, ("route",), intervals))
    if problems or route is None:
        raise ProblemsFound(problems)
    return Routing(receivers, route, document.file, inhibit, intervals)


def _receivers(document: YamlDocument, entries: Any,
               problems: list[Problem]) -> dict[str, Receiver]:
    receivers: dict[str, Receiver] = {}
    if not isinstance(entries, list):
        problems.append(Problem(document.file, document.line_of(("receivers",)),
                                "receivers must be a list"))
        return receivers
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            problems.append(Problem(document.file, document.line_of(("receivers", index)),
                                    "each receiver must be a mapping with a name"))
            continue
        receiver, found = _check_receiver(document, index, entry)
        problems.extend(found)
        if receiver is not None:
            if receiver.name in receivers:
                problems.append(Problem(document.file, document.line_of(("receivers", index)),
                                        f"receiver '{receiver.name}' is defined twice"))
            receivers[receiver.name] = receiver
    return receivers


def _time_intervals(document: YamlDocument, raw: Any,
                    problems: list[Problem]) -> dict[str, TimeInterval]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        problems.append(Problem(document.file, document.line_of(("time_intervals",)),
                                "time_intervals must be a list of {name, days, times}"))
        return {}
    found: dict[str, TimeInterval] = {}
    for index, entry in enumerate(raw):
        where = ("time_intervals", index)
        try:
            interval = TimeInterval.model_validate(entry)
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, document, where,
                                                     f"time_intervals[{index}]", TimeInterval))
            continue
        if interval.name in found:
            problems.append(Problem(document.file, document.line_of(where),
                                    f"time interval '{interval.name}' is defined twice"))
        found[interval.name] = interval
    return found


def _unknown_intervals(document: YamlDocument, route: Route, path: tuple[str | int, ...],
                       intervals: Mapping[str, TimeInterval]) -> list[Problem]:
    """Routes naming a time interval that `time_intervals:` does not define."""
    found = []
    for key in ("active_time_intervals", "mute_time_intervals"):
        for name in getattr(route, key) or ():
            if name not in intervals:
                known = ", ".join(sorted(intervals)) or "none are defined"
                found.append(Problem(document.file, document.line_of((*path, key)),
                                     f"{'.'.join(str(p) for p in path)}.{key}: time interval "
                                     f"'{name}' is not defined under time_intervals ({known})"))
    for index, child in enumerate(route.routes):
        found.extend(_unknown_intervals(document, child, (*path, "routes", index), intervals))
    return found


def _inhibit_rules(document: YamlDocument, raw: Any,
                   problems: list[Problem]) -> tuple[InhibitRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(Problem(document.file, document.line_of(("inhibit",)),
                                "inhibit must be a list of {source, target, equal}"))
        return ()
    rules = []
    for index, entry in enumerate(raw):
        try:
            rules.append(InhibitRule.model_validate(entry))
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, document, ("inhibit", index),
                                                     f"inhibit[{index}]", InhibitRule))
    return tuple(rules)


def _interpolated(document: YamlDocument) -> Any:
    """The file with ${VAR} replaced: webhook URLs are secrets, kept in the environment."""
    missing: list[tuple[str, tuple[str | int, ...]]] = []
    raw = interpolate(document.data, missing)
    if missing:
        raise ProblemsFound([Problem(document.file, document.line_of(where),
                                     f"environment variable {name} is not set")
                             for name, where in missing])
    return raw


def _line_of_receiver(document: YamlDocument, name: str) -> int | None:
    for path, line in document.lines.items():
        if path and path[-1] == "receiver" and _value_at(document.data, path) == name:
            return line
    return document.line_of(("route",))


def _value_at(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
