"""Where each partition of an exactly-once Kafka source stands, kept with the file sinks' lengths.

In an exactly-once run each partition's position (the next record to read) is a checkpoint in
the committer's store, committed in the same transaction as the file sinks' lengths. The broker
is told a position only once the store committed it, so its offsets trail the store's. On
assignment reading resumes at the partition's own position when that is at or past the broker's
(the broker fell behind in a crash); an own position behind the broker's is stale (another
member, or a run without exactly-once, read on since) and the broker's wins.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, final

from aiokafka import TopicPartition  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError  # type: ignore[import-untyped]

from pipeflow.infrastructure.sources.checkpoints import Checkpoint, CheckpointStore
from pipeflow.infrastructure.sources.kafka_offsets import OffsetLedger

__all__ = ["PartitionPositions", "position_key"]


def position_key(topic: str, partition: int) -> str:
    """The checkpoint ``path`` of a partition's position (never an absolute path).

    >>> position_key("logs", 3)
    'kafka:logs:3'
    """
    return f"kafka:{topic}:{partition}"


@final
class PartitionPositions:
    """The positions of source ``source``'s partitions: saved in ``store``, read from ``ledger``
    (the offsets its batches acknowledged), told to the broker once ``store`` committed them."""

    __slots__ = ("_durable", "_expect", "_ledger", "_saved", "_source", "_store", "_told")

    def __init__(self, source: str, store: CheckpointStore, ledger: OffsetLedger[TopicPartition]) -> None:
        self._source, self._store, self._ledger = source, store, ledger
        self._saved: dict[TopicPartition, int] = {}  # positions saved in ``store``
        self._durable: dict[TopicPartition, int] = {}  # positions ``store`` committed
        self._told: dict[TopicPartition, int] = {}  # the broker's committed offset, as last known
        self._expect: dict[TopicPartition, int] = {}  # the next record to hand out, per partition

    async def save(self) -> None:
        """Save the acknowledged positions that moved."""
        for tp, end in self._ledger.acked().items():
            if self._saved.get(tp) != end:
                await self._store.save(self._source, position_key(tp.topic, tp.partition), 0, end)
                self._saved[tp] = end

    def committed(self, committed: Mapping[str, Checkpoint]) -> None:
        """The store committed these (saved) positions: the broker may now be told them."""
        by_key = {position_key(tp.topic, tp.partition): tp for tp in self._saved}
        for key, (_, end) in committed.items():
            tp = by_key.get(key)
            if tp is not None and end > self._durable.get(tp, -1):
                self._durable[tp] = end

    def told(self, offsets: Mapping[TopicPartition, int]) -> None:
        """The broker committed ``offsets``."""
        self._told.update(offsets)

    def forget(self, revoked: Collection[TopicPartition]) -> None:
        """``revoked`` moved away: where they stand is found again should they come back."""
        for tp in revoked:
            self._told.pop(tp, None)
            self._expect.pop(tp, None)

    def committable(self, assigned: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        """The offsets to tell the broker: positions the store committed, never moving it back."""
        return {
            tp: end for tp, end in self._durable.items() if tp in assigned and end > self._told.get(tp, -1)
        }

    async def resume(self, consumer: Any, assigned: Collection[TopicPartition]) -> None:
        """Seek each partition assigned to where its records are not read yet.

        Called while ``consumer`` joins the group (its ``start`` may not have returned yet); records
        it fetched before the seek are dropped by ``unread``.
        """
        for tp in assigned:
            await self.resolve(consumer, tp)
            expect = self._expect.get(tp)  # (gone if ``tp`` was taken away meanwhile)
            if expect is not None and tp in consumer.assignment():
                consumer.seek(tp, expect)

    async def unread(
        self, consumer: Any, got: Mapping[TopicPartition, list[Any]]
    ) -> dict[TopicPartition, list[Any]]:
        """The records of ``got`` not in the files yet nor read by another member (``resolve``)."""
        kept: dict[TopicPartition, list[Any]] = {}
        for tp, records in got.items():
            expect = await self.resolve(consumer, tp)
            fresh = [record for record in records if record.offset >= expect]
            if fresh:
                kept[tp] = fresh
                self._expect[tp] = fresh[-1].offset + 1
        return kept

    async def resolve(self, consumer: Any, tp: TopicPartition) -> int:
        """The offset of ``tp``'s next record to hand out, found once per assignment.

        This process's own position is the later of the one committed in the store and the end
        of the last batch it read from ``tp`` (written, or being written, to the same files). It
        is used when it is at or past the broker's committed offset; behind it, it is stale, and
        the broker's offset is used.
        """
        expect = self._expect.get(tp)
        if expect is not None:
            return expect
        saved = await self._store.load(self._source, position_key(tp.topic, tp.partition))
        committed = None if saved is None else saved[1]
        known = [at for at in (committed, self._ledger.reached(tp)) if at is not None]
        own = max(known) if known else None
        try:
            broker: int | None = await consumer.committed(tp)
        except KafkaError:  # unknown: trust the position kept with the files
            broker = own
        self._told[tp] = -1 if broker is None else broker
        if committed is not None and committed > self._durable.get(tp, -1):
            self._durable[tp] = committed  # the broker is told it if it is behind
        start = max((at for at in (own, broker) if at is not None), default=0)
        if tp not in consumer.assignment():  # taken away meanwhile: found again when given back
            return start
        return self._expect.setdefault(tp, start)  # another call may have found it meanwhile
