"""Bugs found while testing the delivery guarantees, kept as regression tests (both fixed in a46c2af).

1. ``Topology.run(handle_signals=True)`` (every ``pipeflow run``) cancels the outer task group
   as soon as the dead-letter inbox is closed, which also cancels the dead-letter actor while it
   still drains: queued dead letters are lost or stored without being counted or acknowledged.
2. A run cancelled from outside (a crash, a second SIGINT) leaves the dead-letter actor's inbox
   open: a ``ResourceWarning`` when it is collected, an error under ``-W error``.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence

import anyio
import orjson
import pytest

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.ports import SourceBatch
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor
from pipeflow.infrastructure.actors.messages import DeadLetters
from pipeflow.infrastructure.actors.plan import BatchPlan, SinkPart
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.actors.topology import Topology


class OneBatch:
    name = "src"

    def __init__(self, n: int) -> None:
        self.n = n
        self.acked = 0

    async def batches(self) -> AsyncIterator[SourceBatch]:
        events = [Event(EventId(f"e{i}"), EventMeta("src", 0.0), {"n": i}) for i in range(self.n)]
        yield SourceBatch("src", events, [], self._ack)

    def _ack(self) -> None:
        self.acked += 1

    def stop(self) -> None:
        pass


class DeadSink:
    name = "dead"

    async def open(self) -> None:
        pass

    async def write(self, events: Sequence[Event]) -> None:
        raise OSError("connection refused")

    async def close(self) -> None:
        pass


class SlowStore:
    """A dead-letter store that takes a moment per write, as SQLite in a worker thread does."""

    def __init__(self) -> None:
        self.records: list[DeadLetter] = []

    async def write(self, records: Sequence[DeadLetter]) -> None:
        await anyio.sleep(0.01)
        self.records.extend(records)

    async def close(self) -> None:
        pass


def _all_to_dead(batch: SourceBatch) -> BatchPlan:
    return BatchPlan(parts=[SinkPart("dead", batch.events, "all", None)])


def _one_sink_run(
    sink: DeadSink | EncoderFailingSink, retry: RetryPolicy, events: int
) -> tuple[Topology, RunStats, SlowStore, OneBatch]:
    """One batch of ``events`` from ``src`` to the sink ``dead``, dead letters to a ``SlowStore``."""
    stats = RunStats()
    store = SlowStore()
    dlq = DeadLetterActor(store, stats, retry)
    actor = SinkActor(
        "dead",
        sink,
        max_events=100,
        when_full="block",
        retry=retry,
        dead_letters=dlq,
        stats=stats,
        clock=lambda: 0.0,
    )
    source = OneBatch(events)
    topology = Topology(
        {"src": source}, {"dead": actor}, dlq, _all_to_dead, stats, lambda: 0.0, _Ids(), router_buffer=1
    )
    return topology, stats, store, source


async def test_dead_letters_queued_at_the_end_are_stored_when_signals_are_handled() -> None:
    retry = RetryPolicy(attempts=1, rng=random.Random(0))
    topology, stats, store, source = _one_sink_run(DeadSink(), retry, 10)
    with anyio.fail_after(5):
        await topology.run(handle_signals=True)
    assert len(store.records) == 10, "dead letters lost when the run ended"
    assert stats.dead_lettered == 10
    assert source.acked == 1, "the batch was dead-lettered but never acknowledged"


class _Ids:
    def new_id(self) -> EventId:
        return EventId("x")


class Endless:
    name = "endless"

    async def batches(self) -> AsyncIterator[SourceBatch]:
        await anyio.sleep_forever()
        yield SourceBatch("endless", [])

    def stop(self) -> None:
        pass


async def test_a_cancelled_run_closes_the_dead_letter_inbox() -> None:
    stats = RunStats()
    dlq = DeadLetterActor(SlowStore(), stats, RetryPolicy(attempts=1, rng=random.Random(0)))
    topology = Topology({"endless": Endless()}, {}, dlq, _all_to_dead, stats, lambda: 0.0, _Ids())
    with anyio.move_on_after(0.05):
        await topology.run()
    try:
        with pytest.raises(anyio.ClosedResourceError):
            dlq.inbox.send_nowait(DeadLetters([], lambda: None))
    finally:
        dlq.inbox.close()  # so that this test reports the bug by its assertion, not by a warning


class EncoderFailingSink:
    """A sink whose own encoding fails on something that is not in the events' fields."""

    name = "dead"

    def __init__(self) -> None:
        self.writes = 0

    async def open(self) -> None:
        pass

    async def write(self, events: Sequence[Event]) -> None:
        self.writes += 1
        try:
            orjson.dumps({"meta": 2**64})
        except orjson.JSONEncodeError as exc:
            raise RuntimeError("could not encode the request") from exc

    async def close(self) -> None:
        pass


async def test_an_encoder_failure_no_event_explains_is_retried_then_dead_lettered() -> None:
    """The sink actor screens a delivery for events JSON cannot hold when an encoder fails; when
    every event encodes, the failure is an ordinary one (retried, then dead-lettered), not a loop."""
    retry = RetryPolicy(attempts=3, backoff_s=0.0, rng=random.Random(0))
    inner = EncoderFailingSink()
    topology, _, store, source = _one_sink_run(inner, retry, 3)
    with anyio.fail_after(5):
        await topology.run(handle_signals=False)
    assert inner.writes == 3  # the retries, and no more
    assert len(store.records) == 3
    assert all("RuntimeError: could not encode the request" in r.reason for r in store.records)
    assert source.acked == 1
