"""``Tap``: a live, sampled view of the events a running topology sends to a route's or a sink's way.

The planner offers each batch's sink parts to the hub once routing is done (``metered_planner``
does). With no subscriber that is one attribute test per batch. Each subscriber names one route
or one sink and a rate (events per second, a token bucket that holds at most one second's
worth): the events of a part beyond the tokens left are skipped, and those taken are spread
evenly over the part rather than taken from its head. A taken event goes into the subscriber's
bounded buffer without waiting; when the buffer is full it is lost and counted, so a slow reader
never slows the pipeline. Offers come from the event loop's thread (the router actor), like
every ``send_nowait`` here.

A line is ``{"route": ..., "sink": ..., "event": {...}}``; a route with two sinks shows an event
once per sink, and a sink fed by two routes shows it once per route, as each sink receives it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Literal, TypeAlias, final

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pipeflow.domain.json import Json
from pipeflow.infrastructure.actors.plan import SinkPart

__all__ = ["DEFAULT_BUFFER", "DEFAULT_RATE", "Tap", "TapKind", "TapLine", "TapSubscription", "spread"]

_log = logging.getLogger("pipeflow.tap")

TapKind: TypeAlias = Literal["route", "sink"]
"""What a subscriber watches: the parts of one route, or the parts going to one sink."""

TapLine: TypeAlias = dict[str, Json]
"""One tapped event: ``{"route": name or None, "sink": name, "event": fields}``."""

DEFAULT_RATE = 10.0
"""Events per second a subscriber gets when it does not say."""

DEFAULT_BUFFER = 1000
"""Lines a subscriber's buffer holds before further samples are lost."""


def spread(n: int, k: int) -> range | list[int]:
    """``k`` indices out of ``range(n)``, evenly spread (all of them when ``k >= n``).

    >>> list(spread(3, 5)), list(spread(10, 3)), list(spread(10, 0))
    ([0, 1, 2], [0, 3, 6], [])
    """
    if k >= n:
        return range(n)
    return [i * n // k for i in range(k)]


@final
class TapSubscription:
    """One reader's view: an async iterator of ``TapLine``, ended by ``close()`` or the hub's close.

    ``sent``, ``skipped`` (over the rate) and ``lost`` (buffer full) count what it was offered.
    """

    def __init__(
        self, hub: Tap, kind: TapKind, name: str, rate: float, buffer: int, clock: Callable[[], float]
    ) -> None:
        self.kind = kind
        self.name = name
        self.rate = rate
        self.sent = self.skipped = self.lost = 0
        self._hub = hub
        self._clock = clock
        self._capacity = max(1.0, rate)
        self._tokens = self._capacity
        self._stamp = clock()
        send, receive = anyio.create_memory_object_stream[TapLine](buffer)
        self._send: MemoryObjectSendStream[TapLine] = send
        self._receive: MemoryObjectReceiveStream[TapLine] = receive

    def wants(self, part: SinkPart) -> bool:
        """Whether ``part`` is on the route or the sink this subscriber watches."""
        return (part.route if self.kind == "route" else part.sink) == self.name

    def take(self, part: SinkPart) -> None:
        """Sample ``part`` under the rate into the buffer; never waits."""
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        n = len(part.events)
        k = min(n, int(self._tokens))
        self._tokens -= k
        self.skipped += n - k
        for i in spread(n, k):
            line: TapLine = {"route": part.route, "sink": part.sink, "event": part.events[i].fields}
            try:
                self._send.send_nowait(line)
            except anyio.WouldBlock:
                self.lost += 1
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                self.close()
                return
            else:
                self.sent += 1

    def end(self) -> None:
        """Unsubscribe and end the stream for the reader (what is buffered can still be read)."""
        self._detach()
        self._send.close()

    def close(self) -> None:
        """Unsubscribe and release both ends (idempotent)."""
        self._detach()
        self._send.close()
        self._receive.close()

    def _detach(self) -> None:
        if self._hub.remove(self):
            _log.info(
                "tap on %s %r ended: %d sent, %d skipped over the rate, %d lost (reader too slow)",
                self.kind,
                self.name,
                self.sent,
                self.skipped,
                self.lost,
            )

    def __aiter__(self) -> TapSubscription:
        """Itself."""
        return self

    async def __anext__(self) -> TapLine:
        """The next tapped line; ``StopAsyncIteration`` once ended."""
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    def __enter__(self) -> TapSubscription:
        """Itself; leaving closes it."""
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close."""
        self.close()


@final
class Tap:
    """The hub: subscribers in, planned parts offered, each subscriber sampled on its own."""

    __slots__ = ("_clock", "_closed", "_subscribers", "listening")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.listening = False
        self._subscribers: list[TapSubscription] = []
        self._clock = clock
        self._closed = False

    def subscribe(
        self, kind: TapKind, name: str, *, rate: float = DEFAULT_RATE, buffer: int = DEFAULT_BUFFER
    ) -> TapSubscription:
        """A new subscriber of ``kind`` ``name`` at ``rate`` events/s (ended at once when the hub is closed).

        :raises ValueError: when ``rate`` is not a positive number or ``buffer`` is not positive.
        """
        if not (rate > 0 and math.isfinite(rate)) or buffer < 1:
            raise ValueError(f"a tap needs a positive rate and buffer, not {rate!r} and {buffer!r}")
        sub = TapSubscription(self, kind, name, rate, buffer, self._clock)
        if self._closed:
            sub.end()
        else:
            self._subscribers.append(sub)
            self.listening = True
        return sub

    def offer(self, parts: Sequence[SinkPart]) -> None:
        """Give each subscriber the parts it watches (call it only when ``listening``, to save the call)."""
        for sub in tuple(self._subscribers):
            for part in parts:
                if sub.wants(part):
                    sub.take(part)

    def remove(self, sub: TapSubscription) -> bool:
        """Unsubscribe ``sub``; whether it was subscribed."""
        if sub not in self._subscribers:
            return False
        self._subscribers.remove(sub)
        self.listening = bool(self._subscribers)
        return True

    def close(self) -> None:
        """End every subscriber's stream (``serve`` stopping); later subscribers end at once."""
        self._closed = True
        for sub in tuple(self._subscribers):
            sub.end()

    @property
    def subscribers(self) -> int:
        """How many readers are subscribed now."""
        return len(self._subscribers)
