"""A sink's disk buffer: deliveries kept in a ``DiskQueue``, acknowledged once durable, drained in order.

``put`` appends a delivery's record and hands its ``done`` to the syncer; the syncer fsyncs all
that was appended meanwhile in one call (group commit: one fsync per burst of appends, never an
acknowledgement before the fsync) and only then acknowledges them to the source. ``drain`` reads
the records back one by one, rebuilt as deliveries whose ``done`` frees their segment, and hands
them to the sink actor's write (which retries a sink that is down for as long as it takes).
After each group written, the queue's read position is saved (``DiskQueue.commit``), so a restart
after a crash sends again at most the group that was in flight.

A full disk (``ENOSPC``, ``EDQUOT`` from an append) is a full buffer: under ``block`` ``put``
waits until a record is freed or a pause (0.05 s doubling to 1 s) has passed and tries again;
under the other policies it refuses the delivery (dropped and counted, or dead-lettered). Nothing
is acknowledged that is not durable, so no event is lost silently either way.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Protocol, final

import anyio
import orjson
from anyio.streams.memory import MemoryObjectReceiveStream

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.record_framing import HEADER_BYTES
from pipeflow.infrastructure.actors.disk_queue import DiskQueue, QueuedRecord
from pipeflow.infrastructure.actors.messages import Delivery
from pipeflow.infrastructure.actors.plan import Encoded

__all__ = ["DeliveryBuffer", "DiskBuffer", "RunSync", "decode_delivery", "encode_delivery"]

_Write = Callable[[list[Delivery]], Awaitable[None]]

RunSync = Callable[[Callable[[], None]], Awaitable[None]]
"""How a blocking call (the fsync) is run off the event loop."""

_log = logging.getLogger("pipeflow.buffer")

_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
_FULL_PAUSE_S = (0.05, 1.0)
"""Under ``block``, a full disk is tried again after this pause, doubling up to the cap."""


class DeliveryBuffer(Protocol):
    """What a sink actor needs of a buffer kept outside its memory."""

    @property
    def size_bytes(self) -> int:
        """The bytes the buffer holds."""
        ...

    @property
    def skipped(self) -> int:
        """Damaged records skipped so far."""
        ...

    async def put(self, delivery: Delivery) -> bool:
        """Keep ``delivery`` (acknowledged once safe); False when full under a non-blocking policy."""
        ...

    async def drain(
        self, closed: MemoryObjectReceiveStream[Delivery], write: _Write, *, grouped: bool
    ) -> None:
        """Hand what is kept to ``write`` in order until ``closed`` ends and nothing is left
        (NDJSON records several at a time when ``grouped``)."""
        ...


def encode_delivery(delivery: Delivery) -> bytes:
    """A delivery as a record payload: a JSON head line, then NDJSON (events as ``[id, at, fields]``)."""
    encoded = delivery.encoded
    at = encoded.meta.received_at if encoded is not None else 0.0
    head = [delivery.source, delivery.route, delivery.pipeline, encoded is not None, at]
    if encoded is not None:
        return orjson.dumps(head) + b"\n" + encoded.data
    lines = b"".join(orjson.dumps([e.id, e.meta.received_at, e.fields]) + b"\n" for e in delivery.events)
    return orjson.dumps(head) + b"\n" + lines


def decode_delivery(payload: bytes, done: Callable[[], None]) -> Delivery:
    """The delivery of ``encode_delivery``'s payload, its ``done`` being ``done``."""
    cut = payload.index(b"\n") + 1
    source, route, pipeline, is_encoded, at = orjson.loads(payload[:cut])
    body = payload[cut:]
    if is_encoded:
        encoded = Encoded(body, body.count(b"\n"), EventMeta(source, at))
        return Delivery([], source, route, pipeline, done, encoded)
    events = []
    for line in body.split(b"\n")[:-1]:
        event_id, received_at, fields = orjson.loads(line)
        events.append(Event(EventId(event_id), EventMeta(source, received_at), fields))
    return Delivery(events, source, route, pipeline, done)


