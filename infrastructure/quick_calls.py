"""Blocking file calls run on the event loop while they are quick, in a worker thread once they are not.

Reading or writing a regular file through the page cache takes ~0.2 ms per MiB. A round trip
through a worker thread took ~1.5 ms once the loop was busy routing (the thread waits for the GIL
before and after the call) and forced the routing loop to hand the GIL over twice per call (W1:
the router waited ~0.4 s of 3 s for its reads; the sink threads cost ~8 % of the CPU). So calls
on a regular file run inline, timed: ``SLOW_CALLS`` calls in a row slower than ``SLOW_CALL_S``
each (a network file system, a cold disk, writes throttled by the kernel; one slow call may be
the machine's noise) send that file's later calls to a worker thread for good.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import TypeVar, final

import anyio.to_thread

from pipeflow.domain.ports import Clock

__all__ = ["SLOW_CALLS", "SLOW_CALL_S", "QuickCalls", "is_regular_file"]

SLOW_CALL_S = 0.02
"""A call on the event loop that takes longer is slow."""

SLOW_CALLS = 3
"""Slow calls in a row that send a file's later calls to a worker thread."""

T = TypeVar("T")


def is_regular_file(fd: int) -> bool:
    """Whether ``fd`` is a regular file (a pipe, device or socket may block however quick it looks)."""
    return stat.S_ISREG(os.fstat(fd).st_mode)


@final
class QuickCalls:
    """Where one file's blocking calls run: on the loop while they are quick, else in a thread.

    ``clock`` times the calls (the system clock in production; a fake one in tests).
    """

    __slots__ = ("_clock", "_inline", "_slow")

    def __init__(self, inline: bool, clock: Clock) -> None:
        self._inline = inline
        self._clock = clock
        self._slow = 0  # slow calls in a row

    @property
    def inline(self) -> bool:
        """Whether calls run on the event loop (not yet slowed by ``SLOW_CALLS`` slow calls in a row)."""
        return self._inline

    async def run(self, call: Callable[..., T], *args: object) -> T:
        """``call(*args)``, on the loop or in a worker thread; its exception is raised here."""
        if not self._inline:
            return await anyio.to_thread.run_sync(call, *args)
        now = self._clock.now
        started = now()
        try:
            return call(*args)
        finally:
            self._slow = self._slow + 1 if now() - started > SLOW_CALL_S else 0
            self._inline = self._slow < SLOW_CALLS
