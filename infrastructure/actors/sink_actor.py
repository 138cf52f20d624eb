"""A sink actor: owns one sink's bounded buffer, writes batches with retries, dead-letters the rest.

Each sink has its own buffer, so a slow or failing sink never stalls the others: the router
only waits on a full buffer when that sink's policy is ``block``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, final, runtime_checkable

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pipeflow.domain.engine import describe_exception
from pipeflow.domain.events import Event
from pipeflow.domain.ports import (
    EncodedSink,
    EventSink,
    IdFactory,
    RejectingSink,
    Retryable,
    ValidatingSink,
)
from pipeflow.infrastructure.actors.budget import EventBudget
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor
from pipeflow.infrastructure.actors.gather import Gather, Gatherer
from pipeflow.infrastructure.actors.messages import Delivery
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.screening import failed_records, refused_records, screen
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.actors.write_groups import queued_groups
from pipeflow.infrastructure.ids import UlidFactory
from pipeflow.infrastructure.sinks.encode import encoder_refused, unencodable

if TYPE_CHECKING:  # a disk buffer is built (and imported) by a config that has one
    from pipeflow.infrastructure.actors.disk_buffer import DeliveryBuffer

_log = logging.getLogger("pipeflow.sink")

WhenFull: TypeAlias = Literal["block", "drop_newest", "dead_letter"]


@runtime_checkable
class MeasuredSink(Protocol):
    """A sink appending to one file that knows the file's length after its last whole write."""

    @property
    def length(self) -> int:
        """The file's length after the last whole write."""
        ...


