"""Throttling by event time: at most ``rate`` events per ``window_s`` seconds of one key.

Each key has its own clock, the newest event time seen for it. The window slides: an event taken
at time ``at`` is admitted when fewer than ``rate`` events of its key were admitted in
``(at - window_s, at]``, so no span of ``window_s`` seconds of a key's time ever holds more than
``rate`` admitted events of it. A key keeps only the times of its admitted events in that span
(at most ``rate`` of them), oldest first.

Event times can go back. An event at most ``window_s`` older than its key's clock (a little
late) is taken at the clock: it competes for the current span. An event older than that means
the key's time went back (the next file of another host, a replay of old logs): the key starts
over at that time, forgetting its admitted times. ``decide`` is pure: it reads a key's state and
says what to do; the caller applies the decision to its own (mutable) copy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import final


@final
@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``rate`` admitted events per ``window_s`` seconds (``rate`` >= 1, ``window_s`` > 0)."""

    rate: int
    window_s: float

    def __post_init__(self) -> None:
        if self.rate < 1 or not (self.window_s > 0 and math.isfinite(self.window_s)):
            raise ValueError(f"not a limit: {self.rate} per {self.window_s}s")  # a bug: configs are checked


@final
@dataclass(frozen=True, slots=True)
class Decision:
    """What one event does to its key: admitted or not, the time it is taken at (the key's new
    clock), and how many of the oldest kept times to forget."""

    admitted: bool
    at: float
    expired: int


def decide(limit: Limit, kept: Sequence[float], clock: float | None, when: float) -> Decision:
    """Whether an event at ``when`` is admitted, given its key's kept times (oldest first) and clock.

    ``clock`` is ``None`` for a key never seen; the kept times are never newer than the clock.

    >>> lim = Limit(2, 10.0)
    >>> decide(lim, [], None, 5.0), decide(lim, [1.0, 4.0], 4.0, 8.0)
    (Decision(admitted=True, at=5.0, expired=0), Decision(admitted=False, at=8.0, expired=0))
    >>> decide(lim, [1.0, 4.0], 4.0, 11.0)  # 1.0 left the span (1.0, 11.0]
    Decision(admitted=True, at=11.0, expired=1)
    >>> decide(lim, [1.0, 4.0], 9.0, 2.0)  # a little late: taken at the clock, 9.0
    Decision(admitted=False, at=9.0, expired=0)
    >>> decide(lim, [1.0, 4.0], 30.0, 2.0)  # time went back further than the window: start over
    Decision(admitted=True, at=2.0, expired=2)
    """
    if clock is not None and when < clock - limit.window_s:
        return Decision(True, when, len(kept))
    at = when if clock is None or when > clock else clock
    horizon = at - limit.window_s
    expired = 0
    while expired < len(kept) and kept[expired] <= horizon:
        expired += 1
    return Decision(len(kept) - expired < limit.rate, at, expired)


def admit(
    limit: Limit, kept: tuple[float, ...], clock: float | None, when: float
) -> tuple[bool, tuple[float, ...], float]:
    """``decide`` applied: whether the event is admitted, and the key's kept times and clock after it.

    >>> admit(Limit(1, 60.0), (), None, 0.0), admit(Limit(1, 60.0), (0.0,), 0.0, 30.0)
    ((True, (0.0,), 0.0), (False, (0.0,), 30.0))
    """
    d = decide(limit, kept, clock, when)
    rest = kept[d.expired :]
    return d.admitted, ((*rest, d.at) if d.admitted else rest), d.at


__all__ = ["Decision", "Limit", "admit", "decide"]
