"""Adapters for the ``Clock`` and ``IdFactory`` ports: the wall clock and monotonic ULIDs."""

from __future__ import annotations

import os
import time
from typing import final

from ulid import ULID

from domain.events import EventId


@final
class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()


@final
class UlidFactory:
    """Monotonic ULIDs: the random part is drawn once per millisecond and then incremented.

    This is the ULID spec's monotonic mode: ids made in one process sort in the order they were
    made, and making one costs an increment instead of a fresh draw of 80 random bits.
    """

    __slots__ = ("_last_ms", "_rand")

    def __init__(self) -> None:
        self._last_ms = -1
        self._rand = 0

    def new_id(self) -> EventId:
        """A fresh ULID string."""
        ms = time.time_ns() // 1_000_000
        if ms > self._last_ms:
            self._last_ms = ms
            self._rand = int.from_bytes(os.urandom(10), "big") >> 1  # room to increment
        else:
            self._rand += 1
        return EventId(str(ULID.from_int((self._last_ms << 80) | self._rand)))


__all__ = ["SystemClock", "UlidFactory"]
