"""``IngestSource``: an ``EventSource`` fed by ``POST /ingest/{source}`` of ``pipeflow serve``.

The API decodes nothing itself: it hands the request body to ``offer``, which decodes it into
one batch and queues it without waiting. ``offer`` answers ``"full"`` when the batch would not
fit (the API answers 429 with ``Retry-After``), so nothing is accepted that cannot be held:
the bound is ``max_events`` events *in flight*, from the offer until the batch's ``ack`` (every
event written by its sinks or dead-lettered) or its ``failed`` (dead letters that could not be
stored: the batch will never be acknowledged). A client whose batch was queued waits on the
``IngestTicket`` for that ack before it is answered 202 (503 with the reason on a failure).

With ``raw`` (NDJSON, under the fast planner) ``offer`` decodes nothing: the body travels as one
block of lines (a body no longer than ``max_line_bytes`` cannot hold an over-long line; a longer
one is split at its newlines, in C), to be decoded in the routing loop; the ticket
learns how many events and malformed lines they held when the batch is planned
(``SourceBatch.planned``). Over-long lines are rejected here, as the decoder would. The in-flight
bound then counts lines (blank ones included) rather than events.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator
from typing import Literal, TypeAlias, final

import anyio

from pipeflow.domain.events import Event
from pipeflow.domain.line_block import LineBlock
from pipeflow.domain.ports import Clock, IdFactory, Rejected, SourceBatch
from pipeflow.infrastructure.sources.decode import DEFAULT_MAX_LINE_BYTES, Format, decode_lines

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "IngestSource", "IngestTicket", "Offer"]

DEFAULT_MAX_IN_FLIGHT = 10_000
"""Events an ingest source holds (queued or being delivered) before it answers ``"full"``."""


@final
class IngestTicket:
    """A queued batch: its counts, and a wait for its acknowledgement (or for why it cannot come)."""

    __slots__ = ("_acked", "_over", "accepted", "failure", "rejected")

    def __init__(self, accepted: int, rejected: int) -> None:
        self.accepted = accepted
        self.rejected = rejected
        self.failure: str | None = None  # why the batch can never be acknowledged, once known
        self._acked = anyio.Event()
        self._over = anyio.Event()  # acknowledged or failed

    def counted(self, accepted: int, rejected: int) -> None:
        """Set the counts once the batch's raw lines are decoded (``SourceBatch.planned``)."""
        self.accepted, self.rejected = accepted, rejected

    def ack(self) -> None:
        """Mark the batch delivered (called by the runtime, once)."""
        self._acked.set()
        self._over.set()

    def fail(self, reason: str) -> None:
        """Mark the batch as never to be delivered, with why (a part of it could not be done)."""
        if not self._acked.is_set():
            self.failure = reason
            self._over.set()

    @property
    def delivered(self) -> bool:
        """Whether the batch was acknowledged."""
        return self._acked.is_set()

    async def wait(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the acknowledgement; whether it came (``failure`` says why
        not, when the batch failed rather than timed out)."""
        with anyio.move_on_after(timeout_s):
            await self._over.wait()
        return self._acked.is_set()


Offer: TypeAlias = IngestTicket | Literal["full", "closed"]
"""What ``offer`` answers: the queued batch's ticket, or why it was not taken."""


@final
class IngestSource:
    """A source whose batches are pushed by ``offer``; it ends after ``stop()`` once drained.

    ``max_events`` bounds the events in flight; a batch larger than that is taken only when
    nothing else is in flight, so it cannot be refused forever.
    """

    def __init__(
        self,
        name: str,
        *,
        ids: IdFactory,
        clock: Clock,
        format: Format = "ndjson",
        max_events: int = DEFAULT_MAX_IN_FLIGHT,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        raw: bool = False,
    ) -> None:
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        self.name = name
        self.max_events = max_events
        self.in_flight = 0
        self._ids = ids
        self._clock = clock
        self._format: Format = format
        self._max_line_bytes = max_line_bytes
        self._raw = raw and format == "ndjson"
        self._stopped = False
        # Unbounded as a stream: the in-flight budget is the bound, checked before every send.
        self._send, self._receive = anyio.create_memory_object_stream[SourceBatch](math.inf)

    def offer(self, body: bytes) -> Offer:
        """Decode ``body`` (NDJSON or lines) into one batch and queue it, never waiting.

        Malformed lines travel with the batch as ``Rejected`` (the runtime dead-letters them).
        """
        if self._stopped:
            return "closed"
        if self._raw:
            return self._offer_raw(body)
        events, rejected = decode_lines(
            body.split(b"\n"), self._format, self.name, self._ids, self._clock, self._max_line_bytes
        )
        return self.offer_events(events, rejected)

    def offer_events(self, events: list[Event], rejected: list[Rejected], source: str | None = None) -> Offer:
        """Queue events decoded elsewhere (and refused input) as one batch, never waiting, as ``offer``;
        the batch is of ``source`` when given (a replayed dead letter keeps its source's name)."""
        if self._stopped:
            return "closed"
        ticket = IngestTicket(len(events), len(rejected))
        return self._queue(
            ticket, len(events) + len(rejected), SourceBatch(source or self.name, events, rejected)
        )

    def _offer_raw(self, body: bytes) -> Offer:
        limit = self._max_line_bytes
        rejected: list[Rejected] = []
        lines: list[bytes] | LineBlock
        if len(body) <= limit:  # no line can be over-long: one block, never split
            lines = LineBlock.of(body)
            n = lines.count
        else:
            lines = body.split(b"\n")
            if not lines[-1]:
                lines.pop()  # the body's last newline ends a line; it starts none
            n = len(lines)
            if n and max(map(len, lines)) > limit:
                rejected = [
                    Rejected(x[:limit], f"line over max_line_bytes ({len(x)} bytes)")
                    for x in lines
                    if len(x) > limit and x.strip()
                ]
                lines = [x for x in lines if len(x) <= limit]
        ticket = IngestTicket(0, len(rejected))
        return self._queue(
            ticket, n, SourceBatch(self.name, [], rejected, lines=lines, planned=ticket.counted)
        )

    def _queue(self, ticket: IngestTicket, n: int, batch: SourceBatch) -> Offer:
        """Queue ``batch`` (``n`` in flight until it is acknowledged) under ``ticket``, or ``"full"``
        when ``n`` more would not fit (a batch is always taken when nothing else is in flight)."""
        if self.in_flight and self.in_flight + n > self.max_events:
            return "full"
        if n == 0:
            ticket.ack()
            return ticket
        self.in_flight += n
        done = False

        def ack() -> None:
            nonlocal done
            if not done:
                done = True
                self.in_flight -= n
                ticket.ack()

        def failed(reason: str) -> None:
            nonlocal done
            if not done:  # its room is given back: the client is told, and may send it again
                done = True
                self.in_flight -= n
                ticket.fail(reason)

        batch.ack = ack
        batch.failed = failed
        try:
            self._send.send_nowait(batch)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            self.in_flight -= n
            return "closed"
        return ticket

    def stop(self) -> None:
        """Take no more offers; the batches already queued are still delivered, then the source ends."""
        self._stopped = True
        self._send.close()

    def close(self) -> None:
        """Release both ends (for a source whose ``batches`` never ran)."""
        self._stopped = True
        self._send.close()
        self._receive.close()

    async def batches(self) -> AsyncGenerator[SourceBatch, None]:
        """The offered batches, in order, until ``stop()`` and the queue is drained."""
        with self._receive:
            async for batch in self._receive:
                yield batch
