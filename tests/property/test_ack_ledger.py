"""Law of ``AckLedger``: the acknowledged position is the end of the longest acknowledged prefix."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.infrastructure.sources.acks import AckLedger
from pipeflow.infrastructure.sources.checkpoints import Checkpoint


@settings(max_examples=200)
@given(st.integers(1, 12).flatmap(lambda n: st.permutations(range(n))), st.booleans())
def test_the_checkpoint_follows_the_acknowledged_prefix(order: list[int], ack_twice: bool) -> None:
    ledger = AckLedger()
    positions = [(1 if i < len(order) // 2 else 2, (i + 1) * 10) for i in range(len(order))]  # a rotation
    acks = [ledger.issue("/a.log", inode, offset) for inode, offset in positions]
    acked: set[int] = set()
    current: Checkpoint | None = None
    for i in order:
        acks[i]()
        if ack_twice:
            acks[i]()
        acked.add(i)
        prefix = 0
        while prefix in acked:
            prefix += 1
        current = ledger.take_changed().get("/a.log", current)
        assert current == (positions[prefix - 1] if prefix else None)
        assert ledger.in_flight == len(order) - len(acked)
    assert current == positions[-1]
    assert not ledger.has_changes


def test_paths_are_independent() -> None:
    ledger = AckLedger()
    a1, b1 = ledger.issue("/a", 1, 5), ledger.issue("/b", 2, 7)
    ledger.issue("/a", 1, 9)
    b1()
    assert ledger.take_changed() == {"/b": (2, 7)}
    a1()
    assert ledger.take_changed() == {"/a": (1, 5)}
    assert ledger.in_flight == 1
