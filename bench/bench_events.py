"""Micro-benchmarks: ``Event`` operations, and one W1 event through the reference engine, the fast
path and plain dicts (what the hand-written floor does).

Run: ``.venv/bin/python bench/bench_events.py``. Prints microseconds per operation (best of 5).
"""

from __future__ import annotations

import re
import timeit
from collections.abc import Callable

import orjson

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.infrastructure.fastpath import compile_snapshot, run_fields
from pipeflow.infrastructure.ids import UlidFactory
from pipeflow.interfaces.bootstrap import bootstrap

LINE = (
    b'{"ts":"2024-05-01T00:00:01.234Z","level":"info","service":"auth","host":"auth-03.eu-west-1.internal",'
    b'"status":200,"latency_ms":12.5,"client_ip":"10.1.2.3","user":{"email":"a.b@example.com","id":7},'
    b'"trace_id":"00ff00ff00ff00ff",'
    b'"message":"user alice.bob12@example.com performed action=login user_id=42"}'
)
FIELDS = orjson.loads(LINE)
META = EventMeta("app", 0.0)
EVENT = Event(EventId("01J"), META, FIELDS)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
UID, ACT = re.compile(r"user_id=(\d+)"), re.compile(r"action=(\w+)")


def plain(f: dict[str, object]) -> bytes:
    ev = dict(f)
    msg = str(ev["message"])
    if "@" in msg:
        ev["message"] = msg = EMAIL.sub("<redacted>", msg)
    if m := UID.search(msg):
        ev["user_id"] = m.group(1)
    if m := ACT.search(msg):
        ev["action"] = m.group(1)
    ev["_ingested_at"] = "2024-06-01T00:00:00Z"
    return orjson.dumps(ev)


def report(name: str, fn: Callable[[], object], number: int = 20_000) -> None:
    best = min(timeit.repeat(fn, number=number, repeat=5)) / number
    print(f"{name:<48} {best * 1e6:8.3f} us")


def main() -> None:
    loaded = bootstrap().load("bench/w1.yaml")
    assert not isinstance(loaded, list), loaded
    router, ids = loaded.router, UlidFactory()
    snapshot = compile_snapshot(router)
    batch = [FIELDS] * 1000
    report("orjson.loads (one W1 line)", lambda: orjson.loads(LINE))
    report("orjson.dumps (one W1 event)", lambda: orjson.dumps(FIELDS))
    report("UlidFactory.new_id", ids.new_id)
    report("Event(...) construction", lambda: Event(EventId("01J"), META, FIELDS))
    report("Event.get('user.email')", lambda: EVENT.get("user.email"))
    report("Event.with_field('x', 1)", lambda: EVENT.with_field("x", 1))
    report("dict(fields) (a fan-out copy)", lambda: dict(FIELDS))
    report("W1 on plain dicts, per event (the floor's way)", lambda: plain(FIELDS))
    report("W1 reference engine, per event", lambda: router.route_batch([EVENT]), 5_000)
    report("W1 fast path, per event (batch of 1000)", lambda: run_fields(snapshot, batch, META, ids), 20)
    print("(the batch row is per batch of 1000: divide by 1000)")


if __name__ == "__main__":
    main()
