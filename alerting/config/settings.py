"""Service settings (`config/service.yaml`): database, rules, recipients, notifiers, delivery,
the working-day calendar.

`${ENV_VAR}` anywhere in a value is replaced from the environment, so secrets stay out of
the file. `CSC_ALERTING_DATABASE_URL` overrides the database for one run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alerting.config.calendar import CalendarSettings
from alerting.config.schedules import cron_trigger, time_zone
from alerting.loading.contract import TableKind
from alerting.model.durations import IntervalField
from alerting.model.problems import (
    Problem,
    ProblemsFound,
    YamlDocument,
    problems_from_validation,
    read_yaml,
)
from alerting.rules import RagScheme
from notifiers import NOTIFIERS, ChannelOptions

DEFAULT_CONFIG = Path("config/service.yaml")
DEFAULT_DATABASE_URL = "sqlite:///var/csc-alerting.sqlite3"
# ${VAR}, ${VAR:-default} (default when unset or empty) and ${VAR-default} (default only
# when unset, so VAR= can switch a setting off), as in the shell.
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}")


class DeliverySettings(BaseModel):
    """How the outbox retries: exponential backoff from `first_retry`, at most `max_retry`
    apart, for at most `max_attempts` or `give_up_after`; then the notice is dead."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_retry: IntervalField = timedelta(seconds=30)
    max_retry: IntervalField = timedelta(hours=1)
    max_attempts: int = Field(default=12, ge=1)
    give_up_after: IntervalField = timedelta(days=2)
    # How long one `alerting notify` waits for retries that fall due before it ends.
    wait_for_retries: IntervalField = timedelta(minutes=2)
    lease: IntervalField = timedelta(minutes=15)


