"""``NatsSource`` and ``NatsSink`` against a real ``nats-server -js`` on 127.0.0.1."""

from __future__ import annotations

import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import nats
import pytest
from nats.js.api import ConsumerInfo

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.ports import SourceBatch
from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.nats import NatsSink
from pipeflow.infrastructure.sources.nats import NatsSource

pytestmark = pytest.mark.scaleout

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Topic:
    url: str
    stream: str
    subject: str
    durable: str

    def source(self, name: str = "in", **kwargs: object) -> NatsSource:
        options: dict[str, object] = {"ack_wait_s": 1.0, "fetch_timeout_s": 0.2, "batch_size": 50} | kwargs
        return NatsSource(
            name,
            self.url,
            self.stream,
            self.subject,
            self.durable,
            ids=UlidFactory(),
            clock=SystemClock(),
            **options,  # type: ignore[arg-type]
        )

    async def consumer(self) -> ConsumerInfo:
        nc = await nats.connect(self.url)
        try:
            info: ConsumerInfo = await nc.jetstream().consumer_info(self.stream, self.durable)
            return info
        finally:
            await nc.close()

    async def stored(self) -> int:
        nc = await nats.connect(self.url)
        try:
            info = await nc.jetstream().stream_info(self.stream)
            return int(info.state.messages)
        finally:
            await nc.close()


@pytest.fixture
def topic(nats_url: str) -> Topic:
    tag = uuid.uuid4().hex[:12]
    return Topic(nats_url, f"S{tag}", f"logs.{tag}", f"workers{tag}")


def events(n: int, start: int = 0) -> list[Event]:
    ids = UlidFactory()
    return [Event(ids.new_id(), EventMeta("edge", 0.0), {"n": i}) for i in range(start, start + n)]


@asynccontextmanager
async def sink_of(topic: Topic) -> AsyncIterator[NatsSink]:
    sink = NatsSink("out", topic.url, topic.subject, stream=topic.stream)
    await sink.open()
    try:
        yield sink
    finally:
        await sink.close()


async def take(batches: AsyncIterator[SourceBatch], timeout_s: float = 5.0) -> SourceBatch:
    with anyio.fail_after(timeout_s):
        return await anext(batches)


async def test_events_published_by_the_sink_come_out_of_the_source_with_their_ids(topic: Topic) -> None:
    sent = events(120)
    async with sink_of(topic) as sink:
        await sink.write(sent)
    got: list[Event] = []
    async with aclosing(topic.source().batches()) as batches:
        while len(got) < len(sent):
            batch = await take(batches)
            got.extend(batch.events)
            assert batch.ack is not None
            batch.ack()
        await anyio.sleep(0.2)
        assert (await topic.consumer()).num_ack_pending == 0
    assert [(e.id, e.fields) for e in got] == [(e.id, e.fields) for e in sent]
    assert {e.meta.source for e in got} == {"in"}


async def test_a_resent_batch_is_stored_once(topic: Topic) -> None:
    sent = events(30)
    async with sink_of(topic) as sink:
        await sink.write(sent)
        await sink.write(sent)
        await sink.write(sent[:5] + events(2, 100))
        assert sink.duplicates == 35
    assert await topic.stored() == 32


async def test_lines_format_and_bad_input_are_acked_with_the_batch(topic: Topic) -> None:
    nc = await nats.connect(topic.url)
    js = nc.jetstream()
    await js.add_stream(name=topic.stream, subjects=[topic.subject])
    await js.publish(topic.subject, b'{"a": 1}\n{"a": 2}\nnot json')
    await js.publish(topic.subject, b"[1]")
    await nc.close()
    async with aclosing(topic.source().batches()) as batches:
        batch = await take(batches)
        assert [e.fields for e in batch.events] == [{"a": 1}, {"a": 2}]
        assert [r.raw for r in batch.rejected] == [b"not json", b"[1]"]
        assert batch.ack is not None
        batch.ack()
        await anyio.sleep(0.2)
        assert (await topic.consumer()).num_ack_pending == 0
    plain = Topic(topic.url, topic.stream, topic.subject, topic.durable + "lines")
    async with aclosing(plain.source(format="lines").batches()) as batches:
        batch = await take(batches)
        assert batch.events[0].fields == {"message": '{"a": 1}'}
        assert batch.rejected == []


