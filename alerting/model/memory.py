"""Memory: handing what the process has freed back to the operating system, and pausing
the cyclic garbage collector while many short-lived objects are made.

Reading the stored history builds its columns from many chunks and sorts them, so a read
of 1.8 million observations frees about 250 MB of scratch arrays. glibc keeps freed heap
pages for later allocations rather than returning them (only the top of the heap is
returned), so the process's resident memory stays as high as at the read's peak for the
rest of the run. `release_freed_memory` asks glibc to return those pages now
(`malloc_trim`); nothing that is still in use moves. Elsewhere (macOS, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_freed_memory() -> bool:
    """Return the C heap's free pages to the operating system; False where that cannot be
    done here."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a stage makes tens of thousands of
    findings (dicts, lists, dataclasses). Each allocation counts towards a collection, and a
    full collection walks every object the process holds, so with the collector on, rule
    evaluation at national scale spent up to half its time in collections that found
    nothing: findings hold no cycles. Reference counting frees everything as usual; only
    cycles wait until the collector is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
