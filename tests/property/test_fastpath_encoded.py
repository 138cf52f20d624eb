"""Encoding fused into the batch loop: the same NDJSON per sink as encoding the reference's events,
and the same count of events in; encoded deliveries reach sinks with or without ``write_encoded``,
and dead-letter as events."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.events import Event, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.router import Router
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor
from pipeflow.infrastructure.actors.messages import Delivery
from pipeflow.infrastructure.actors.plan import Encoded
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.fastpath import compile_snapshot, run_lines
from pipeflow.infrastructure.sources.decode import decode_lines
from tests.fakes import MemoryDeadLetterStore
from tests.property.test_fastpath_equals_reference import Counter, field_sets, reference, routers

_OPT = orjson.OPT_APPEND_NEWLINE
_EXTRA = [b"", b"  ", b"{", b"[1]"]


@settings(max_examples=150, deadline=None)
@given(routers(), st.lists(st.one_of(field_sets.map(orjson.dumps), st.sampled_from(_EXTRA)), max_size=8))
def test_encoded_in_the_loop_equals_encoding_the_reference(router: Router, lines: list[bytes]) -> None:
    sinks = {s for r in router.routes for s in r.route.sinks}
    events, _ = decode_lines(lines, "ndjson", "src", Counter(), _Clock())
    expected = reference(router, [e.fields for e in events])["sinks"]
    outcome = run_lines(compile_snapshot(router, sinks), lines, EventMeta("src", 0.0), Counter())
    got = outcome.encoded()
    want = {s: (b"".join(d + b"\n" for d in ds), len(ds)) for s, ds in expected.items() if ds}
    assert got == want
    assert outcome.events_in == len(events)


class _Clock:
    def now(self) -> float:
        return 0.0


class _Plain:
    """A sink without ``write_encoded`` (like SQLite or HTTP); fails its first ``fail`` writes."""

    name = "plain"

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.got: list[list[Event]] = []

    async def open(self) -> None:
        """Nothing to open."""

    async def write(self, events: Sequence[Event]) -> None:
        """Record the batch, or fail."""
        if self.fail:
            self.fail -= 1
            raise OSError("down")
        self.got.append(list(events))

    async def close(self) -> None:
        """Nothing to close."""


class _Raw(_Plain):
    name = "raw"

    def __init__(self) -> None:
        super().__init__()
        self.data: list[bytes] = []

    async def write_encoded(self, data: bytes) -> None:
        """Record the bytes."""
        self.data.append(data)


async def _deliver(
    sink: _Plain, fields: list[JsonObject]
) -> tuple[RunStats, MemoryDeadLetterStore, list[int]]:
    stats, store, done = RunStats(), MemoryDeadLetterStore(), [0]
    dead = DeadLetterActor(store, stats, RetryPolicy(attempts=1))
    actor = SinkActor(
        sink.name, sink, max_events=10, when_full="block", retry=RetryPolicy(attempts=2, backoff_s=0),
        dead_letters=dead, stats=stats, clock=lambda: 1.0, ids=Counter(),
    )  # fmt: skip
    data = b"".join(orjson.dumps(f, option=_OPT) for f in fields)
    encoded = Encoded(data, len(fields), EventMeta("src", 0.0))
    async with anyio.create_task_group() as tg:
        tg.start_soon(dead.run)
        async with anyio.create_task_group() as sinks:  # ends once the sink has drained
            sinks.start_soon(actor.run)
            await actor.offer(
                Delivery([], "src", "r", "p", lambda: done.__setitem__(0, done[0] + 1), encoded)
            )
            await actor.inbox.aclose()
        await dead.inbox.aclose()
    return stats, store, done


async def test_an_encoded_delivery_reaches_each_kind_of_sink_or_dead_letters_as_events() -> None:
    fields: list[JsonObject] = [{"a": 1}, {"b": [1, "x"]}]
    raw = _Raw()
    stats, _, done = await _deliver(raw, fields)
    assert raw.data == [b'{"a":1}\n{"b":[1,"x"]}\n']
    assert (stats.events_out, done) == ({"raw": 2}, [1])
    plain = _Plain(fail=1)  # fails once, then gets events decoded once (same ids on the retry)
    stats, _, done = await _deliver(plain, fields)
    assert [[e.fields for e in batch] for batch in plain.got] == [fields]
    assert [e.id for e in plain.got[0]] == ["id1", "id2"]
    broken = _Plain(fail=5)
    stats, store, done = await _deliver(broken, fields)
    assert [(r.event, r.stage, r.route) for r in store.records] == [(f, "sink:plain", "r") for f in fields]
    assert (stats.dead_lettered, done) == (2, [1])
