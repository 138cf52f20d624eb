"""The ``Tap`` hub with a fake clock: filters, the rate's token bucket, spreading, loss when the
reader is slow, ending streams; ``spread``'s law; and the CLI's terminal form."""

from __future__ import annotations

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.infrastructure.actors.plan import SinkPart
from pipeflow.infrastructure.tap import Tap, TapLine, spread
from pipeflow.interfaces.cli.tap import render_line


class FakeClock:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def part(sink: str, route: str | None, *ns: int) -> SinkPart:
    """A planned part of events ``{"n": n}``."""
    events = [Event(EventId(f"e{n}"), EventMeta("src", 0.0), {"n": n}) for n in ns]
    return SinkPart(sink, events, route, None)


def drain(tap_sub: object) -> list[TapLine]:
    """Every line buffered now (nothing waits)."""
    got: list[TapLine] = []
    receive = tap_sub._receive  # type: ignore[attr-defined]
    while True:
        try:
            got.append(receive.receive_nowait())
        except (anyio.WouldBlock, anyio.EndOfStream):
            return got


def ns(lines: list[TapLine]) -> list[object]:
    return [line["event"]["n"] for line in lines]  # type: ignore[call-overload,index]


def test_nobody_listening_until_a_subscriber_comes_and_after_it_leaves() -> None:
    tap = Tap(FakeClock())
    assert not tap.listening
    with tap.subscribe("route", "r") as sub:
        assert (tap.listening, tap.subscribers) == (True, 1)
        tap.offer([part("out", "r", 1)])
        assert drain(sub) == [{"route": "r", "sink": "out", "event": {"n": 1}}]
    assert (tap.listening, tap.subscribers) == (False, 0)
    sub.close()  # idempotent
    assert tap.subscribers == 0


def test_a_subscriber_sees_only_its_route_or_its_sink() -> None:
    tap = Tap(FakeClock())
    by_route = tap.subscribe("route", "errors", rate=100)
    by_sink = tap.subscribe("sink", "alerts", rate=100)
    tap.offer(
        [
            part("out", "errors", 1),
            part("alerts", "errors", 1),
            part("alerts", "all", 2),
            part("out", None, 3),
        ]
    )
    assert [(line["sink"], line["event"]) for line in drain(by_route)] == [
        ("out", {"n": 1}),
        ("alerts", {"n": 1}),
    ]
    assert [(line["route"], line["event"]) for line in drain(by_sink)] == [
        ("errors", {"n": 1}),
        ("all", {"n": 2}),
    ]
    by_route.close()
    by_sink.close()


def test_the_rate_is_a_token_bucket_of_one_second_spread_over_each_part() -> None:
    clock = FakeClock()
    tap = Tap(clock)
    sub = tap.subscribe("sink", "out", rate=4)
    tap.offer([part("out", "r", *range(10))])
    assert ns(drain(sub)) == [0, 2, 5, 7]  # 4 of 10, spread, not the head
    assert (sub.sent, sub.skipped) == (4, 6)
    tap.offer([part("out", "r", 10, 11)])
    assert drain(sub) == []  # no tokens left until time passes
    clock.now = 0.5
    tap.offer([part("out", "r", 12, 13, 14)])
    assert ns(drain(sub)) == [12, 13]  # half a second: 2 tokens
    clock.now = 100.0
    tap.offer([part("out", "r", *range(20, 30))])
    assert len(drain(sub)) == 4  # the bucket holds at most one second's worth
    slow = tap.subscribe("sink", "out", rate=0.5)  # under 1/s: still one event at a time
    tap.offer([part("out", "r", 40, 41)])
    assert ns(drain(slow)) == [40]
    clock.now = 101.0
    tap.offer([part("out", "r", 42)])
    assert drain(slow) == []
    clock.now = 102.0
    tap.offer([part("out", "r", 43)])
    assert ns(drain(slow)) == [43]
    sub.close()
    slow.close()


def test_a_slow_reader_loses_samples_and_they_are_counted() -> None:
    tap = Tap(FakeClock())
    sub = tap.subscribe("sink", "out", rate=1000, buffer=3)
    tap.offer([part("out", "r", *range(5))])
    assert (sub.sent, sub.lost, sub.skipped) == (3, 2, 0)
    assert ns(drain(sub)) == [0, 1, 2]
    sub.close()


async def test_closing_the_hub_ends_every_stream_after_what_is_buffered() -> None:
    tap = Tap(FakeClock())
    sub = tap.subscribe("route", "r")
    tap.offer([part("out", "r", 1)])
    tap.close()
    assert not tap.listening
    with anyio.fail_after(1):
        assert [line async for line in sub] == [{"route": "r", "sink": "out", "event": {"n": 1}}]
        late = tap.subscribe("route", "r")
        assert [line async for line in late] == []
    assert tap.subscribers == 0
    sub.close()
    late.close()


async def test_a_reader_gone_is_unsubscribed_on_the_next_offer() -> None:
    tap = Tap(FakeClock())
    sub = tap.subscribe("route", "r")
    sub._receive.close()  # the reader side went away without unsubscribing
    tap.offer([part("out", "r", 1)])
    assert (tap.subscribers, tap.listening) == (0, False)
    with anyio.fail_after(1):
        assert [line async for line in sub] == []


def test_a_subscription_needs_a_positive_rate_and_buffer() -> None:
    tap = Tap(FakeClock())
    for rate, buffer in ((0.0, 1), (-1.0, 1), (float("nan"), 1), (float("inf"), 1), (1.0, 0)):
        with pytest.raises(ValueError, match="positive rate"):
            tap.subscribe("route", "r", rate=rate, buffer=buffer)
    assert tap.subscribers == 0


@given(st.integers(0, 300), st.integers(0, 300))
def test_spread_picks_min_n_k_distinct_indices_in_order(n: int, k: int) -> None:
    picked = list(spread(n, k))
    assert len(picked) == min(n, k)
    assert picked == sorted(set(picked))
    assert all(0 <= i < n for i in picked)
    if 0 < k <= n:
        assert picked[0] == 0


def test_the_terminal_form_names_route_and_sink() -> None:
    assert render_line({"route": None, "sink": "out", "event": {"m": "é"}}) == '- -> out  {"m": "é"}'
