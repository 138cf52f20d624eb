"""``KafkaSource``: a consumer-group member whose offsets move only after pipeflow's end-to-end ack.

Workers started with the same ``topic`` and ``group_id`` share the topic's partitions. Offsets are
committed by hand (``enable_auto_commit=False``), per partition, over the longest prefix of batches
the runtime acknowledged (``OffsetLedger``). Records not committed when a partition moves to
another member (a rebalance, a worker stopped or dead) are read again by that member: at least
once, never lost.

With a ``positions`` store (an exactly-once run's committer) the source also keeps each
partition's position as a checkpoint, committed with the file sinks' lengths, and resumes there
(``seek``) rather than at the broker's committed offset, which it moves only to positions
committed in the store: a crash between a write and the broker's commit neither repeats nor
loses a record in those files.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Collection, Mapping, Sequence
from typing import Any, final

import anyio
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError  # type: ignore[import-untyped]

from pipeflow.domain.events import Event, EventId
from pipeflow.domain.ports import Clock, IdFactory, Rejected, SourceBatch
from pipeflow.infrastructure.sources.checkpoints import Checkpoint, CheckpointStore
from pipeflow.infrastructure.sources.decode import DEFAULT_MAX_LINE_BYTES, Format, decode_lines
from pipeflow.infrastructure.sources.kafka_offsets import OffsetLedger
from pipeflow.infrastructure.sources.kafka_positions import PartitionPositions

__all__ = ["EVENT_ID_HEADER", "KafkaSource"]

EVENT_ID_HEADER = "pipeflow-event-id"
"""The record header that carries the event id (``KafkaSink`` sets it; ``KafkaSource`` keeps it)."""


@final
class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Before partitions move away: wait a little for their acks, commit, forget the rest."""

    def __init__(self, source: KafkaSource, consumer: Any) -> None:
        self._source, self._consumer = source, consumer

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        """Commit what was acknowledged of ``revoked``; its other records go to the next owner."""
        await self._source._release(revoked)

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        """Reading resumes at each partition's committed offset, or at its saved position."""
        await self._source._resume(self._consumer, assigned)


