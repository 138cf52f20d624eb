"""Throttling by event time: at most ``rate`` events per ``window_s`` seconds of one key.

The window slides: an event at time ``t`` is admitted when fewer than ``rate`` events of its key
were admitted in ``(t - window_s, t]``, so no span of ``window_s`` seconds ever holds more than
``rate`` admitted events of a key. A key keeps only the times of its admitted events inside that
span (at most ``rate`` of them), oldest first.

Event times can arrive out of order. The throttle's clock is its *mark*, the newest event time it
has seen (over all keys); a late event is taken at the mark (``clocked``): it competes for the
current span. So the times a throttle works with never go back, a key's kept times stay sorted,
and a key whose newest kept time is ``window_s`` behind the mark can never limit an event again
(``idle``): forgetting it changes nothing. ``decide`` is pure: it reads the kept times and says
what to do; the caller applies the decision to its own (mutable) copy.
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
    """What one event does to its key: admitted or not, at which time, and how many old times expire."""

    admitted: bool
    at: float
    expired: int


def clocked(mark: float | None, when: float) -> float:
    """The time an event at ``when`` is taken at, given the newest time seen (``None``: none yet).

    >>> clocked(None, 5.0), clocked(10.0, 5.0), clocked(10.0, 12.5)
    (5.0, 10.0, 12.5)
    """
    return when if mark is None or when > mark else mark


def decide(limit: Limit, kept: Sequence[float], when: float) -> Decision:
    """Whether an event at ``when`` is admitted, given its key's kept times (oldest first).

    ``expired`` counts the kept times at the front that fall out of the span ending at ``at``.
    ``when`` is normally already ``clocked``; an event older than the key's newest kept time is
    taken at that time all the same, so the kept times stay sorted.

    >>> lim = Limit(2, 10.0)
    >>> decide(lim, [], 5.0), decide(lim, [1.0, 4.0], 8.0)
    (Decision(admitted=True, at=5.0, expired=0), Decision(admitted=False, at=8.0, expired=0))
    >>> decide(lim, [1.0, 4.0], 11.0)  # 1.0 left the span (1.0, 11.0]
    Decision(admitted=True, at=11.0, expired=1)
    >>> decide(lim, [4.0], 2.0)
    Decision(admitted=True, at=4.0, expired=0)
    """
    at = max(when, kept[-1]) if kept else when
    horizon = at - limit.window_s
    expired = 0
    while expired < len(kept) and kept[expired] <= horizon:
        expired += 1
    return Decision(len(kept) - expired < limit.rate, at, expired)


def admit(limit: Limit, kept: tuple[float, ...], when: float) -> tuple[bool, tuple[float, ...]]:
    """``decide`` applied: whether the event is admitted, and the key's kept times after it.

    >>> admit(Limit(1, 60.0), (), 0.0), admit(Limit(1, 60.0), (0.0,), 30.0)
    ((True, (0.0,)), (False, (0.0,)))
    """
    d = decide(limit, kept, when)
    rest = kept[d.expired :]
    return d.admitted, ((*rest, d.at) if d.admitted else rest)


def idle(limit: Limit, kept: Sequence[float], mark: float) -> bool:
    """Whether a key holds nothing that could limit an event taken at ``mark`` or later (forget it).

    >>> idle(Limit(3, 10.0), [5.0], 15.0), idle(Limit(3, 10.0), [5.0], 14.0), idle(Limit(3, 10.0), [], 0.0)
    (True, False, True)
    """
    return not kept or kept[-1] <= mark - limit.window_s


__all__ = ["Decision", "Limit", "admit", "clocked", "decide", "idle"]
