"""Which queued deliveries a sink writes together: runs of encoded ones, up to a size, in order."""

from __future__ import annotations

import anyio

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.infrastructure.actors.messages import Delivery
from pipeflow.infrastructure.actors.plan import Encoded
from pipeflow.infrastructure.actors.write_groups import queued_groups

_META = EventMeta("src", 0.0)


def _delivery(name: str, data: bytes | None) -> Delivery:
    encoded = Encoded(data, data.count(b"\n"), _META) if data is not None else None
    events = [] if data is not None else [Event(EventId(f"id-{name}"), _META, {"n": name})]
    return Delivery(events, "src", name, None, lambda: None, encoded)


def _groups(
    first: Delivery, queued: list[Delivery], *, encoded: bool, group_bytes: int = 1 << 20
) -> list[list[str]]:
    send, receive = anyio.create_memory_object_stream[Delivery](100)
    for d in queued:
        send.send_nowait(d)
    groups = queued_groups(first, receive, encoded=encoded, group_bytes=group_bytes)
    left = []
    while True:
        try:
            left.append(receive.receive_nowait().route)
        except anyio.WouldBlock:
            break
    send.close()
    receive.close()
    return [[d.route or "" for d in g] for g in groups] + [["left:" + ",".join(n or "" for n in left)]]


def test_a_run_of_encoded_deliveries_is_one_group_and_stops_at_one_that_is_not() -> None:
    a, b, c, d = (_delivery(n, b'{"x":1}\n') for n in "abcd")
    events = _delivery("e", None)
    assert _groups(a, [b, c, events, d], encoded=True) == [["a", "b", "c"], ["e"], ["left:d"]]


def test_grouping_stops_once_the_group_is_large_enough() -> None:
    line = b'{"x":"' + b"y" * 90 + b'"}\n'  # 100 bytes
    a, b, c, d = (_delivery(n, line) for n in "abcd")
    assert _groups(a, [b, c, d], encoded=True, group_bytes=250) == [["a", "b", "c"], ["left:d"]]


def test_a_sink_that_does_not_take_bytes_gets_one_delivery_at_a_time() -> None:
    a, b = (_delivery(n, b'{"x":1}\n') for n in "ab")
    assert _groups(a, [b], encoded=False) == [["a"], ["left:b"]]
    events = _delivery("e", None)
    assert _groups(events, [a], encoded=True) == [["e"], ["left:a"]]