@final
class DiskBuffer:
    """A ``DeliveryBuffer`` on disk, bounded by ``max_bytes`` (see the module doc)."""

    def __init__(
        self,
        queue: DiskQueue,
        *,
        max_bytes: int,
        block: bool,
        group_bytes: int,
        run_sync: RunSync = anyio.to_thread.run_sync,
    ) -> None:
        self.queue = queue
        self.max_bytes = max_bytes
        self.block = block
        self.group_bytes = group_bytes
        self.run_sync = run_sync  # a worker thread; a simulation on virtual time runs it inline
        self.disk_full = False
        self._acks: list[Callable[[], None]] = []
        self._appended = anyio.Event()
        self._dirty = anyio.Event()
        self._freed = anyio.Event()
        self._carried: Delivery | None = None

    @property
    def size_bytes(self) -> int:
        """The bytes in the queue's segment files."""
        return self.queue.size_bytes

    @property
    def skipped(self) -> int:
        """Damaged records skipped so far (a torn tail after a crash, a flipped byte)."""
        return self.queue.skipped

    async def put(self, delivery: Delivery) -> bool:
        """Append ``delivery``; wait for room under ``block``, else refuse when ``max_bytes`` is reached
        or the disk is full.

        :raises OSError: the append failed for another reason than a full disk.
        """
        payload = encode_delivery(delivery)
        need = len(payload) + HEADER_BYTES
        pause = _FULL_PAUSE_S[0]
        while True:
            while self.queue.size_bytes and self.queue.size_bytes + need > self.max_bytes:
                if not self.block:
                    return False
                await self._freed.wait()
                self._freed = anyio.Event()
            try:
                self.queue.append(payload)
                break
            except OSError as exc:
                if exc.errno not in _NO_SPACE:
                    raise
                if not self.disk_full:
                    _log.warning("disk buffer %s: disk full: %s", self.queue.directory, exc)
                    self.disk_full = True
                if not self.block:
                    return False
            with anyio.move_on_after(pause):  # a record freed, or the pause over: try again
                await self._freed.wait()
            if self._freed.is_set():
                self._freed = anyio.Event()
            pause = min(pause * 2, _FULL_PAUSE_S[1])
        if self.disk_full:
            _log.warning("disk buffer %s: room on disk again", self.queue.directory)
            self.disk_full = False
        self._acks.append(delivery.done)
        self._appended.set()
        self._dirty.set()
        return True

    async def drain(
        self, closed: MemoryObjectReceiveStream[Delivery], write: _Write, *, grouped: bool
    ) -> None:
        """Sync and acknowledge appends, and write what is kept, until input ended and all is written."""
        limit = self.group_bytes if grouped else 0
        ended = anyio.Event()

        async def watch() -> None:
            async for _ in closed:  # nothing is sent here: the router only closes it
                pass
            ended.set()
            self._appended.set()

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(watch)
                group.start_soon(self._sync_loop)
                while True:
                    carried, self._carried = self._carried, None
                    batch = [carried] if carried is not None else self._read_group(limit)
                    if batch:
                        await write(batch)
                        self.queue.commit()  # when the disk is full, the next group's commit saves it
                        continue
                    if ended.is_set() and not self.queue.unread:
                        break
                    await self._appended.wait()
                    self._appended = anyio.Event()
                group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await self._sync_now()
                self.queue.close()

    def _read_group(self, limit: int) -> list[Delivery]:
        """The next records (NDJSON ones together, up to ``limit`` bytes) as deliveries."""
        group: list[Delivery] = []
        size = 0
        while not group or (size < limit and group[-1].encoded is not None):
            record = self.queue.read()
            if record is None:
                break
            delivery = decode_delivery(record.payload, partial(self._done, record))
            if group and delivery.encoded is None:  # cannot happen for one sink; kept apart anyway
                self._carried = delivery
                break
            group.append(delivery)
            size += len(record.payload)
        return group

    def _done(self, record: QueuedRecord) -> None:
        self.queue.done(record)
        self._freed.set()

    async def _sync_loop(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty = anyio.Event()
            await self._sync_now()

    async def _sync_now(self) -> None:
        acks, self._acks = self._acks, []
        if acks:
            await self.run_sync(self.queue.sync)
        for ack in acks:
            ack()
