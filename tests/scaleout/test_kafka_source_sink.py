"""``KafkaSource`` and ``KafkaSink`` against a real Kafka-protocol broker (Tansu) on 127.0.0.1."""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # type: ignore[import-untyped]
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # type: ignore[import-untyped]
from aiokafka.errors import KafkaConnectionError  # type: ignore[import-untyped]

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json
from pipeflow.domain.ports import SourceBatch
from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.kafka import KafkaSink
from pipeflow.infrastructure.sources.kafka import EVENT_ID_HEADER, KafkaSource

pytestmark = pytest.mark.scaleout

PARTITIONS = 4


@dataclass(frozen=True)
class Topic:
    bootstrap: str
    name: str
    group: str

    def source(self, name: str = "in", **kwargs: object) -> KafkaSource:
        options: dict[str, object] = {
            "batch_size": 50,
            "fetch_timeout_s": 0.2,
            "settle_s": 1.0,
            "session_timeout_s": 3.0,
            "heartbeat_interval_s": 0.2,
        } | kwargs
        return KafkaSource(
            name,
            self.bootstrap,
            self.name,
            self.group,
            ids=UlidFactory(),
            clock=SystemClock(),
            **options,  # type: ignore[arg-type]
        )

    async def committed(self) -> int:
        """The group's committed offsets, summed over the partitions."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=self.group)
        await consumer.start()
        try:
            offsets = [await consumer.committed(TopicPartition(self.name, p)) for p in range(PARTITIONS)]
            return sum(offset or 0 for offset in offsets)
        finally:
            await consumer.stop()


@pytest.fixture
async def topic(kafka_bootstrap: str) -> Topic:
    tag = uuid.uuid4().hex[:12]
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(f"logs-{tag}", PARTITIONS, 1)])
    finally:
        await admin.close()
    return Topic(kafka_bootstrap, f"logs-{tag}", f"workers-{tag}")


def events(n: int, **fields: Json) -> list[Event]:
    ids = UlidFactory()
    return [Event(ids.new_id(), EventMeta("edge", 0.0), {"n": i, **fields}) for i in range(n)]


@asynccontextmanager
async def sink_of(topic: Topic, key: str | None = None) -> AsyncIterator[KafkaSink]:
    sink = KafkaSink("out", topic.bootstrap, topic.name, key=key)
    await sink.open()
    try:
        yield sink
    finally:
        await sink.close()


async def take(batches: AsyncIterator[SourceBatch], timeout_s: float = 10.0) -> SourceBatch:
    with anyio.fail_after(timeout_s):
        return await anext(batches)


def acked(batch: SourceBatch) -> SourceBatch:
    assert batch.ack is not None
    batch.ack()
    return batch


async def test_events_produced_by_the_sink_come_out_of_the_source_with_their_ids(topic: Topic) -> None:
    sent = events(120)
    async with sink_of(topic) as sink:
        await sink.write(sent)
    got: list[Event] = []
    async with aclosing(topic.source().batches()) as batches:
        while len(got) < len(sent):
            got.extend(acked(await take(batches)).events)
    assert sorted((e.id, e.fields["n"]) for e in got) == sorted((e.id, e.fields["n"]) for e in sent)
    assert {e.meta.source for e in got} == {"in"}
    assert await topic.committed() == 120


async def test_the_key_expression_keys_each_record_and_the_id_rides_in_a_header(topic: Topic) -> None:
    sent = [Event(e.id, e.meta, {**e.fields, "host": f"h{i % 3}"}) for i, e in enumerate(events(60))]
    sent += events(3, host=None)
    async with sink_of(topic, key='"web-" + host') as sink:
        await sink.write(sent)
    reader = AIOKafkaConsumer(
        topic.name, bootstrap_servers=topic.bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await reader.start()
    records: list[Any] = []
    try:
        with anyio.fail_after(10):
            while len(records) < len(sent):
                for got in (await reader.getmany(timeout_ms=200)).values():
                    records.extend(got)
    finally:
        await reader.stop()
    partitions: dict[bytes | None, set[int]] = {}
    for record in records:
        partitions.setdefault(record.key, set()).add(record.partition)
    assert set(partitions) == {b"web-h0", b"web-h1", b"web-h2", None}
    assert all(len(held) == 1 for key, held in partitions.items() if key is not None)
    by_id = {dict(r.headers)[EVENT_ID_HEADER].decode(): r for r in records}
    assert set(by_id) == {e.id for e in sent}


def test_an_invalid_key_expression_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="key"):
        KafkaSink("out", "127.0.0.1:9", "t", key="host ==")


async def test_lines_format_bad_input_and_tombstones_are_committed_with_the_batch(topic: Topic) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=topic.bootstrap)
    await producer.start()
    try:
        for value in (b'{"a": 1}\n{"a": 2}\nnot json', b"[1]", None):
            await producer.send_and_wait(topic.name, value, key=b"k", partition=0)
    finally:
        await producer.stop()
    got: list[Event] = []
    rejected: list[bytes] = []
    async with aclosing(topic.source().batches()) as batches:
        while len(got) + len(rejected) < 4:
            batch = acked(await take(batches))
            got.extend(batch.events)
            rejected.extend(r.raw for r in batch.rejected)
    assert [e.fields for e in got] == [{"a": 1}, {"a": 2}]
    assert rejected == [b"not json", b"[1]"]
    assert await topic.committed() == 3  # the tombstone's offset too
    plain = Topic(topic.bootstrap, topic.name, topic.group + "-lines")
    async with aclosing(plain.source(format="lines").batches()) as batches:
        batch = await take(batches)
        assert batch.events[0].fields == {"message": '{"a": 1}'}
        assert batch.rejected == []


async def test_offsets_move_only_over_acknowledged_batches_in_order(topic: Topic) -> None:
    async with sink_of(topic, key='"one"') as sink:  # one key: one partition, in order
        await sink.write(events(30))
    async with aclosing(topic.source(batch_size=10).batches()) as batches:
        first, second = await take(batches), await take(batches)
        acked(second)
        await take(batches)  # commits happen before each fetch
        assert await topic.committed() == 0  # the first batch is still in flight
        acked(first)
    assert await topic.committed() == len(first.events) + len(second.events) == 20  # on close


async def test_two_members_of_one_group_share_the_partitions(topic: Topic) -> None:
    members = {"a": topic.source("a"), "b": topic.source("b")}
    seen: dict[str, list[EventId]] = {"a": [], "b": []}
    all_seen = anyio.Event()

    async def work(name: str) -> None:
        async with aclosing(members[name].batches()) as batches:
            async for batch in batches:
                seen[name].extend(e.id for e in acked(batch).events)
                if sum(map(len, seen.values())) >= 400:
                    all_seen.set()

    def shared() -> bool:  # both joined, and the partitions split between them
        held = [m.assigned for m in members.values()]
        return all(held) and sum(map(len, held)) == PARTITIONS

    with anyio.fail_after(25):
        async with anyio.create_task_group() as tg:
            for name in members:
                tg.start_soon(work, name)
            for _ in range(200):
                if shared():
                    break
                await anyio.sleep(0.1)
            async with sink_of(topic) as sink:
                await sink.write(events(400))
            await all_seen.wait()
            for member in members.values():
                member.stop()
    assert members["a"].assigned == members["b"].assigned == frozenset()
    assert seen["a"]
    assert seen["b"]
    assert len(seen["a"]) + len(seen["b"]) == 400
    assert not set(seen["a"]) & set(seen["b"])
    assert await topic.committed() == 400


async def test_a_member_cancelled_without_acking_has_its_records_redelivered_to_another(topic: Topic) -> None:
    sent = events(40)
    async with sink_of(topic) as sink:
        await sink.write(sent)
    first: list[EventId] = []
    held: list[EventId] = []
    holding = anyio.Event()

    async def doomed() -> None:
        async with aclosing(topic.source("doomed", batch_size=10).batches()) as batches:
            first.extend(e.id for e in acked(await take(batches)).events)
            held.extend(e.id for e in (await take(batches)).events)  # never acked
            holding.set()
            await anyio.sleep_forever()

    async with anyio.create_task_group() as tg:
        tg.start_soon(doomed)
        await holding.wait()
        tg.cancel_scope.cancel()
    assert len(first) == len(held) == 10
    got: set[str] = set()
    async with aclosing(topic.source("survivor").batches()) as batches:
        while len(got) < 30:
            got.update(e.id for e in acked(await take(batches)).events)
    assert got == {e.id for e in sent} - set(first)  # the acked batch was committed, the held one not
    assert set(held) <= got


async def test_stop_waits_for_the_batches_in_flight_to_be_acked(topic: Topic) -> None:
    async with sink_of(topic) as sink:
        await sink.write(events(5))
    source = topic.source()
    batches = source.batches()
    batch = await take(batches)
    source.stop()

    async def ack_later() -> None:
        await anyio.sleep(0.3)
        acked(batch)

    async with anyio.create_task_group() as tg:
        tg.start_soon(ack_later)
        with anyio.fail_after(5), pytest.raises(StopAsyncIteration):
            await anext(batches)
    assert await topic.committed() == 5


async def test_a_record_the_broker_does_not_acknowledge_fails_the_write_retryably(
    kafka_bootstrap: str,
) -> None:
    sink = KafkaSink("out", kafka_bootstrap, "not a valid topic!", timeout_s=1.0)
    await sink.open()
    try:
        with pytest.raises(SinkError) as failed:
            await sink.write(events(3))
        assert failed.value.retryable
        assert failed.value.written == 0
    finally:
        await sink.close()


async def test_unreachable_brokers_fail_the_source_and_the_sink_without_leaking_clients() -> None:
    source = KafkaSource("in", "127.0.0.1:9", "t", "g", ids=UlidFactory(), clock=SystemClock())
    with pytest.raises(KafkaConnectionError):
        await anext(source.batches())
    with pytest.raises(KafkaConnectionError):
        await KafkaSink("out", "127.0.0.1:9", "t").open()
    gc.collect()  # an unclosed aiokafka client warns when collected; warnings are errors here
