"""Laws of the commit ledger (``domain.commit_ledger``): its cut is the longest done prefix, acks are
released once each and in dispatch order, and each sink's committed length is the length its file had
after the last part of the cut it wrote, whatever order parts finish in across sinks."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.commit_ledger import CommitLedger

SINKS = ("a", "b", "c")

# A batch: the sinks it has parts for (a sink may get two parts: fan-out), each part's size in bytes,
# and whether the part is written (else dead-lettered or dropped: done without a length).
_part = st.tuples(st.sampled_from(SINKS), st.integers(1, 50), st.booleans())
_batches = st.lists(st.lists(_part, max_size=4), min_size=1, max_size=25)


@settings(max_examples=300)
@given(_batches, st.randoms(use_true_random=False))
def test_the_cut_and_lengths_match_a_replay_of_the_writes(
    batches: list[list[tuple[str, int, bool]]], rng: random.Random
) -> None:
    ledger: CommitLedger[int] = CommitLedger()
    seqs = [ledger.issue(k) for k in range(len(batches))]
    assert seqs == list(range(len(batches)))
    # Each sink works through its parts in dispatch order; the sinks interleave at random.
    queues = {
        s: [(k, size, ok) for k, parts in enumerate(batches) for sink, size, ok in parts if sink == s]
        for s in SINKS
    }
    length = dict.fromkeys(SINKS, 0)
    after: dict[tuple[int, str], int] = {}  # the file's length after batch k's last part in sink s
    open_parts = [len(parts) for parts in batches]
    released: list[int] = []
    reported: set[int] = set()
    pending_done = [k for k, n in enumerate(open_parts) if n == 0]  # batches with no part at all
    while any(queues.values()) or pending_done:
        if pending_done and (not any(queues.values()) or rng.random() < 0.3):
            k = pending_done.pop(rng.randrange(len(pending_done)))
            reported.add(k)
            released += ledger.done(k)
        else:
            sink = rng.choice([s for s in SINKS if queues[s]])
            k, size, ok = queues[sink].pop(0)
            if ok:
                length[sink] += size
                ledger.wrote(k, sink, length[sink])
                after[(k, sink)] = length[sink]
            open_parts[k] -= 1
            if open_parts[k] == 0:
                pending_done.append(k)
        cut = ledger.cut
        assert released == list(range(cut))  # once each, in order, exactly the cut
        assert set(range(cut)) <= reported
        assert cut == len(batches) or cut not in reported  # the longest prefix reported done
        for sink in SINKS:
            written = [after[(k, sink)] for k in range(cut) if (k, sink) in after]
            assert ledger.lengths.get(sink) == (written[-1] if written else None)
    assert ledger.cut == len(batches)


@given(st.integers(0, 20))
def test_unknown_or_repeated_numbers_change_nothing(n: int) -> None:
    ledger: CommitLedger[str] = CommitLedger()
    first = ledger.issue("x")
    ledger.wrote(first + n + 1, "a", 10)
    assert ledger.done(first + n + 1) == []
    assert ledger.done(first) == ["x"]
    assert ledger.done(first) == []
    ledger.wrote(first, "a", 99)  # already committed: ignored
    assert dict(ledger.lengths) == {}


@settings(max_examples=300)
@given(
    st.integers(1, 20),
    st.lists(
        st.one_of(
            st.tuples(st.just("done"), st.integers(0, 19)), st.tuples(st.just("hold"), st.integers(-1, 19))
        ),
        max_size=40,
    ),
)
def test_a_barrier_stops_the_cut_after_its_batch_and_moving_it_releases_the_rest_in_order(
    n: int, steps: list[tuple[str, int]]
) -> None:
    ledger: CommitLedger[int] = CommitLedger()
    for k in range(n):
        ledger.issue(k)
    done: set[int] = set()
    barrier: int | None = None
    released: list[int] = []
    for op, k in steps:
        if op == "done" and k < n:
            done.add(k)
            released += ledger.done(k)
        elif op == "hold":
            barrier = None if k < 0 else k
            released += ledger.hold_at(barrier)
        prefix = next((j for j in range(n) if j not in done), n)  # the longest done prefix
        expected = prefix if barrier is None else min(prefix, max(barrier + 1, len(released)))
        assert ledger.cut == len(released) == expected
        assert released == list(range(ledger.cut))  # once each, in order
        assert ledger.all_done == (len(done) == n)
    released += ledger.hold_at(None)
    assert len(released) == next((j for j in range(n) if j not in done), n)
