"""``NatsSource``: a JetStream pull consumer on a durable that every worker with the same config shares.

A message is acknowledged only after pipeflow's end-to-end ack (every sink wrote its events, or
they were dead-lettered). A worker that dies with a batch in hand never acks it, so the server
redelivers its messages to another worker after ``ack_wait_s``: at least once, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import final

import anyio
import nats
import nats.errors
import nats.js.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from pipeflow.domain.events import Event, EventId
from pipeflow.domain.ports import Clock, IdFactory, Rejected, SourceBatch
from pipeflow.infrastructure.sources.decode import DEFAULT_MAX_LINE_BYTES, Format, decode_lines

__all__ = ["MSG_ID", "NatsSource", "ensure_stream"]

MSG_ID = "Nats-Msg-Id"
"""The JetStream header that de-duplicates publishes (pipeflow puts the event id in it)."""


async def ensure_stream(js: JetStreamContext, stream: str, subject: str) -> None:
    """Create stream ``stream`` on ``subject`` unless it exists (creating the same stream twice is fine).

    :raises nats.errors.Error: when the server refuses (e.g. another stream holds the subject).
    """
    try:
        await js.stream_info(stream)
    except nats.js.errors.NotFoundError:
        await js.add_stream(name=stream, subjects=[subject])


@final
class _Acks:
    """The batches handed out and not yet acknowledged; a task sends their acks to the server.

    ``ack()`` is synchronous (the runtime calls it), so it queues the messages for ``run``. While a
    batch is in flight ``run`` tells the server every ``touch_every_s`` that it is in progress, so a
    live but slow worker keeps its messages; a dead one stops, and they are redelivered.
    """

    def __init__(self, touch_every_s: float) -> None:
        self._send, self._receive = anyio.create_memory_object_stream[list[Msg]](math.inf)
        self._in_flight: dict[int, list[Msg]] = {}
        self._issued = 0
        self._touch_every_s = touch_every_s
        self._emptied: anyio.Event | None = None
        self.failures = 0

    def issue(self, msgs: list[Msg]) -> Callable[[], None]:
        """Record a batch's messages in flight and return the batch's ``ack``."""
        key = self._issued
        self._issued += 1
        self._in_flight[key] = msgs

        def ack() -> None:
            done = self._in_flight.pop(key, None)
            if done is None:
                return
            # After the source ended they stay unacked, so the server redelivers them.
            with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
                self._send.send_nowait(done)
            if not self._in_flight and self._emptied is not None:
                self._emptied.set()

        return ack

    async def settle(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for every batch in flight to be acknowledged."""
        with anyio.move_on_after(timeout_s):
            while self._in_flight:
                self._emptied = anyio.Event()
                await self._emptied.wait()

    def close(self) -> None:
        """No more acks: ``run`` sends those queued, then ends."""
        self._send.close()

    async def run(self) -> None:
        """Send queued acks and in-progress notices until ``close``."""
        last_touch = anyio.current_time()
        async with self._receive:
            while True:
                with anyio.move_on_after(self._touch_every_s):
                    try:
                        msgs = await self._receive.receive()
                    except anyio.EndOfStream:
                        return
                    for msg in msgs:
                        await self._send_one(msg.ack)
                if anyio.current_time() - last_touch >= self._touch_every_s:
                    last_touch = anyio.current_time()
                    for batch in list(self._in_flight.values()):
                        for msg in batch:
                            await self._send_one(msg.in_progress)

    async def _send_one(self, send: Callable[[], Awaitable[None]]) -> None:
        try:
            await send()
        except nats.errors.Error:
            self.failures += 1  # not acked: the server redelivers after ack_wait


