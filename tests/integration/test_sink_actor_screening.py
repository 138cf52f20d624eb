"""A sink that refuses single events (``ValidatingSink``): the actor dead-letters each refused event
with the sink's reason, writes (and retries) the rest, and acknowledges the delivery once."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import orjson

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.ports import ValidatingSink
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor
from pipeflow.infrastructure.actors.messages import Delivery
from pipeflow.infrastructure.actors.plan import Encoded
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.metered_sinks import metered
from pipeflow.infrastructure.metrics import Metrics
from tests.fakes import CountingIds, MemoryDeadLetterStore

_META = EventMeta("src", 0.0)


class _Evens:
    """Takes events with an even ``n``; fails its first ``fail`` writes."""

    name = "evens"

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.writes: list[list[int]] = []

    async def open(self) -> None:
        """Nothing to open."""

    def invalid(self, event: Event) -> str | None:
        """Odd numbers are refused."""
        n = event.get("n")
        return None if isinstance(n, int) and n % 2 == 0 else f"{n} is odd"

    async def write(self, events: Sequence[Event]) -> None:
        """Record the numbers, or fail."""
        if self.fail:
            self.fail -= 1
            raise OSError("busy")
        self.writes.append([e.get("n") for e in events])  # type: ignore[misc]

    async def close(self) -> None:
        """Nothing to close."""


def _events(*numbers: int) -> list[Event]:
    return [Event(EventId(f"e{n}"), _META, {"n": n}) for n in numbers]


async def _run(sink: ValidatingSink, deliveries: list[Delivery]) -> tuple[RunStats, MemoryDeadLetterStore]:
    stats, store = RunStats(), MemoryDeadLetterStore()
    dead = DeadLetterActor(store, stats, RetryPolicy(attempts=1))
    actor = SinkActor(
        sink.name, sink, max_events=100, when_full="block", retry=RetryPolicy(attempts=3, backoff_s=0),
        dead_letters=dead, stats=stats, clock=lambda: 7.0, ids=CountingIds(),
    )  # fmt: skip
    for delivery in deliveries:
        await actor.offer(delivery)
    await actor.inbox.aclose()
    async with anyio.create_task_group() as tg:
        tg.start_soon(dead.run)
        await actor.run()
        await dead.inbox.aclose()
    assert actor.budget.used == 0  # every event's room is given back
    return stats, store


async def test_refused_events_are_dead_lettered_alone_and_the_rest_written_after_retries() -> None:
    sink, acked = _Evens(fail=1), []
    stats, store = await _run(
        sink,
        [
            Delivery(_events(1, 2, 3, 4), "src", "r", "p", lambda: acked.append("mixed")),
            Delivery(_events(5), "src", "r", "p", lambda: acked.append("refused")),
            Delivery(_events(6), "src", "r", "p", lambda: acked.append("taken")),
        ],
    )
    assert sink.writes == [[2, 4], [6]]
    assert [(r.id, r.reason, r.stage, r.route, r.at) for r in store.records] == [
        ("e1", "sink 'evens' refused the event: 1 is odd", "sink:evens", "r", 7.0),
        ("e3", "sink 'evens' refused the event: 3 is odd", "sink:evens", "r", 7.0),
        ("e5", "sink 'evens' refused the event: 5 is odd", "sink:evens", "r", 7.0),
    ]
    assert sorted(acked) == ["mixed", "refused", "taken"]
    assert stats.events_out["evens"] == 3
    assert stats.dead_lettered == 3
    assert stats.retries == 1


async def test_an_encoded_delivery_is_screened_as_events_and_a_metered_sink_still_screens() -> None:
    sink, acked = _Evens(), []
    data = b"".join(orjson.dumps({"n": n}) + b"\n" for n in (7, 8))
    encoded = Delivery([], "src", None, None, lambda: acked.append("x"), Encoded(data, 2, _META))
    stats, store = await _run(metered(sink, Metrics()), [encoded])  # type: ignore[arg-type]
    assert sink.writes == [[8]]
    assert [(r.event, r.reason) for r in store.records] == [
        ({"n": 7}, "sink 'evens' refused the event: 7 is odd")
    ]
    assert acked == ["x"]
    assert stats.events_out["evens"] == 1
