"""Keeping freed heap memory for reuse instead of handing it back to the OS after every batch.

A batch allocates a few MiB (lines, parsed dicts, encoded output) and frees it. With glibc's
defaults the top of the heap is trimmed and large blocks are unmapped at once, so the next batch
faults the same pages in again: on W1 ~900,000 page faults and 3 s of system time in two
workers. Raising the trim and mmap thresholds keeps that memory in the process (the peak stays
the same; it is just not returned between batches).

``mallopt`` is looked up among the symbols the process has loaded (``dlopen(NULL)``): Python is
linked against the C library, and ``ctypes.util.find_library`` would run ``ldconfig -p`` in a
child process to find its file (~2-5 ms of every start-up).
"""

from __future__ import annotations

import ctypes

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_TRIM_BYTES = 256 << 20
_MMAP_BYTES = 32 << 20  # glibc's largest mmap threshold on 64-bit


def keep_freed_memory() -> bool:
    """Ask glibc's ``malloc`` to keep freed memory; ``False`` where there is no glibc."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (macOS), or no dlopen: nothing to tune
        return False
    return bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_BYTES)) and bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_BYTES))


__all__ = ["keep_freed_memory"]
