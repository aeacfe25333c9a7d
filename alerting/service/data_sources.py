"""Configured data sources: load one, and tell when it last changed.

A file or folder source is as fresh as its newest data file (the extract job that writes
it is what the council schedules). A SQL source is as fresh as the last load that
changed anything in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from alerting.config.settings import SourceSettings
from alerting.loading import DATA_SUFFIXES, LoadReport, SourceError, load_path, load_sql
from alerting.service.logs import redact_text
from alerting.store import Store
from alerting.store.service import SourceStatus

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SourceLoad:
    """What loading one configured source did."""

    source: str
    reports: tuple[LoadReport, ...] = ()
    error: str | None = None

    @property
    def rows_loaded(self) -> int:
        return sum(r.loaded for r in self.reports)

    @property
    def rows_rejected(self) -> int:
        return sum(len(r.rejected) for r in self.reports)

    @property
    def changed(self) -> bool:
        return any(r.counts.inserted or r.counts.revised or r.counts.updated
                   for r in self.reports)


def data_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in DATA_SUFFIXES)
    return [path] if path.exists() else []


def load_source(store: Store, source: SourceSettings, now: datetime) -> SourceLoad:
    """Load a source; an unreadable one is reported (and recorded), never raised."""
    previous = store.source_status().get(source.name)
    try:
        if source.sql is not None:
            reports: tuple[LoadReport, ...] = (load_sql(store, source.sql.url, source.sql.query,
                                                        source.kind),)
        else:
            assert source.path is not None
            path = Path(source.path)
            if path.is_dir() and not data_files(path):
                raise SourceError(f"{source.path}: folder has no CSV or XLSX files")
            layout = Path(source.layout) if source.layout else None
            if layout is not None and not layout.is_file():
                raise SourceError(f"{source.layout}: layout file does not exist")
            reports = tuple(load_path(store, path, source.kind, layout=layout))
        outcome = SourceLoad(source.name, reports)
    except SourceError as exc:
        outcome = SourceLoad(source.name, error=redact_text(str(exc)))
    except Exception as exc:  # a driver error from a SQL source, say
        outcome = SourceLoad(source.name, error=redact_text(f"{type(exc).__name__}: {exc}"))
    changed_at = now if outcome.changed else (previous.changed_at if previous else None)
    store.save_source_status(SourceStatus(
        source.name, checked_at=now,
        loaded_at=now if outcome.error is None else (previous.loaded_at if previous else None),
        changed_at=changed_at, rows_loaded=outcome.rows_loaded,
        rows_rejected=outcome.rows_rejected, error=outcome.error))
    if outcome.error:
        log.error("source_unreadable", source=source.name, error=outcome.error)
    else:
        log.info("source_loaded", source=source.name, rows=outcome.rows_loaded,
                 rejected=outcome.rows_rejected)
    return outcome


def last_changed(source: SourceSettings, status: SourceStatus | None) -> datetime | None:
    """When the source's data last changed: newest file time, or the last changing load."""
    if source.path is not None:
        files = data_files(Path(source.path))
        if files:
            return datetime.fromtimestamp(max(f.stat().st_mtime for f in files), UTC)
        return None
    return status.changed_at if status else None


def missing_reason(source: SourceSettings, status: SourceStatus | None) -> str | None:
    """Why the source cannot be read now, or None."""
    if source.path is not None:
        path = Path(source.path)
        if not path.exists():
            return f"{source.path} does not exist"
        if not data_files(path):
            return f"{source.path} has no CSV or XLSX files"
        if source.layout is not None and not Path(source.layout).is_file():
            return f"layout file {source.layout} does not exist"
    if status is not None and status.error:
        return status.error
    return None
