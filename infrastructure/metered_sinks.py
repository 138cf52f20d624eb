"""Sinks that feed ``Metrics``: events written, seconds per write, retries (``serve``'s metering).

``metered(sink, metrics)`` wraps a sink so the sink actor sees the same capabilities: a sink
that writes encoded NDJSON (``EncodedSink``) stays one, so the fast path still hands it bytes,
and a sink that refuses single events (``ValidatingSink``) is still asked about each; a sink
whose store refuses documents of a write (``RejectingSink``) still tells which.
A retry is a failed attempt followed by another at the very same batch (the actor passes the same
list, or the same bytes, again).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Generic, TypeVar, final

from pipeflow.domain.events import Event
from pipeflow.domain.line_block import count_newlines
from pipeflow.domain.ports import EncodedSink, EventSink, RejectingSink, ValidatingSink
from pipeflow.infrastructure.metrics import Metrics

__all__ = [
    "MeteredEncodedSink",
    "MeteredRejectingSink",
    "MeteredSink",
    "MeteredValidatingSink",
    "metered",
]

_S = TypeVar("_S", bound=EventSink)


@final
class _Meter:
    """What both metered sinks share: open with retry counting, and a timed, counted write."""

    __slots__ = ("_failed", "_metrics", "_open_failed", "name")

    def __init__(self, name: str, metrics: Metrics) -> None:
        self.name = name
        self._metrics = metrics
        self._open_failed = False
        self._failed: object = None  # the batch whose last write raised

    async def open(self, call: Callable[[], Awaitable[None]]) -> None:
        if self._open_failed:
            self._open_failed = False
            self._metrics.sink_retried(self.name)
        try:
            await call()
        except BaseException:
            self._open_failed = True
            raise

    async def write(self, batch: object, events: Callable[[], int], call: Awaitable[None]) -> None:
        if self._failed is not None:
            if self._failed is batch:
                self._metrics.sink_retried(self.name)
            self._failed = None
        started = time.perf_counter()
        try:
            await call
        except BaseException:
            self._failed = batch
            raise
        self._metrics.sink_written(self.name, events(), time.perf_counter() - started)


@final
class MeteredSink:
    """An ``EventSink`` that counts what its inner sink wrote and times each write."""

    def __init__(self, inner: EventSink, metrics: Metrics) -> None:
        self.name = inner.name
        self._inner = inner
        self.meter = _Meter(inner.name, metrics)

    async def open(self) -> None:
        """Open the inner sink; opening again after a failed open is a retry."""
        await self.meter.open(self._inner.open)

    async def write(self, events: Sequence[Event]) -> None:
        """Write through the inner sink; only a write that succeeded is counted."""
        await self.meter.write(events, lambda: len(events), self._inner.write(events))

    async def close(self) -> None:
        """Close the inner sink."""
        await self._inner.close()


class _Wrapped(Generic[_S]):
    """A ``MeteredSink`` over an inner sink of a narrower kind, which the subclass's extra method reaches."""

    def __init__(self, inner: _S, metrics: Metrics) -> None:
        self.name = inner.name
        self._inner = inner
        self._events = MeteredSink(inner, metrics)

    async def open(self) -> None:
        """Open the inner sink (through the meter: a retried open counts)."""
        await self._events.open()

    async def write(self, events: Sequence[Event]) -> None:
        """Write events through the inner sink, metered."""
        await self._events.write(events)

    async def close(self) -> None:
        """Close the inner sink."""
        await self._events.close()


@final
class MeteredEncodedSink(_Wrapped[EncodedSink]):
    """A metered ``EncodedSink``: a ``MeteredSink`` that also writes encoded batches, counted by
    their lines (one event a line), through the same meter."""

    async def write_encoded(self, data: bytes) -> None:
        """Write NDJSON bytes through the inner sink, counted by their lines."""
        call = self._inner.write_encoded(data)
        await self._events.meter.write(data, lambda: count_newlines(data), call)


@final
class MeteredValidatingSink(_Wrapped[ValidatingSink]):
    """A metered ``ValidatingSink``: a ``MeteredSink`` that passes ``invalid`` to the inner sink."""

    def invalid(self, event: Event) -> str | None:
        """Why the inner sink cannot take ``event``, or ``None``."""
        return self._inner.invalid(event)


@final
class MeteredRejectingSink(_Wrapped[RejectingSink]):
    """A metered ``RejectingSink``: a ``MeteredSink`` that passes ``take_rejected`` to the inner sink."""

    def take_rejected(self) -> Mapping[str, str]:
        """The events of the inner sink's last write its store refused, with the reasons."""
        return self._inner.take_rejected()


def metered(
    sink: EventSink, metrics: Metrics
) -> MeteredSink | MeteredEncodedSink | MeteredValidatingSink | MeteredRejectingSink:
    """``sink`` wrapped to feed ``metrics``, keeping its encoded-write, validating or rejecting capability."""
    if isinstance(sink, ValidatingSink):
        return MeteredValidatingSink(sink, metrics)
    if isinstance(sink, RejectingSink):
        return MeteredRejectingSink(sink, metrics)
    if isinstance(sink, EncodedSink):
        return MeteredEncodedSink(sink, metrics)
    return MeteredSink(sink, metrics)
