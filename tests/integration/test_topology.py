"""The actor topology with in-memory sources and sinks: delivery, acks, retries, dead letters."""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator, Callable, Sequence

import anyio
import anyio.lowlevel

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.ports import Rejected, SourceBatch
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor
from pipeflow.infrastructure.actors.plan import BatchPlan, SinkPart
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.sink_actor import SinkActor, WhenFull
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.actors.topology import Topology
from tests.fakes import MemoryDeadLetterStore

_ids = itertools.count()


class Ids:
    def new_id(self) -> EventId:
        return EventId(f"id{next(_ids)}")


class ListSource:
    def __init__(self, name: str, batches: list[list[int]], rejected: int = 0) -> None:
        self.name = name
        self.data = batches
        self.rejected = rejected
        self.acked: list[int] = []

    async def batches(self) -> AsyncIterator[SourceBatch]:
        for i, values in enumerate(self.data):
            events = [Event(EventId(f"{self.name}-{v}"), EventMeta(self.name, 0.0), {"v": v}) for v in values]
            rej = [Rejected(b"{bad", "invalid JSON")] * (self.rejected if i == 0 else 0)
            yield SourceBatch(self.name, events, rej, ack=self._acker(i))

    def _acker(self, i: int) -> Callable[[], None]:
        return lambda: self.acked.append(i)

    def stop(self) -> None:
        pass


class ListSink:
    def __init__(self, name: str, fail_times: int = 0, delay: float = 0.0) -> None:
        self.name = name
        self.written: list[int] = []
        self.fail_times = fail_times
        self.delay = delay
        self.closed = False

    async def open(self) -> None:
        pass

    async def write(self, events: Sequence[Event]) -> None:
        if self.delay:
            await anyio.sleep(self.delay)
        if self.fail_times:
            self.fail_times -= 1
            raise OSError("boom")
        self.written.extend(int(e.fields["v"]) for e in events)  # type: ignore[arg-type]

    async def close(self) -> None:
        self.closed = True


def fan_out(batch: SourceBatch) -> BatchPlan:
    evens = [e for e in batch.events if int(e.fields["v"]) % 2 == 0]  # type: ignore[arg-type]
    return BatchPlan(
        parts=[SinkPart("a", batch.events, "all", None), SinkPart("b", evens, "even", None)],
        unmatched=0,
    )


def build(
    sources: list[ListSource], sinks: list[ListSink], *, when_full: WhenFull = "block", max_events: int = 100
) -> tuple[Topology, MemoryDeadLetterStore]:
    stats = RunStats()
    store = MemoryDeadLetterStore()
    retry = RetryPolicy(attempts=3, backoff_s=0.001, max_backoff_s=0.002, rng=random.Random(1))
    dlq = DeadLetterActor(store, stats, retry)
    actors = {
        s.name: SinkActor(
            s.name,
            s,
            max_events=max_events,
            when_full=when_full,
            retry=retry,
            dead_letters=dlq,
            stats=stats,
            clock=lambda: 0.0,
        )
        for s in sinks
    }
    topo = Topology({s.name: s for s in sources}, actors, dlq, fan_out, stats, lambda: 0.0, Ids())
    return topo, store


async def test_every_event_reaches_every_sink_and_batches_are_acked() -> None:
    src = ListSource("s", [[1, 2, 3], [4, 5], [6]])
    a, b = ListSink("a"), ListSink("b")
    topo, store = build([src], [a, b])
    with anyio.fail_after(5):
        stats = await topo.run()
    assert a.written == [1, 2, 3, 4, 5, 6]
    assert b.written == [2, 4, 6]
    assert sorted(src.acked) == [0, 1, 2]
    assert stats.events_in == 6
    assert stats.events_out == {"a": 6, "b": 3}
    assert a.closed
    assert b.closed
    assert store.records == []


async def test_rejected_input_is_dead_lettered_with_reason_and_batch_still_acked() -> None:
    src = ListSource("s", [[1]], rejected=2)
    topo, store = build([src], [ListSink("a"), ListSink("b")])
    with anyio.fail_after(5):
        stats = await topo.run()
    assert [r.reason for r in store.records] == ["invalid JSON", "invalid JSON"]
    assert store.records[0].raw == "{bad"
    assert stats.dead_lettered == 2
    assert src.acked == [0]


async def test_transient_failure_is_retried_and_permanent_failure_dead_lettered() -> None:
    src = ListSource("s", [[1, 2]])
    a = ListSink("a", fail_times=2)  # succeeds on the third attempt
    b = ListSink("b", fail_times=99)  # never succeeds
    topo, store = build([src], [a, b])
    with anyio.fail_after(5):
        stats = await topo.run()
    assert a.written == [1, 2]
    assert b.written == []
    assert [(r.event, r.stage) for r in store.records] == [({"v": 2}, "sink:b")]
    assert "failed after 3 attempts" in store.records[0].reason
    assert stats.retries == 4
    assert src.acked == [0]


async def test_full_buffer_policies_do_not_lose_count() -> None:
    src = ListSource("s", [[i] for i in range(50)])
    slow = ListSink("a", delay=0.002)
    fast = ListSink("b")
    topo, store = build([src], [slow, fast], when_full="dead_letter", max_events=2)
    with anyio.fail_after(10):
        stats = await topo.run()
    # Every event is either written by the slow sink or dead-lettered for it: nothing vanishes.
    assert sorted(slow.written + [int(r.event["v"]) for r in store.records if r.event]) == list(range(50))  # type: ignore[arg-type]
    assert fast.written == list(range(0, 50, 2))
    assert stats.dead_lettered == len(store.records)
    assert sorted(src.acked) == list(range(50))


class _Planned:
    """A plan made elsewhere: ready at once, or failing as a dead worker's does."""

    def __init__(self, plan: BatchPlan | None) -> None:
        self.plan = plan
        self.cancelled = False

    async def wait(self) -> BatchPlan:
        await anyio.lowlevel.checkpoint()
        if self.plan is None:
            raise RuntimeError("worker process 7 was killed by signal 9")
        return self.plan

    def cancel(self) -> None:
        self.cancelled = True


async def test_a_plan_that_fails_elsewhere_stops_the_run_after_what_came_before_it() -> None:
    source, a, b = ListSource("s", [[1], [2], [3], [4], [5]]), ListSink("a"), ListSink("b")
    topo, _ = build([source], [a, b])
    handed: list[_Planned] = []

    def ahead(batch: SourceBatch) -> _Planned:  # the third batch's worker dies
        handed.append(_Planned(None if batch.events[0].fields["v"] == 3 else fan_out(batch)))
        return handed[-1]

    topo.planner, topo.plan_ahead = ahead, 2
    with anyio.fail_after(5):
        await topo.run()
    assert topo.plan_failure == "RuntimeError: worker process 7 was killed by signal 9"
    assert a.written == [1, 2]  # in order, up to the failed batch, and nothing after it
    assert source.acked == [0, 1]  # the failed batch and the later ones are read again next run
    assert len(handed) == 5
    assert all(p.cancelled for p in handed[3:])  # plans in flight after it are given up
