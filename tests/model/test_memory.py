"""Handing freed memory back to the operating system (glibc's malloc_trim)."""

import platform
import sys

from alerting.model.memory import release_freed_memory


def test_release_freed_memory_where_the_c_library_can():
    """True on Linux with glibc (where it returns the free heap pages), False elsewhere;
    harmless to call again."""
    expected = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert release_freed_memory() is expected
    assert release_freed_memory() is expected


def test_release_keeps_what_is_still_used():
    """Arrays still held keep their values after freed ones' pages are returned."""
    import numpy as np

    kept = [np.arange(i, i + 1_000_000, dtype=np.float64) for i in range(3)]
    freed = [np.ones(1_000_000) for _ in range(3)]
    del freed
    release_freed_memory()
    assert [float(k.sum()) for k in kept] == [
        float(np.arange(i, i + 1_000_000, dtype=np.float64).sum()) for i in range(3)]


def test_collector_paused_restores_the_collector():
    """Paused inside, back on after (also when the block raises); left off if it was off."""
    import gc

    import pytest

    from alerting.model.memory import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a rule failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
