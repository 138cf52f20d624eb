"""An event budget: the bound of a sink's buffer, counted in events rather than messages."""

from __future__ import annotations

from typing import final

import anyio


@final
class EventBudget:
    """Up to ``limit`` events may be queued; ``acquire`` suspends the producer until there is room.

    A batch larger than the whole budget is let through once the buffer is empty, so it can
    never wait forever.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._changed = anyio.Condition()
        self._waiting = 0  # producers waiting for room (a release wakes them only when some wait)

    def fits(self, n: int) -> bool:
        """Whether ``n`` more events fit now."""
        return self.used == 0 or self.used + n <= self.limit

    def take(self, n: int) -> bool:
        """Take room for ``n`` events without waiting; False when they do not fit."""
        if not self.fits(n):
            return False
        self.used += n
        return True

    async def acquire(self, n: int) -> None:
        """Wait until ``n`` events fit, then take the room (backpressure).

        When they fit, the room is taken at once, without the condition's lock (the common case
        costs no lock and no task switch). Room goes to whichever batch fits, as it did under the
        lock: a small batch may pass a large one that waits.
        """
        if self.fits(n):
            self.used += n
            return
        async with self._changed:
            self._waiting += 1
            try:
                while not self.fits(n):
                    await self._changed.wait()
            finally:
                self._waiting -= 1
            self.used += n

    async def release(self, n: int) -> None:
        """Give back room for ``n`` events and wake waiting producers (the lock only when some wait).

        A producer on its way to wait checks for room once it holds the lock, so room given back
        before it waits is seen then: no wake-up is lost.
        """
        self.used -= n
        if self._waiting:
            async with self._changed:
                self._changed.notify_all()


__all__ = ["EventBudget"]