@final
class SinkActor:
    """Receives ``Delivery`` messages for one sink and writes them in order.

    An encoded delivery goes to the sink's ``write_encoded(data)`` when it has one (file and
    stdout sinks); any other sink gets it decoded back into events with ids from ``ids``. A
    ``ValidatingSink`` gets events, each screened first: a refused one is dead-lettered alone. A
    ``RejectingSink`` gets events too, and the ones its store refused in a write are dead-lettered.
    With ``gather``, deliveries are gathered into fewer, larger writes (``gather.py``).
    """

    def __init__(
        self,
        name: str,
        sink: EventSink,
        *,
        max_events: int,
        when_full: WhenFull,
        retry: RetryPolicy,
        dead_letters: DeadLetterActor,
        stats: RunStats,
        clock: Callable[[], float],
        timeout_s: float = 60.0,
        ids: IdFactory | None = None,
        gather: Gather | None = None,
        buffer: DeliveryBuffer | None = None,
    ) -> None:
        self.name = name
        self.sink = sink
        self.when_full = when_full
        self.retry = retry
        self.dead_letters = dead_letters
        self.stats = stats
        self.clock = clock
        self.timeout_s = timeout_s
        self.ids: IdFactory = ids if ids is not None else UlidFactory()
        self._invalid = sink.invalid if isinstance(sink, ValidatingSink) else None
        self._take_rejected = sink.take_rejected if isinstance(sink, RejectingSink) else None
        self._write_encoded = (
            sink.write_encoded
            if isinstance(sink, EncodedSink) and self._invalid is None and self._take_rejected is None
            else None
        )
        self._measured = sink if isinstance(sink, MeasuredSink) else None
        self.budget = EventBudget(max_events)
        self.dropped = 0
        self.buffer = buffer  # a disk buffer: deliveries are kept there, not in the inbox
        if buffer is not None:
            self._tell_backlog(buffer)
        self._opened = False
        send, receive = anyio.create_memory_object_stream[Delivery](math.inf)  # bounded by the budget
        self.inbox: MemoryObjectSendStream[Delivery] = send
        self._receive: MemoryObjectReceiveStream[Delivery] = receive
        self._gatherer = (
            Gatherer(gather, receive, self.budget, encoded=self._write_encoded is not None)
            if gather is not None
            else None
        )
        stats.events_out.setdefault(name, 0)

    async def open(self) -> None:
        """Open the sink now rather than at its first write (it is closed when ``run`` ends).

        :raises Exception: whatever the sink's ``open`` raises (its first write tries again).
        """
        if not self._opened:
            await self.sink.open()
            self._opened = True

    async def offer(self, delivery: Delivery) -> None:
        """Queue a delivery under the sink's ``when_full`` policy."""
        n = delivery.size
        if self.buffer is not None:
            if not await self.buffer.put(delivery):
                await self._refuse(delivery, n)
            self._tell_backlog(self.buffer)
            return
        if self.when_full == "block":
            await self.budget.acquire(n)
        elif not self.budget.take(n):
            await self._refuse(delivery, n)
            return
        await self.inbox.send(delivery)

    async def _refuse(self, delivery: Delivery, n: int) -> None:
        """A full buffer under ``drop_newest`` or ``dead_letter``: drop or dead-letter ``delivery``."""
        if self.when_full == "drop_newest":
            self.dropped += n
            self.stats.dropped += n
            delivery.done()
        else:
            await self._dead_letter(delivery, f"sink {self.name!r} buffer full")

    async def run(self) -> None:
        """The message loop: write each delivery, until the router closes the inbox.

        Encoded deliveries already waiting are written together, in order, with one call (a sink
        that fell behind catches up in one write, not one thread round trip per batch).
        """
        try:
            async with self._receive:
                if self.buffer is not None:  # each record read back from disk, written in order
                    await self.buffer.drain(
                        self._receive, self._write_screened, grouped=self._write_encoded is not None
                    )
                    self._tell_backlog(self.buffer)  # segments freed after the last write
                encoded = self._write_encoded is not None
                async for delivery in self._receive:
                    if self._gatherer is not None:  # a sink of whole objects: see gather.py
                        await self._gatherer.take(delivery, self._write)
                        continue
                    for group in queued_groups(delivery, self._receive, encoded=encoded):
                        size = sum(d.size for d in group)
                        try:
                            if self._invalid is not None:
                                group = await self._screen(group)
                            if group:
                                await self._write(group)
                        finally:
                            await self.budget.release(size)
        finally:
            if self._opened:
                with anyio.CancelScope(shield=True):  # a cancelled run still flushes and closes
                    try:
                        await self.sink.close()
                    except Exception as exc:  # noqa: BLE001 - closing is best effort, and logged
                        _log.error("sink %s failed to close: %s", self.name, exc)

    async def _write_screened(self, group: list[Delivery]) -> None:
        """Screen (for a ``ValidatingSink``) and write ``group`` (from a disk buffer)."""
        if self._invalid is not None:
            group = await self._screen(group)
        if group:
            await self._write(group)
        if self.buffer is not None:
            self._tell_backlog(self.buffer)

    def _tell_backlog(self, buffer: DeliveryBuffer) -> None:
        self.stats.buffered_bytes[self.name] = buffer.size_bytes
        self.stats.buffer_skipped[self.name] = buffer.skipped

    async def _screen(self, group: list[Delivery]) -> list[Delivery]:
        """The group less the events the sink refuses, which go to the dead-letter queue now."""
        assert self._invalid is not None
        assert len(group) == 1  # only encoded deliveries are grouped, and not for these sinks
        delivery = group[0]
        events = delivery.materialize(self.ids)
        screened = screen(delivery, events, self._invalid, sink=self.name, at=self.clock())
        if screened.refused:
            _log.warning("sink %s refused %d events", self.name, len(screened.refused))
            await self.dead_letters.put(screened.refused, screened.done, screened.failed)
        return [screened.valid] if screened.valid is not None else []

    async def _write(self, group: list[Delivery]) -> None:
        last, attempt = "no attempt", 0
        delivery = group[0]
        # Decoded once, so every attempt (and a dead letter) carries the same event ids.
        write_encoded = self._write_encoded
        encoded = delivery.encoded if write_encoded is not None else None
        data = b"".join(d.encoded.data for d in group if d.encoded is not None) if len(group) > 1 else None
        events = delivery.materialize(self.ids) if encoded is None else None
        for attempt in range(self.retry.attempts):
            try:
                with anyio.fail_after(self.timeout_s):
                    if not self._opened:
                        await self.sink.open()
                        self._opened = True
                    if encoded is not None and write_encoded is not None:
                        await write_encoded(encoded.data if data is None else data)
                    else:
                        await self.sink.write(events)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 - a failed write is retried, then dead-lettered
                if (
                    events is not None
                    and encoder_refused(exc)
                    and await self._write_encodable(delivery, events)
                ):
                    return  # the same on every attempt: the events JSON cannot hold went apart
                last = describe_exception(exc)
                if isinstance(exc, Retryable) and not exc.retryable:  # e.g. HTTP 400: retrying cannot help
                    _log.warning("sink %s rejected the batch (not retryable): %s", self.name, last)
                    break
                _log.warning(
                    "sink %s write failed (attempt %d/%d): %s",
                    self.name,
                    attempt + 1,
                    self.retry.attempts,
                    last,
                )
                if attempt + 1 < self.retry.attempts:
                    self.stats.retries += 1
                    await anyio.sleep(self.retry.delay(attempt))
                continue
            if self._measured is not None:
                self._tell_lengths(group, self._measured.length)
            if self._take_rejected is not None and events is not None:
                await self._settle(delivery, events, self._take_rejected())
                return
            for done in group:
                self.stats.events_out[self.name] += done.size
                done.done()
            return
        tried = attempt + 1 if self.retry.attempts else 0
        reason = f"sink {self.name!r} failed after {tried} attempts: {last}"
        for failed in group:
            await self._dead_letter(failed, reason, events)

    async def _write_encodable(self, delivery: Delivery, events: list[Event]) -> bool:
        """A write failed on an event JSON cannot hold: it is dead-lettered alone, the rest written.
        ``False`` when every event encodes (the sink failed on something else: retried as usual)."""
        screened = screen(delivery, events, unencodable, sink=self.name, at=self.clock())
        if not screened.refused:
            return False
        _log.warning("sink %s: %d events cannot be encoded as JSON", self.name, len(screened.refused))
        await self.dead_letters.put(screened.refused, screened.done, screened.failed)
        if screened.valid is not None:
            await self._write([screened.valid])
        return True

    async def _settle(self, delivery: Delivery, events: list[Event], rejected: Mapping[str, str]) -> None:
        """A ``RejectingSink``'s write returned: its refused events to the dead-letter queue, alone."""
        records = refused_records(delivery, events, rejected, sink=self.name, at=self.clock())
        self.stats.events_out[self.name] += delivery.size - len(records)
        if not records:
            delivery.done()
            return
        _log.warning("sink %s: the store refused %d events", self.name, len(records))
        await self.dead_letters.put(records, delivery.done, delivery.failed)

    @staticmethod
    def _tell_lengths(group: list[Delivery], end: int) -> None:
        """Tell each delivery that asks the file's length just after its own bytes (``end``: after all)."""
        for delivery in reversed(group):
            if delivery.wrote is not None:
                delivery.wrote(end)
            if delivery.encoded is not None:
                end -= len(delivery.encoded.data)

    async def _dead_letter(self, delivery: Delivery, reason: str, events: list[Event] | None = None) -> None:
        materialized = events if events is not None else delivery.materialize(self.ids)
        records = failed_records(delivery, materialized, reason, sink=self.name, at=self.clock())
        await self.dead_letters.put(records, delivery.done, delivery.failed)


__all__ = ["MeasuredSink", "SinkActor", "WhenFull"]