class SqlSource(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(min_length=1)
    query: str = Field(min_length=1)


class SourceSettings(BaseModel):
    """A data source a job loads: a CSV/XLSX file or folder, or a SQL query. `layout` names
    the YAML layout file of a wide scorecard workbook (measures as rows, periods as columns).

    `refresh` is how often it is expected to change; a source unchanged for longer is
    reported to the admin as stale.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    path: str | None = None
    sql: SqlSource | None = None
    kind: TableKind | None = None
    layout: str | None = None  # YAML layout of a wide scorecard workbook at `path`
    refresh: IntervalField | None = None

    @model_validator(mode="after")
    def _one_place(self) -> SourceSettings:
        if (self.path is None) == (self.sql is None):
            raise ValueError("give exactly one of path (a file or folder) or sql (url, query)")
        if self.layout is not None and self.path is None:
            raise ValueError("layout reads a workbook at path; a sql source has none")
        return self


class ScheduleSettings(BaseModel):
    """A job the worker runs: load these sources, then evaluate these rules (ids or globs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    cron: str
    sources: tuple[str, ...] = ()
    rules: tuple[str, ...] = ("*",)
    # The evaluation date: "today" (in the service's time zone) or a fixed date for demos.
    as_of: str = "today"

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        cron_trigger(value, time_zone("UTC"))
        return value

    @field_validator("as_of")
    @classmethod
    def _as_of(cls, value: Any) -> str:
        text = str(value)
        if text != "today":
            try:
                date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"must be 'today' or a date like 2021-09-30, got {text!r}") \
                    from None
        return text


class WorkerSettings(BaseModel):
    """How `alerting worker` behaves between and around its jobs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # A run that starts late (server asleep, worker restarting) still runs within this time.
    misfire_grace_time: IntervalField = timedelta(hours=1)
    # Delivery of due retries and the self-checks run this often between jobs.
    dispatch_every: IntervalField = timedelta(minutes=1)
    check_every: IntervalField = timedelta(minutes=5)
    # How long a job waits for another worker's job to finish before giving up.
    lock_wait: IntervalField = timedelta(minutes=10)
    # `alerting status` is unhealthy when the worker's heartbeat is older than this.
    heartbeat_max_age: IntervalField = timedelta(minutes=5)

    @model_validator(mode="after")
    def _sensible(self) -> WorkerSettings:
        if self.misfire_grace_time < timedelta(seconds=1):
            raise ValueError("misfire_grace_time must be at least 1s")
        for name in ("dispatch_every", "check_every"):
            if getattr(self, name) < timedelta(seconds=1):
                raise ValueError(f"{name} must be at least 1s")
        if self.dispatch_every >= self.heartbeat_max_age:
            raise ValueError("heartbeat_max_age must be longer than dispatch_every (the "
                             "heartbeat is written every dispatch_every)")
        return self


class OperationsSettings(BaseModel):
    """Self-monitoring: who is told when the service cannot do its job."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    admin: str | None = None  # receiver for operations notices
    rule_authors: str | None = None  # also told when a rule file is broken
    repeat_interval: IntervalField = timedelta(days=1)
    backlog_warn: int = Field(default=200, ge=1)  # notices waiting
    backlog_age: IntervalField = timedelta(hours=1)  # oldest waiting notice


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str = DEFAULT_DATABASE_URL
    rules: tuple[str, ...] = ("rules",)
    rag_scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE
    authority: str | None = None
    recipients: str = "config/recipients.yaml"
    silences: str = "config/silences.yaml"
    templates: str = "config/templates"
    # Users, roles and API tokens of the web page and API (`alerting web`).
    web: str = "config/web.yaml"
    link: str = ""
    # Write every notice to this folder instead of sending it (the embedded default).
    redirect_to_folder: str | None = None
    notifiers: dict[str, ChannelOptions] = Field(default_factory=dict)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    timezone: str = "Europe/London"
    # Working days for `10wd` in rules: bank holidays and the council's closure days.
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    sources: tuple[SourceSettings, ...] = ()
    schedules: tuple[ScheduleSettings, ...] = ()
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    operations: OperationsSettings = Field(default_factory=OperationsSettings)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        time_zone(value)
        return value

    @model_validator(mode="after")
    def _names(self) -> Settings:
        sources = [s.name for s in self.sources]
        repeated = sorted({n for n in sources if sources.count(n) > 1})
        if repeated:
            raise ValueError(f"source name(s) used twice: {', '.join(repeated)}")
        jobs = [j.name for j in self.schedules]
        repeated = sorted({n for n in jobs if jobs.count(n) > 1})
        if repeated:
            raise ValueError(f"schedule name(s) used twice: {', '.join(repeated)}")
        for job in self.schedules:
            unknown = [n for n in job.sources if n not in sources]
            if unknown:
                raise ValueError(f"schedule '{job.name}' names unknown source(s) "
                                 f"{', '.join(unknown)} (sources: {', '.join(sources) or 'none'})")
        return self

    def zone(self) -> ZoneInfo:
        return time_zone(self.timezone)

    def source(self, name: str) -> SourceSettings:
        return next(s for s in self.sources if s.name == name)

    def schedule(self, name: str) -> ScheduleSettings:
        return next(j for j in self.schedules if j.name == name)

    @field_validator("notifiers", mode="before")
    @classmethod
    def _channel_options(cls, raw: Any) -> Any:
        """Each channel's options are checked by that notifier's own options model."""
        if not isinstance(raw, Mapping):
            return raw
        checked: dict[str, Any] = {}
        for channel, options in raw.items():
            notifier = NOTIFIERS.get(str(channel))
            if notifier is None:
                raise ValueError(f"unknown channel '{channel}' (channels: "
                                 f"{', '.join(sorted(NOTIFIERS))})")
            checked[str(channel)] = notifier.Options.model_validate(options or {})
        return checked

    def rule_paths(self) -> list[Path]:
        return [Path(p) for p in self.rules]

    def channel_options(self, channel: str) -> ChannelOptions:
        return self.notifiers.get(channel) or NOTIFIERS[channel].Options()


def interpolate(value: Any, missing: list[tuple[str, tuple[str | int, ...]]],
                where: tuple[str | int, ...] = ()) -> Any:
    """Replace ${VAR}, ${VAR:-default} or ${VAR-default} in every string of a YAML value.

    Each variable that is unset and has no default is added to `missing` with the place it
    was used, so the error can name the line.
    """
    if isinstance(value, str):
        def replace(match: re.Match[str]) -> str:
            name, form, default = match.group(1), match.group(2), match.group(3)
            value = os.environ.get(name)
            if value is not None and (value or form != ":-"):
                return value
            if default is not None:
                return default
            missing.append((name, where))
            return ""
        return _ENV_RE.sub(replace, value)
    if isinstance(value, Mapping):
        return {k: interpolate(v, missing, (*where, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, missing, (*where, i)) for i, v in enumerate(value)]
    return value


def load_settings(path: Path | None = None) -> Settings:
    """Settings from `path` (or config/service.yaml when present), else the defaults."""
    chosen = path if path is not None else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    settings = Settings()
    if chosen is not None:
        document = read_yaml(chosen)
        raw = document.data or {}
        if not isinstance(raw, Mapping):
            raise ProblemsFound([Problem(document.file, 1, "must be a mapping of settings")])
        missing: list[tuple[str, tuple[str | int, ...]]] = []
        data = interpolate(raw, missing)
        if missing:
            raise ProblemsFound([Problem(document.file, document.line_of(where),
                                         f"{_field(where)}: environment variable {name} is not "
                                         f"set (set it, or write ${{{name}:-default}})")
                                 for name, where in missing])
        named = _name_problems(data, document)
        if named:
            raise ProblemsFound(named)
        try:
            settings = Settings.model_validate(data)
        except ValidationError as exc:
            raise ProblemsFound(problems_from_validation(exc, document, (), "setting",
                                                         Settings)) from None
    override = os.environ.get("CSC_ALERTING_DATABASE_URL")
    if override:
        settings = settings.model_copy(update={"database_url": override})
    return settings


def _field(where: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p)
                   for i, p in enumerate(where)) or "(file)"


def _name_problems(data: Mapping[str, Any], document: YamlDocument) -> list[Problem]:
    """Source and schedule names used twice, and schedules naming unknown sources, at the
    line where it happens (the models check the same, without lines, for code callers)."""
    problems: list[Problem] = []
    names: dict[str, list[str]] = {}
    for section, word in (("sources", "source"), ("schedules", "schedule")):
        entries = data.get(section)
        seen: list[str] = []
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            name = entry.get("name") if isinstance(entry, Mapping) else None
            if not isinstance(name, str):
                continue
            if name in seen:
                problems.append(Problem(document.file, document.line_of((section, index, "name")),
                                        f"{section}[{index}].name: {word} name(s) used twice: "
                                        f"{name}"))
            seen.append(name)
        names[section] = seen
    schedules = data.get("schedules")
    for index, entry in enumerate(schedules if isinstance(schedules, list) else []):
        wanted = entry.get("sources") if isinstance(entry, Mapping) else None
        if not isinstance(wanted, list):
            continue
        unknown = [str(n) for n in wanted if str(n) not in names["sources"]]
        if unknown:
            problems.append(Problem(
                document.file, document.line_of(("schedules", index, "sources")),
                f"schedules[{index}].sources: schedule '{entry.get('name')}' names unknown "
                f"source(s) {', '.join(unknown)} (sources: "
                f"{', '.join(names['sources']) or 'none'})"))
    return problems