async def test_two_workers_on_one_durable_share_the_messages(topic: Topic) -> None:
    async with sink_of(topic) as sink:
        await sink.write(events(400))
    seen: dict[str, list[EventId]] = {"a": [], "b": []}

    async def work(name: str) -> None:
        async with aclosing(topic.source(name, batch_size=20).batches()) as batches:
            while sum(map(len, seen.values())) < 400:
                with anyio.move_on_after(0.5):
                    batch = await anext(batches)
                    seen[name].extend(e.id for e in batch.events)
                    assert batch.ack is not None
                    batch.ack()
                    await anyio.sleep(0.01)  # let the other worker fetch too

    with anyio.fail_after(15):
        async with anyio.create_task_group() as tg:
            tg.start_soon(work, "a")
            tg.start_soon(work, "b")
    assert seen["a"]
    assert seen["b"]
    assert len(set(seen["a"]) | set(seen["b"])) == 400
    assert not set(seen["a"]) & set(seen["b"])


async def test_a_worker_killed_mid_batch_has_its_messages_redelivered_to_another(topic: Topic) -> None:
    sent = events(30)
    async with sink_of(topic) as sink:
        await sink.write(sent)
    doomed = topic.source("doomed", batch_size=10).batches()
    held = await take(doomed)
    assert len(held.events) == 10
    await doomed.aclose()  # killed: the batch in hand is never acked
    got: list[EventId] = []
    async with aclosing(topic.source("survivor", batch_size=10).batches()) as batches:
        with anyio.fail_after(8):
            while len(set(got)) < 30:
                batch = await anext(batches)
                got.extend(e.id for e in batch.events)
                assert batch.ack is not None
                batch.ack()
    assert sorted(set(got)) == sorted(e.id for e in sent)
    assert {e.id for e in held.events} <= set(got)  # delivered to the doomed worker, then redelivered


WORKER = """
import sys, anyio
from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.sources.nats import NatsSource

async def main() -> None:
    url, stream, subject, durable = sys.argv[1:]
    source = NatsSource("w", url, stream, subject, durable, ids=UlidFactory(), clock=SystemClock(),
                        ack_wait_s=1.0, batch_size=10)
    async for batch in source.batches():
        print(" ".join(e.id for e in batch.events), flush=True)
        await anyio.sleep(3600)  # never acks

anyio.run(main)
"""


async def test_a_worker_process_killed_with_sigkill_has_its_batch_redelivered(topic: Topic) -> None:
    sent = events(25)
    async with sink_of(topic) as sink:
        await sink.write(sent)
    args = [sys.executable, "-c", WORKER, topic.url, topic.stream, topic.subject, topic.durable]
    async with await anyio.open_process(args, cwd=ROOT) as worker:
        assert worker.stdout is not None
        with anyio.fail_after(10):
            line = b""
            while not line.endswith(b"\n"):
                line += await worker.stdout.receive()
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
    held = set(line.decode().split())
    assert len(held) == 10
    got: set[str] = set()
    async with aclosing(topic.source("survivor", batch_size=10).batches()) as batches:
        with anyio.fail_after(8):
            while len(got) < 25:
                batch = await anext(batches)
                got.update(e.id for e in batch.events)
                assert batch.ack is not None
                batch.ack()
    assert got == {e.id for e in sent}
    assert held <= got


async def test_a_slow_batch_is_kept_while_its_worker_lives(topic: Topic) -> None:
    async with sink_of(topic) as sink:
        await sink.write(events(5))
    async with aclosing(topic.source("slow").batches()) as slow:
        batch = await take(slow)
        async with aclosing(topic.source("idle").batches()) as other:
            with anyio.move_on_after(2.5):  # over twice ack_wait: in-progress notices keep it
                stolen = await anext(other)
                pytest.fail(f"redelivered while its worker lived: {stolen.events}")
        assert batch.ack is not None
        batch.ack()
        await anyio.sleep(0.2)
    info = await topic.consumer()
    assert (info.num_ack_pending, info.num_redelivered) == (0, 0)


async def test_stop_waits_for_the_batches_in_flight_to_be_acked(topic: Topic) -> None:
    async with sink_of(topic) as sink:
        await sink.write(events(5))
    source = topic.source()
    batches = source.batches()
    batch = await take(batches)
    source.stop()
    assert batch.ack is not None
    ack = batch.ack

    async def ack_later() -> None:
        await anyio.sleep(0.3)
        ack()

    async with anyio.create_task_group() as tg:
        tg.start_soon(ack_later)
        with anyio.fail_after(3), pytest.raises(StopAsyncIteration):
            await anext(batches)
    info = await topic.consumer()
    assert (info.num_ack_pending, info.num_pending) == (0, 0)


async def test_the_sink_without_a_stream_for_its_subject_fails_retryably(nats_url: str) -> None:
    sink = NatsSink("out", nats_url, f"nowhere.{uuid.uuid4().hex}", timeout_s=2.0)
    await sink.open()
    try:
        with pytest.raises(SinkError) as failed:
            await sink.write(events(3))
        assert failed.value.retryable
        assert failed.value.written == 0
    finally:
        await sink.close()
