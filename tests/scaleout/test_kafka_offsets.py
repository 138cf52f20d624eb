"""``OffsetLedger`` laws (pure, no broker) and the sink's key rendering."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.infrastructure.sinks.kafka import render_key
from pipeflow.infrastructure.sources.kafka_offsets import OffsetLedger

batches_and_order = st.lists(
    st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True), min_size=1, max_size=12
).flatmap(lambda batches: st.tuples(st.just(batches), st.permutations(range(len(batches)))))


def expected(batches: list[list[str]], acked: set[int]) -> dict[str, int]:
    """Per partition, the end of the longest prefix of its batches that are all acknowledged."""
    reached: dict[str, int] = {}
    for key in "abc":
        for i, batch in enumerate(batches):
            if key not in batch:
                continue
            if i not in acked:
                break
            reached[key] = i + 1
    return reached


@settings(max_examples=150)
@given(batches_and_order)
def test_the_committable_offset_is_the_longest_acknowledged_prefix(
    case: tuple[list[list[str]], list[int]],
) -> None:
    batches, order = case
    ledger = OffsetLedger[str]()
    acks = [ledger.issue(dict.fromkeys(batch, i + 1)) for i, batch in enumerate(batches)]
    acked: set[int] = set()
    for i in order:
        acks[i]()
        acks[i]()  # a second ack changes nothing
        acked.add(i)
        assert ledger.uncommitted() == expected(batches, acked)
    assert ledger.in_flight() == 0


@settings(max_examples=100)
@given(batches_and_order)
def test_committed_offsets_are_not_offered_again_and_forgotten_partitions_never_are(
    case: tuple[list[list[str]], list[int]],
) -> None:
    batches, order = case
    ledger = OffsetLedger[str]()
    acks = [ledger.issue(dict.fromkeys(batch, i + 1)) for i, batch in enumerate(batches)]
    half = len(order) // 2
    for i in order[:half]:
        acks[i]()
    ledger.mark_committed(ledger.uncommitted())
    assert ledger.uncommitted() == {}
    ledger.forget(["a"])
    for i in order[half:]:
        acks[i]()
    assert "a" not in ledger.uncommitted()
    assert ledger.in_flight(["a"]) == 0
    rest = expected(batches, set(order))
    rest.pop("a", None)
    committed = expected(batches, set(order[:half]))
    assert ledger.uncommitted() == {k: end for k, end in rest.items() if committed.get(k) != end}


def test_a_partition_issued_again_after_forget_starts_a_new_queue() -> None:
    ledger = OffsetLedger[str]()
    stale = ledger.issue({"a": 5})
    ledger.forget(["a"])
    fresh = ledger.issue({"a": 3})
    stale()
    assert ledger.uncommitted() == {}
    assert ledger.in_flight(["a"]) == 1
    fresh()
    assert ledger.uncommitted() == {"a": 3}


def test_keys_render_as_utf8_strings_or_json_and_null_is_no_key() -> None:
    assert render_key("héllo") == "héllo".encode()
    assert render_key(1.5) == b"1.5"
    assert render_key(False) == b"false"
    assert render_key({"a": 1}) == b'{"a":1}'
    assert render_key(None) is None