@final
class KafkaSource:
    """Reads ``topic`` as a member of consumer group ``group_id``.

    Each record's value is one or more lines (``ndjson`` or ``lines``); a record that holds one
    event and carries the ``pipeflow-event-id`` header (as ``KafkaSink`` writes) keeps that id, so a
    redelivered record yields the same event and sinks that drop duplicates by id drop it.
    Records without a value (tombstones) are skipped.

    Guarantees: at least once. A batch's ``ack`` lets its partitions' offsets move; they are
    committed before the next fetch, when partitions are revoked (after waiting up to ``settle_s``
    for the batches of those partitions in flight) and on ``stop`` (after waiting up to
    ``settle_s`` for every batch in flight). A member that dies without committing is dropped
    from the group after ``session_timeout_s``, and its partitions resume at the last commit.

    With ``positions`` (exactly-once runs) ``save_checkpoints`` saves each partition's
    acknowledged position there (``position_key``: offset = the next record to read), and the
    broker is told a position only once ``checkpoints_committed`` says the store committed it: the
    broker's offsets trail the store's. A partition assigned resumes at its own position (the
    saved one, or the end of what this process already read from it) when that is at or past the
    broker's (the broker fell behind in a crash); an own position behind the broker's is stale
    (another member, or a run without exactly-once, read on since) and the broker's wins. The
    listener seeks there, and records before it that aiokafka fetched before the seek are dropped
    (``PartitionPositions.unread``), as is any record before one already handed out. A saved position is never
    ahead of what the store's files hold, so nothing is skipped; what a member wrote before its
    partition moved to another may be written by both (at least once across members). With
    ``positions`` a revoked partition's batches in flight still count (they are written).
    """

    def __init__(
        self,
        name: str,
        bootstrap_servers: str,
        topic: str,
        group_id: str,
        *,
        ids: IdFactory,
        clock: Clock,
        format: Format = "ndjson",
        batch_size: int = 512,
        fetch_timeout_s: float = 1.0,
        settle_s: float = 5.0,
        session_timeout_s: float = 10.0,
        heartbeat_interval_s: float = 3.0,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        positions: CheckpointStore | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.name = name
        self._servers, self._topic, self._group = bootstrap_servers, topic, group_id
        self._ids, self._clock, self._format = ids, clock, format
        self._batch_size, self._fetch_timeout_s, self._settle_s = batch_size, fetch_timeout_s, settle_s
        self._session_ms, self._heartbeat_ms = (
            round(session_timeout_s * 1000),
            round(heartbeat_interval_s * 1000),
        )
        self._max_line_bytes = max_line_bytes
        self._ledger = OffsetLedger[TopicPartition]()
        self._positions = PartitionPositions(name, positions, self._ledger) if positions is not None else None
        self._acked = anyio.Event()
        self._consumer: Any = None
        self._stopping = False
        self._closing = False  # ended without ``stop``: do not wait for acks that will not come
        self._scope: anyio.CancelScope | None = None
        self.commit_failures = 0

    @property
    def assigned(self) -> frozenset[int]:
        """The partitions of ``topic`` this member holds now (empty before it joined the group)."""
        consumer = self._consumer
        if consumer is None:
            return frozenset()
        return frozenset(tp.partition for tp in consumer.assignment() if tp.topic == self._topic)

    async def save_checkpoints(self) -> None:
        """Save the acknowledged positions that moved in ``positions`` (none without it)."""
        if self._positions is not None:
            await self._positions.save()

    def checkpoints_committed(self, committed: Mapping[str, Checkpoint]) -> None:
        """``positions`` committed these (saved) positions: the broker may now be told them."""
        if self._positions is not None:
            self._positions.committed(committed)

    def stop(self) -> None:
        """Stop fetching; the batches in flight are still committed once acked (for up to ``settle_s``)."""
        self._stopping = True
        if self._scope is not None:
            self._scope.cancel()

    async def batches(self) -> AsyncGenerator[SourceBatch, None]:
        """Yield batches of records until ``stop``.

        :raises aiokafka.errors.KafkaError: when the brokers cannot be reached.
        """
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._servers,
            group_id=self._group,
            client_id=f"pipeflow-{self.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self._session_ms,
            heartbeat_interval_ms=self._heartbeat_ms,
            rebalance_timeout_ms=max(self._session_ms, round(self._settle_s * 1000) + 1000),
        )
        consumer.subscribe([self._topic], listener=_Rebalance(self, consumer))
        try:
            await consumer.start()
            self._consumer = consumer
            while not self._stopping:
                await self._commit()
                batch = await self._next(consumer)
                if batch is not None:
                    yield batch
            await self._settle(None)
        finally:
            self._closing = True
            with anyio.CancelScope(shield=True):
                await self._commit()
                self._consumer = None
                await consumer.stop()

    async def _next(self, consumer: Any) -> SourceBatch | None:
        got: dict[TopicPartition, list[Any]] = {}
        with anyio.CancelScope() as scope:
            self._scope = scope
            if self._stopping:
                scope.cancel()
            try:
                got = await consumer.getmany(
                    timeout_ms=round(self._fetch_timeout_s * 1000), max_records=self._batch_size
                )
            finally:
                self._scope = None
        if got and self._positions is not None:
            got = await self._positions.unread(consumer, got)
        if not got:
            return None
        events, rejected = self._decode([record for records in got.values() for record in records])
        issued = self._ledger.issue({tp: records[-1].offset + 1 for tp, records in got.items()})

        def ack() -> None:
            issued()
            # Wake every waiter (``_settle`` may run for a revocation and for ``stop`` at once).
            self._acked.set()
            self._acked = anyio.Event()

        if not events and not rejected:
            ack()
            return None
        return SourceBatch(self.name, events, rejected, ack)

    def _decode(self, records: Sequence[Any]) -> tuple[list[Event], list[Rejected]]:
        events: list[Event] = []
        rejected: list[Rejected] = []
        for record in records:
            value: bytes | None = record.value
            if value is None:
                continue
            got, bad = decode_lines(
                value.split(b"\n"), self._format, self.name, self._ids, self._clock, self._max_line_bytes
            )
            event_id = _header(record.headers, EVENT_ID_HEADER)
            if event_id and len(got) == 1 and not bad:
                got = [got[0].with_id(EventId(event_id))]
            events.extend(got)
            rejected.extend(bad)
        return events, rejected

    async def _settle(self, partitions: Collection[TopicPartition] | None) -> None:
        """Wait up to ``settle_s`` for the batches in flight (of ``partitions``, else all) to be acked."""
        with anyio.move_on_after(self._settle_s):
            while self._ledger.in_flight(partitions):
                await self._acked.wait()

    async def _release(self, revoked: Collection[TopicPartition]) -> None:
        """Called before ``revoked`` move away: settle them (unless closing), commit, forget.

        With ``positions`` their batches in flight still count: they are written to the files
        and their positions committed with them, so should the partitions come back, reading
        resumes after them (``_resume``).
        """
        if not self._closing:
            await self._settle(revoked)
        await self._commit()
        if self._positions is None:
            self._ledger.forget(revoked)  # the next owner reads again what was not committed
        else:
            self._positions.forget(revoked)

    async def _resume(self, consumer: Any, assigned: Collection[TopicPartition]) -> None:
        """With ``positions``: seek each partition assigned to where its records are not read yet."""
        if self._positions is not None:
            await self._positions.resume(consumer, assigned)

    def _committable(self, assigned: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        """The offsets to commit now: acknowledged ones, or with ``positions`` those it committed."""
        if self._positions is None:
            return {tp: end for tp, end in self._ledger.uncommitted().items() if tp in assigned}
        return self._positions.committable(assigned)

    async def _commit(self) -> None:
        """Commit ``_committable`` offsets of the partitions still assigned; a failure is retried later."""
        consumer = self._consumer
        if consumer is None:
            return
        offsets = self._committable(consumer.assignment())
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except KafkaError:
            self.commit_failures += 1  # kept uncommitted: the next commit retries it
        else:
            self._ledger.mark_committed(offsets)
            if self._positions is not None:
                self._positions.told(offsets)


def _header(headers: Sequence[tuple[str, bytes]] | None, name: str) -> str | None:
    for key, value in headers or ():
        if key == name:
            try:
                return value.decode("ascii")
            except UnicodeDecodeError:
                return None
    return None
