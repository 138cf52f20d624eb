"""A sink actor that fell behind writes the encoded deliveries queued for it together, in order,
with one call; each is still acknowledged (or dead-lettered) on its own."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import orjson

from pipeflow.domain.events import Event, EventMeta
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor
from pipeflow.infrastructure.actors.messages import Delivery
from pipeflow.infrastructure.actors.plan import Encoded
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.ids import UlidFactory
from tests.fakes import MemoryDeadLetterStore

_META = EventMeta("src", 0.0)


class _Bytes:
    """A sink that takes NDJSON bytes; fails its first ``fail`` writes."""

    name = "bytes"

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.writes: list[bytes] = []
        self.events: list[list[Event]] = []

    async def open(self) -> None:
        """Nothing to open."""

    async def write(self, events: Sequence[Event]) -> None:
        """Record decoded events."""
        self.events.append(list(events))

    async def write_encoded(self, data: bytes) -> None:
        """Record the bytes, or fail."""
        if self.fail:
            self.fail -= 1
            raise OSError("disk full")
        self.writes.append(data)

    async def close(self) -> None:
        """Nothing to close."""


def _encoded(*values: int) -> Encoded:
    return Encoded(b"".join(orjson.dumps({"v": v}) + b"\n" for v in values), len(values), _META)


async def _run(
    sink: _Bytes, deliveries: list[tuple[Encoded | None, list[Event]]]
) -> tuple[RunStats, MemoryDeadLetterStore, list[int]]:
    """Queue every delivery before the actor runs (it is behind), then let it drain."""
    stats, store, acked = RunStats(), MemoryDeadLetterStore(), []
    dead = DeadLetterActor(store, stats, RetryPolicy(attempts=1))
    actor = SinkActor(
        sink.name, sink, max_events=1000, when_full="block", retry=RetryPolicy(attempts=2, backoff_s=0),
        dead_letters=dead, stats=stats, clock=lambda: 1.0, ids=UlidFactory(),
    )  # fmt: skip
    for k, (encoded, events) in enumerate(deliveries):
        await actor.offer(Delivery(events, "src", "r", "p", lambda k=k: acked.append(k), encoded))  # type: ignore[misc]
    await actor.inbox.aclose()
    async with anyio.create_task_group() as tg:
        tg.start_soon(dead.run)
        await actor.run()
        await dead.inbox.aclose()
    return stats, store, acked


async def test_queued_encoded_deliveries_are_written_with_one_call_and_acked_each() -> None:
    sink = _Bytes()
    stats, _, acked = await _run(sink, [(_encoded(1, 2), []), (_encoded(3), []), (_encoded(4), [])])
    assert sink.writes == [b'{"v":1}\n{"v":2}\n{"v":3}\n{"v":4}\n']
    assert acked == [0, 1, 2]
    assert stats.events_out == {"bytes": 4}


async def test_a_delivery_of_events_ends_a_group_and_order_is_kept() -> None:
    sink = _Bytes()
    event = Event(UlidFactory().new_id(), _META, {"v": 9})
    stats, _, acked = await _run(
        sink, [(_encoded(1), []), (None, [event]), (_encoded(2), []), (_encoded(3), [])]
    )
    assert sink.writes == [b'{"v":1}\n', b'{"v":2}\n{"v":3}\n']
    assert [[e.fields for e in batch] for batch in sink.events] == [[{"v": 9}]]
    assert acked == [0, 1, 2, 3]
    assert stats.events_out == {"bytes": 4}


async def test_a_group_that_keeps_failing_dead_letters_every_event_of_every_delivery() -> None:
    sink = _Bytes(fail=2)  # both attempts of the one grouped write fail
    stats, store, acked = await _run(sink, [(_encoded(1, 2), []), (_encoded(3), [])])
    assert sink.writes == []
    assert [r.event for r in store.records] == [{"v": 1}, {"v": 2}, {"v": 3}]
    assert all(r.reason.startswith("sink 'bytes' failed after 2 attempts") for r in store.records)
    assert acked == [0, 1]  # each delivery is done once its dead letters are stored
    assert stats.dead_lettered == 3


async def test_a_retried_group_is_written_once_whole() -> None:
    sink = _Bytes(fail=1)
    stats, _, acked = await _run(sink, [(_encoded(1), []), (_encoded(2), [])])
    assert sink.writes == [b'{"v":1}\n{"v":2}\n']
    assert (acked, stats.retries) == ([0, 1], 1)
