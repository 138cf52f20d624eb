"""Adapters for the ``Clock`` and ``IdFactory`` ports: the wall clock and monotonic ULIDs."""

from __future__ import annotations

import os
import time
from typing import final

from domain.events import EventId

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]  # every 10-bit value as two digits
_LOW40 = (1 << 40) - 1


def _encode_time(ms: int) -> str:
    return "".join(_CROCKFORD[(ms >> shift) & 31] for shift in range(45, -5, -5))


def _encode40(value: int) -> str:
    return (
        _PAIRS[value >> 30 & 1023]
        + _PAIRS[value >> 20 & 1023]
        + _PAIRS[value >> 10 & 1023]
        + _PAIRS[value & 1023]
    )


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

    __slots__ = ("_high", "_last_ms", "_prefix", "_rand")

    def __init__(self) -> None:
        self._last_ms = -1
        self._prefix = ""
        self._high = -1
        self._rand = 0

    def new_id(self) -> EventId:
        """A fresh ULID string (26 characters, Crockford base32)."""
        ms = time.time_ns() // 1_000_000
        if ms > self._last_ms:
            self._last_ms = ms
            self._rand = int.from_bytes(os.urandom(10), "big") >> 1  # room to increment
            self._high = -1
        else:
            self._rand += 1
        high = self._rand >> 40
        if high != self._high:  # the upper 40 random bits change only on a carry: encode them then
            self._high = high
            self._prefix = _encode_time(self._last_ms) + _encode40(high)
        return EventId(self._prefix + _encode40(self._rand & _LOW40))


__all__ = ["SystemClock", "UlidFactory"]
