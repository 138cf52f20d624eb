"""A Kafka source's positions under an exactly-once run, without a broker: saved as checkpoints,
committed by the ``Committer`` with the sinks' lengths, told to the broker only once committed,
and resumed from on assignment unless the broker's offset is past them (a stale position)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiokafka import TopicPartition  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError  # type: ignore[import-untyped]

from pipeflow.domain.ports import BrokerSource
from pipeflow.infrastructure.actors.committer import Committer
from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.sources.checkpoints import MemoryCheckpointStore
from pipeflow.infrastructure.sources.kafka import KafkaSource
from pipeflow.infrastructure.sources.kafka_positions import PartitionPositions, position_key
from pipeflow.infrastructure.sqlite.checkpoints import SqliteCheckpointStore
from pipeflow.infrastructure.sqlite.sink_commits import SqliteSinkCommits
from pipeflow.infrastructure.sqlite.state_db import open_state_db

P0, P1 = TopicPartition("logs", 0), TopicPartition("logs", 1)


class FakeConsumer:
    """What the source asks of aiokafka's consumer: the assignment, committed offsets, seek, commit."""

    def __init__(self, committed: dict[TopicPartition, int | None], *, fail: bool = False) -> None:
        self.broker = dict(committed)
        self.fail = fail
        self.seeks: dict[TopicPartition, int] = {}
        self.commits: list[dict[TopicPartition, int]] = []

    def assignment(self) -> set[TopicPartition]:
        return {P0, P1}

    async def committed(self, tp: TopicPartition) -> int | None:
        if self.fail:
            raise KafkaError("coordinator not available")
        return self.broker.get(tp)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks[tp] = offset

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))
        self.broker.update(offsets)


def _source(positions: Any) -> KafkaSource:
    return KafkaSource(
        "bus", "127.0.0.1:1", "logs", "g", ids=UlidFactory(), clock=SystemClock(), positions=positions
    )


def _positions(source: KafkaSource) -> PartitionPositions:
    assert source._positions is not None
    return source._positions


def _acked(source: KafkaSource, ends: dict[TopicPartition, int]) -> None:
    source._ledger.issue(ends)()


async def test_a_position_saved_at_or_past_the_brokers_is_sought_a_stale_one_is_not() -> None:
    store = MemoryCheckpointStore()
    await store.save("bus", position_key("logs", 0), 0, 500)  # the broker fell behind in a crash
    await store.save("bus", position_key("logs", 1), 0, 100)  # another member read on since
    source = _source(store)
    source._consumer = consumer = FakeConsumer({P0: 300, P1: 800})
    await source._resume(consumer, [P0, P1])
    assert consumer.seeks == {P0: 500, P1: 800}
    await source._commit()  # the broker catches up with what the files hold, never goes back
    assert consumer.commits == [{P0: 500}]


async def test_without_the_brokers_offset_the_saved_position_is_trusted() -> None:
    store = MemoryCheckpointStore()
    await store.save("bus", position_key("logs", 0), 0, 42)
    source = _source(store)
    source._consumer = consumer = FakeConsumer({}, fail=True)
    await source._resume(consumer, [P0, P1])
    assert consumer.seeks == {P0: 42, P1: 0}


def _record(offset: int) -> Any:
    return type("Record", (), {"offset": offset, "value": b'{"n": %d}' % offset, "headers": []})()


async def test_records_fetched_before_the_seek_are_not_handed_out_again() -> None:
    """aiokafka may fetch from the broker's offset before the listener has sought: records before
    the source's own position are in the files already and are dropped, once and for all."""
    store = MemoryCheckpointStore()
    await store.save("bus", position_key("logs", 0), 0, 5)
    source = _source(store)
    consumer = FakeConsumer({P0: 2})
    got = await _positions(source).unread(consumer, {P0: [_record(k) for k in range(2, 8)]})
    assert [r.offset for r in got[P0]] == [5, 6, 7]
    await source._resume(consumer, [P0])  # the listener comes late: it seeks to what is unread
    assert consumer.seeks == {P0: 8}
    again = await _positions(source).unread(consumer, {P0: [_record(k) for k in range(6, 10)]})
    assert [r.offset for r in again[P0]] == [8, 9]


async def test_the_broker_is_told_only_positions_the_store_committed(tmp_path: Path) -> None:
    conn = await open_state_db(str(tmp_path / "state.db"))
    checkpoints = SqliteCheckpointStore(conn)
    await checkpoints.ensure()
    await SqliteSinkCommits(conn).ensure()
    committer = await Committer.open(str(tmp_path / "state.db"), checkpoints, {}, {})
    try:
        source = _source(committer)
        assert isinstance(source, BrokerSource)
        source._consumer = consumer = FakeConsumer({P0: None, P1: None})
        await source._resume(consumer, [P0, P1])
        _acked(source, {P0: 10, P1: 7})
        await source.save_checkpoints()  # staged in the committer, not committed yet
        await source._commit()
        assert consumer.commits == []
        assert await checkpoints.load("bus", position_key("logs", 0)) is None
        await committer.flush([source])  # committed: now the broker may hear of them
        assert await checkpoints.load("bus", position_key("logs", 0)) == (0, 10)
        await source._commit()
        assert consumer.commits == [{P0: 10, P1: 7}]
        _acked(source, {P0: 25})
        await committer.flush([source])
        await source._commit()
        await source._commit()  # nothing new: nothing sent
        assert consumer.commits == [{P0: 10, P1: 7}, {P0: 25}]
    finally:
        await committer.aclose()
        await conn.close()


async def test_without_positions_the_source_commits_its_acks_and_saves_nothing() -> None:
    source = KafkaSource("bus", "127.0.0.1:1", "logs", "g", ids=UlidFactory(), clock=SystemClock())
    source._consumer = consumer = FakeConsumer({})
    await source._resume(consumer, [P0])
    assert consumer.seeks == {}  # it reads from the broker's offsets
    _acked(source, {P0: 3})
    await source.save_checkpoints()
    await source._commit()
    assert consumer.commits == [{P0: 3}]


async def test_a_partition_taken_away_and_given_back_resumes_after_its_batches_in_flight() -> None:
    """A rebalance within one process: the batches read before the revocation are still written
    to the files (and committed with them), so reading resumes after them, not at the commit."""
    store = MemoryCheckpointStore()
    await store.save("bus", position_key("logs", 1), 0, 5)
    source = _source(store)
    source._consumer = consumer = FakeConsumer({P0: None, P1: 5})
    await source._resume(consumer, [P0, P1])
    source._ledger.issue({P1: 9})  # in flight when P1 is taken away
    source._closing = True  # no settling
    await source._release([P1])
    await source._resume(consumer, [P1])
    assert consumer.seeks[P1] == 9
    consumer.broker[P1] = 20  # another member read on meanwhile: its offset wins
    await source._release([P1])
    await source._resume(consumer, [P1])
    assert consumer.seeks[P1] == 20


async def test_without_positions_a_revoked_partition_is_forgotten() -> None:
    source = KafkaSource("bus", "127.0.0.1:1", "logs", "g", ids=UlidFactory(), clock=SystemClock())
    source._consumer = FakeConsumer({})
    ack = source._ledger.issue({P1: 9})
    source._closing = True
    await source._release([P1])
    ack()
    assert source._ledger.acked() == {}
