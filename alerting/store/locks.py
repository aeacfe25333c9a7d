"""The cycle lock: one job at a time per database, across every worker process and host.

PostgreSQL: a session advisory lock, held on its own connection for the whole job (it is
freed by the server if the worker dies). SQLite: an exclusive `flock` on a file beside the
database (one host, so a file lock is enough). An in-memory database: a lock in the process.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import IO

import sqlalchemy as sa


def _key(name: str) -> int:
    return zlib.crc32(f"csc-alerting:{name}".encode()) & 0x7FFFFFFF
_POLL_SECONDS = 0.2
_MEMORY_LOCKS: dict[str, threading.Lock] = {}
_MEMORY_GUARD = threading.Lock()


def _wait(try_once: Callable[[], bool], wait: timedelta,
          stop: threading.Event | None) -> bool:
    deadline = time.monotonic() + wait.total_seconds()
    while True:
        if try_once():
            return True
        if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
            return False
        time.sleep(_POLL_SECONDS)


@contextmanager
def cycle_lock(engine: sa.Engine, *, wait: timedelta = timedelta(0),
               stop: threading.Event | None = None, name: str = "cycle") -> Iterator[bool]:
    """Hold the named lock (the cycle lock by default) for the `with` block; yields False if
    it could not be had in time (another worker is running a job): the caller then skips."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        with _advisory(engine, _key(name), wait, stop) as held:
            yield held
    elif url.database in (None, "", ":memory:"):
        with _in_process(f"{url}#{name}", wait, stop) as held:
            yield held
    else:
        suffix = ".lock" if name == "cycle" else f".{name}.lock"
        with _file_lock(Path(f"{url.database}{suffix}"), wait, stop) as held:
            yield held


@contextmanager
def _advisory(engine: sa.Engine, key: int, wait: timedelta,
              stop: threading.Event | None) -> Iterator[bool]:
    conn = engine.connect()
    try:
        def try_once() -> bool:
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"),
                               {"key": key}).scalar()
            conn.commit()
            return bool(got)

        held = _wait(try_once, wait, stop)
        try:
            yield held
        finally:
            if held:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()
    finally:
        conn.close()


@contextmanager
def _file_lock(path: Path, wait: timedelta, stop: threading.Event | None) -> Iterator[bool]:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[bytes] = path.open("ab")
    try:
        def try_once() -> bool:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        held = _wait(try_once, wait, stop)
        try:
            yield held
        finally:
            if held:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


@contextmanager
def _in_process(key: str, wait: timedelta, stop: threading.Event | None) -> Iterator[bool]:
    with _MEMORY_GUARD:
        lock = _MEMORY_LOCKS.setdefault(key, threading.Lock())
    held = _wait(lambda: lock.acquire(blocking=False), wait, stop)
    try:
        yield held
    finally:
        if held:
            lock.release()
