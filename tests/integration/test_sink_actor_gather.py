"""A sink actor with a ``Gather`` policy (the S3 sink's): deliveries are held until they make
``max_bytes`` or ``max_age_s`` passed, written with one call, and acknowledged only after it."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import orjson

from pipeflow.domain.events import Event, EventMeta
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor
from pipeflow.infrastructure.actors.gather import Gather
from pipeflow.infrastructure.actors.messages import Delivery
from pipeflow.infrastructure.actors.plan import Encoded
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.ids import UlidFactory
from tests.fakes import MemoryDeadLetterStore

_META = EventMeta("src", 0.0)


class _Objects:
    """A sink of whole objects: records each write and how many deliveries were acked before it."""

    name = "objects"

    def __init__(self, acked: list[int], *, fail: bool = False) -> None:
        self.acked = acked
        self.fail = fail
        self.writes: list[tuple[bytes, int]] = []
        self.events: list[list[Event]] = []

    async def open(self) -> None:
        """Nothing to open."""

    async def write(self, events: Sequence[Event]) -> None:
        """Record decoded events."""
        self.events.append(list(events))

    async def write_encoded(self, data: bytes) -> None:
        """Record the object and the acks seen so far, or fail."""
        if self.fail:
            raise OSError("bucket unreachable")
        self.writes.append((data, len(self.acked)))

    async def close(self) -> None:
        """Nothing to close."""


def _encoded(*values: int) -> Encoded:
    return Encoded(b"".join(orjson.dumps({"v": v}) + b"\n" for v in values), len(values), _META)


def _actor(
    sink: _Objects, policy: Gather, *, max_events: int = 1000
) -> tuple[SinkActor, DeadLetterActor, MemoryDeadLetterStore]:
    stats, store = RunStats(), MemoryDeadLetterStore()
    dead = DeadLetterActor(store, stats, RetryPolicy(attempts=1))
    actor = SinkActor(
        sink.name, sink, max_events=max_events, when_full="block",
        retry=RetryPolicy(attempts=2, backoff_s=0), dead_letters=dead, stats=stats,
        clock=lambda: 1.0, ids=UlidFactory(), gather=policy,
    )  # fmt: skip
    return actor, dead, store


def _delivery(
    acked: list[int], k: int, encoded: Encoded | None, events: list[Event] | None = None
) -> Delivery:
    return Delivery(events or [], "src", "r", "p", lambda: acked.append(k), encoded)


async def test_writes_hold_at_most_max_bytes_and_each_delivery_is_acked_after_its_write() -> None:
    acked: list[int] = []
    sink = _Objects(acked)
    actor, dead, _ = _actor(sink, Gather(max_bytes=24, max_age_s=60))
    for k in range(7):  # 8 bytes each: three make a 24-byte object
        await actor.offer(_delivery(acked, k, _encoded(k)))
    await actor.inbox.aclose()
    async with anyio.create_task_group() as tg:
        tg.start_soon(dead.run)
        await actor.run()
        await dead.inbox.aclose()
    assert [data for data, _ in sink.writes] == [
        b'{"v":0}\n{"v":1}\n{"v":2}\n',
        b'{"v":3}\n{"v":4}\n{"v":5}\n',
        b'{"v":6}\n',  # the inbox closed: what is held is written at once, not after max_age_s
    ]
    assert [before for _, before in sink.writes] == [0, 3, 6]  # nothing acked before its object
    assert acked == list(range(7))


async def test_an_object_is_cut_by_age_while_the_inbox_stays_open() -> None:
    acked: list[int] = []
    sink = _Objects(acked)
    actor, dead, _ = _actor(sink, Gather(max_bytes=1 << 20, max_age_s=0.2))
    async with anyio.create_task_group() as outer:
        outer.start_soon(dead.run)
        async with anyio.create_task_group() as tg:
            tg.start_soon(actor.run)
            started = anyio.current_time()
            both_acked = anyio.Event()

            def second_acked() -> None:
                acked.append(1)
                both_acked.set()

            await actor.offer(_delivery(acked, 0, _encoded(0)))
            await actor.offer(Delivery([], "src", "r", "p", second_acked, _encoded(1)))
            with anyio.fail_after(5):
                await both_acked.wait()
            waited = anyio.current_time() - started
            assert sink.writes == [(b'{"v":0}\n{"v":1}\n', 0)]
            assert acked == [0, 1]
            assert 0.15 <= waited < 2
            await actor.inbox.aclose()
        await dead.inbox.aclose()


async def test_gathered_deliveries_leave_the_budget_so_the_router_never_waits_for_the_age() -> None:
    acked: list[int] = []
    sink = _Objects(acked)
    actor, dead, _ = _actor(sink, Gather(max_bytes=1 << 20, max_age_s=1.0), max_events=2)
    async with anyio.create_task_group() as outer:
        outer.start_soon(dead.run)
        async with anyio.create_task_group() as tg:
            tg.start_soon(actor.run)
            with anyio.fail_after(0.5):  # with the budget held, the third offer would wait a second
                for k in range(6):
                    await actor.offer(_delivery(acked, k, _encoded(2 * k, 2 * k + 1)))
                    await anyio.sleep(0.01)
            assert acked == []
            await actor.inbox.aclose()
        await dead.inbox.aclose()
    assert len(sink.writes) == 1
    assert sink.writes[0][0].count(b"\n") == 12
    assert acked == list(range(6))


async def test_a_gathered_write_that_keeps_failing_dead_letters_each_delivery_once() -> None:
    acked: list[int] = []
    sink = _Objects(acked, fail=True)
    actor, dead, store = _actor(sink, Gather(max_bytes=1 << 20, max_age_s=60))
    for k in range(3):
        await actor.offer(_delivery(acked, k, _encoded(k)))
    await actor.inbox.aclose()
    async with anyio.create_task_group() as tg:
        tg.start_soon(dead.run)
        await actor.run()
        await dead.inbox.aclose()
    assert sink.writes == []
    records = store.records
    assert sorted(str(r.event) for r in records) == ["{'v': 0}", "{'v': 1}", "{'v': 2}"]
    assert all("bucket unreachable" in r.reason and r.stage == "sink:objects" for r in records)
    assert sorted(acked) == [0, 1, 2]


async def test_deliveries_of_events_are_written_one_by_one_in_order() -> None:
    acked: list[int] = []
    sink = _Objects(acked)
    actor, dead, _ = _actor(sink, Gather(max_bytes=1 << 20, max_age_s=60))
    event = Event(UlidFactory().new_id(), _META, {"v": 9})
    await actor.offer(_delivery(acked, 0, _encoded(1)))
    await actor.offer(_delivery(acked, 1, None, [event]))
    await actor.offer(_delivery(acked, 2, _encoded(2)))
    await actor.inbox.aclose()
    async with anyio.create_task_group() as tg:
        tg.start_soon(dead.run)
        await actor.run()
        await dead.inbox.aclose()
    assert [data for data, _ in sink.writes] == [b'{"v":1}\n', b'{"v":2}\n']
    assert sink.events == [[event]]
    assert acked == [0, 1, 2]
