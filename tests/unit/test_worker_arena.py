"""The shared-memory arena: a plan's NDJSON stowed by the worker comes back byte for byte in the
parent, part by part; no slot, or too little room, leaves the plan to travel whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.events import EventMeta
from pipeflow.infrastructure.actors.plan import BatchPlan, Encoded, SinkPart
from pipeflow.infrastructure.workers.arena import Arena

META = EventMeta("app", 0.0)


def _plan(blobs: list[bytes | None]) -> BatchPlan:
    parts = [
        SinkPart(f"s{i}", [], "r", "p", None if b is None else Encoded(b, b.count(b"\n"), META))
        for i, b in enumerate(blobs)
    ]
    return BatchPlan(parts=parts, dropped=3)


@given(st.lists(st.one_of(st.none(), st.binary(max_size=300)), max_size=6), st.integers(0, 2))
def test_what_is_stowed_is_unstowed_unchanged(blobs: list[bytes | None], slot: int) -> None:
    arena = Arena(3, slot_bytes=2048)
    try:
        sent, expected = _plan(blobs), _plan(blobs)
        lengths = arena.stow(slot, sent)
        assert lengths is not None
        assert all(p.encoded is None or p.encoded.data == b"" for p in sent.parts)  # not in the pickle
        arena.unstow(slot, sent, lengths)
        assert sent == expected
    finally:
        arena.close()


def test_no_slot_or_no_room_leaves_the_plan_whole() -> None:
    arena = Arena(1, slot_bytes=10)
    try:
        for slot, blob in ((-1, b"short\n"), (0, b"far too long for the slot\n")):
            plan = _plan([blob])
            assert arena.stow(slot, plan) is None
            assert plan == _plan([blob])
    finally:
        arena.close()


def test_slots_are_lent_until_none_is_left_and_given_back() -> None:
    arena = Arena(2)
    try:
        first, second = arena.lend(), arena.lend()
        assert {first, second} == {0, 1}
        assert arena.lend() == -1
        arena.give_back(-1)  # a task sent without a slot gives nothing back
        assert arena.lend() == -1
        arena.give_back(second)
        assert arena.lend() == second
    finally:
        arena.close()