@final
class NatsSource:
    """Reads ``subject`` of JetStream stream ``stream`` through the durable pull consumer ``durable``.

    Workers started with the same ``stream`` and ``durable`` share the work: each message goes to
    one of them. Each message's payload is one or more lines (``ndjson`` or ``lines``); a message that
    holds one event and carries ``Nats-Msg-Id`` (as ``NatsSink`` publishes) keeps that id as the event
    id, so a redelivered message yields the same event and sinks that drop duplicates by id drop it.
    The stream is created on ``subject`` when missing; the consumer is created with ``ack_wait_s``
    and ``max_ack_pending`` when missing (an existing durable keeps its settings).

    Guarantees: at least once. Each batch's ``ack`` acks every message of it; a message not acked
    within ``ack_wait_s`` (the worker died or lost its connection) is redelivered to a worker.
    On ``stop`` the source waits up to ``ack_wait_s`` for the batches in flight to be acked.
    """

    def __init__(
        self,
        name: str,
        url: str,
        stream: str,
        subject: str,
        durable: str,
        *,
        ids: IdFactory,
        clock: Clock,
        format: Format = "ndjson",
        ack_wait_s: float = 30.0,
        batch_size: int = 512,
        max_ack_pending: int = 20_000,
        fetch_timeout_s: float = 1.0,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.name = name
        self._url, self._stream, self._subject, self._durable = url, stream, subject, durable
        self._ids, self._clock, self._format = ids, clock, format
        self._ack_wait_s, self._batch_size, self._max_ack_pending = ack_wait_s, batch_size, max_ack_pending
        self._fetch_timeout_s, self._max_line_bytes = fetch_timeout_s, max_line_bytes
        self._stopping = False
        self._scope: anyio.CancelScope | None = None
        self.ack_failures = 0

    def stop(self) -> None:
        """Stop fetching; the batches in flight are still acknowledged (for up to ``ack_wait_s``)."""
        self._stopping = True
        if self._scope is not None:
            self._scope.cancel()

    async def batches(self) -> AsyncGenerator[SourceBatch, None]:
        """Yield batches of messages until ``stop``.

        :raises nats.errors.Error: when the server cannot be reached or refuses the stream or consumer.
        """
        nc = await nats.connect(self._url, name=f"pipeflow source {self.name}", max_reconnect_attempts=-1)
        acks = _Acks(self._ack_wait_s / 2)
        # nats-py is asyncio-only. The acker is a task this source owns, not a task group: a group
        # open across this generator's yields breaks callers that wrap ``anext`` in a cancel scope.
        acker: asyncio.Task[None] | None = None
        try:
            js = nc.jetstream()
            await ensure_stream(js, self._stream, self._subject)
            config = ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=self._ack_wait_s,
                max_ack_pending=self._max_ack_pending,
            )
            sub = await js.pull_subscribe(self._subject, self._durable, stream=self._stream, config=config)
            acker = asyncio.get_running_loop().create_task(acks.run())
            while not self._stopping:
                batch = await self._next(sub, acks)
                if batch is not None:
                    yield batch
            await acks.settle(self._ack_wait_s)
        finally:
            acks.close()
            with anyio.CancelScope(shield=True):
                if acker is not None:
                    with anyio.move_on_after(self._ack_wait_s):
                        await acker  # sends the acks queued; cancelled when it takes too long
                self.ack_failures = acks.failures
                await nc.close()  # flushes them

    async def _next(self, sub: JetStreamContext.PullSubscription, acks: _Acks) -> SourceBatch | None:
        msgs: list[Msg] = []
        with anyio.CancelScope() as scope:
            self._scope = scope
            if self._stopping:
                scope.cancel()
            try:
                msgs = await sub.fetch(self._batch_size, timeout=self._fetch_timeout_s)
            except TimeoutError:  # nats-py raises its own subclass, or the builtin one
                pass
            finally:
                self._scope = None
        if not msgs:
            return None
        events, rejected = self._decode(msgs)
        ack = acks.issue(msgs)
        if not events and not rejected:
            ack()
            return None
        return SourceBatch(self.name, events, rejected, ack)

    def _decode(self, msgs: list[Msg]) -> tuple[list[Event], list[Rejected]]:
        events: list[Event] = []
        rejected: list[Rejected] = []
        for msg in msgs:
            got, bad = decode_lines(
                msg.data.split(b"\n"), self._format, self.name, self._ids, self._clock, self._max_line_bytes
            )
            msg_id = msg.headers.get(MSG_ID) if msg.headers else None
            if msg_id and len(got) == 1 and not bad:
                got = [got[0].with_id(EventId(msg_id))]
            events.extend(got)
            rejected.extend(bad)
        return events, rejected
