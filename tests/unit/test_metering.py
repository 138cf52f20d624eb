"""``MeteredSink`` under a real ``SinkActor``: ``pipeflow_sink_retries_total`` agrees with the actor's
own retry count (failed opens and writes that were tried again; not the last failure, not a
non-retryable one), and only successful writes count as events out."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import anyio
import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.infrastructure.actors.budget import EventBudget
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor
from pipeflow.infrastructure.actors.messages import Delivery
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.metered_sinks import MeteredSink
from pipeflow.infrastructure.metrics import Metrics
from tests.fakes import MemoryDeadLetterStore


class Rejected(Exception):
    """A write the sink says cannot succeed on a retry."""

    retryable = False


class ScriptedSink:
    """Fails opens and writes as scripted (one entry per call; ``None``: succeed)."""

    name = "out"

    def __init__(self, opens: list[Exception | None], writes: list[Exception | None]) -> None:
        self.opens, self.writes = opens, writes
        self.written: list[object] = []

    async def open(self) -> None:
        failure = self.opens.pop(0) if self.opens else None
        if failure is not None:
            raise failure

    async def write(self, events: Sequence[Event]) -> None:
        failure = self.writes.pop(0) if self.writes else None
        if failure is not None:
            raise failure
        self.written.extend(e.fields["n"] for e in events)

    async def close(self) -> None:
        pass


async def deliver(
    sink: ScriptedSink, batches: list[list[int]], attempts: int = 3
) -> tuple[Metrics, RunStats]:
    """Each batch through a ``SinkActor`` writing to ``MeteredSink(sink)``, no backoff."""
    metrics, stats = Metrics(), RunStats()
    retry = RetryPolicy(attempts=attempts, backoff_s=0.0, rng=random.Random(0))
    dlq = DeadLetterActor(MemoryDeadLetterStore(), stats, retry)
    actor = SinkActor(
        "out",
        MeteredSink(sink, metrics),
        max_events=100,
        when_full="block",
        retry=retry,
        dead_letters=dlq,
        stats=stats,
        clock=lambda: 0.0,
    )

    async def sink_then_queue() -> None:
        await actor.run()
        await dlq.inbox.aclose()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(sink_then_queue)
            tg.start_soon(dlq.run)
            for ns in batches:
                events = [Event(EventId(f"e{n}"), EventMeta("src", 0.0), {"n": n}) for n in ns]
                await actor.offer(Delivery(events, "src", "r", None, lambda: None))
            await actor.inbox.aclose()
    return metrics, stats


async def test_a_write_that_fails_then_succeeds_is_one_retry_per_failure() -> None:
    sink = ScriptedSink([], [OSError("down"), OSError("down"), None, None])
    metrics, stats = await deliver(sink, [[1, 2], [3]])
    assert sink.written == [1, 2, 3]
    assert stats.retries == 2
    assert metrics.value("pipeflow_sink_retries_total", sink="out") == 2.0
    assert metrics.value("pipeflow_events_out_total", sink="out") == 3.0


async def test_a_failed_open_retried_counts_and_a_batch_given_up_does_not() -> None:
    # Batch 1: the open fails, then the write twice: 2 retries, then dead-lettered after 3
    # attempts. Batch 2: fails once (a retry), then is rejected as not retryable. Batch 3: written.
    sink = ScriptedSink(
        [OSError("refused")], [OSError("x"), OSError("x"), OSError("x"), Rejected("400"), None]
    )
    metrics, stats = await deliver(sink, [[1], [2], [3]])
    assert sink.written == [3]
    assert stats.retries == 3
    assert metrics.value("pipeflow_sink_retries_total", sink="out") == 3.0
    assert metrics.value("pipeflow_events_out_total", sink="out") == 1.0


def test_every_function_outcome_is_counted_per_step() -> None:
    from pipeflow.domain.engine import CompiledPipeline, Step
    from pipeflow.domain.pipeline import PipelineId
    from pipeflow.domain.ports import SourceBatch
    from pipeflow.domain.results import Drop, FnResult, Pass, Split
    from pipeflow.domain.router import Router, build_router
    from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
    from pipeflow.infrastructure.actors.routing import RouterCell
    from pipeflow.infrastructure.ids import SystemClock
    from pipeflow.infrastructure.metering import metered_planner

    def twice(e: Event) -> FnResult:
        return Split((e, e))

    def odd_only(e: Event) -> FnResult:
        return Pass(e) if int(e.fields["n"]) % 2 else Drop("even")  # type: ignore[arg-type]

    pipeline = CompiledPipeline(PipelineId("p"), 1, (Step(0, "twice", twice), Step(1, "odd", odd_only)))
    router = build_router(
        RouteTable((Route(RouteId("all"), "true", (SinkName("out"),), PipelineId("p")),)),
        {PipelineId("p"): pipeline},
    )
    assert isinstance(router, Router)
    metrics = Metrics()
    plan = metered_planner(RouterCell(router), SystemClock(), metrics)
    events = [Event(EventId(f"e{n}"), EventMeta("s", 0.0), {"n": n}) for n in range(3)]
    plan(SourceBatch("s", events))

    def count(function: str, outcome: str) -> float | None:
        return metrics.value(
            "pipeflow_function_events_total", pipeline="p", function=function, outcome=outcome
        )

    assert count("twice", "split") == 3
    assert count("odd", "pass") == 2  # the two pieces of event 1
    assert count("odd", "drop") == 4
    # the route took the six pieces: two delivered, four dropped
    assert metrics.value("pipeflow_route_events_total", route="all") == 6


class ScriptedEncodedSink(ScriptedSink):
    """A scripted sink that also takes NDJSON bytes, failing them as scripted too."""

    async def write_encoded(self, data: bytes) -> None:
        failure = self.writes.pop(0) if self.writes else None
        if failure is not None:
            raise failure
        self.written.extend(data.splitlines())


async def test_an_encoded_sink_stays_encoded_and_its_lines_are_counted() -> None:
    from pipeflow.domain.ports import EncodedSink
    from pipeflow.infrastructure.metered_sinks import MeteredEncodedSink, metered

    metrics = Metrics()
    plain, encoded = metered(ScriptedSink([], []), metrics), metered(ScriptedEncodedSink([], []), metrics)
    assert isinstance(plain, MeteredSink)
    assert not isinstance(plain, EncodedSink)
    assert isinstance(encoded, MeteredEncodedSink)
    assert isinstance(encoded, EncodedSink)
    inner = ScriptedEncodedSink([], [OSError("down"), None, None])
    sink = MeteredEncodedSink(inner, metrics)
    data = b'{"n":1}\n{"n":2}\n'
    with pytest.raises(OSError, match="down"):
        await sink.write_encoded(data)
    await sink.write_encoded(data)  # the same bytes again: a retry
    await sink.write_encoded(b'{"n":3}\n')  # other bytes: not a retry
    assert inner.written == [b'{"n":1}', b'{"n":2}', b'{"n":3}']
    assert metrics.value("pipeflow_sink_retries_total", sink="out") == 1.0
    assert metrics.value("pipeflow_events_out_total", sink="out") == 3.0


class HeldBuffer:
    """A ``DeliveryBuffer`` that only says how much it holds."""

    size_bytes = 1234
    skipped = 0

    async def put(self, delivery: Delivery) -> bool:
        raise AssertionError("not written to in this test")

    async def drain(self, closed: object, write: object, *, grouped: bool) -> None:
        raise AssertionError("not drained in this test")


@dataclass
class ActorView:
    """What ``observe_buffers`` reads of a sink actor: its memory budget and its disk buffer."""

    budget: EventBudget
    buffer: HeldBuffer | None


def test_a_disk_buffers_backlog_is_a_gauge_in_bytes() -> None:
    from pipeflow.infrastructure.metering import observe_buffers

    metrics = Metrics()
    actors = {"disk": ActorView(EventBudget(10), HeldBuffer()), "memory": ActorView(EventBudget(10), None)}
    observe_buffers(metrics, cast("Mapping[str, SinkActor]", actors))
    assert metrics.value("pipeflow_sink_buffer_bytes", sink="disk") == 1234.0
    assert metrics.value("pipeflow_sink_buffer_bytes", sink="memory") is None
    assert metrics.value("pipeflow_sink_buffer_events", sink="memory") == 0.0
