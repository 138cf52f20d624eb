"""``AckGroup``: a batch is acknowledged once when every part is done; with a failed part it is
not acknowledged, and ``failed`` hears why only once every other part is settled too (so a source
holding room for the batch keeps it until nothing of it is still being written)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeflow.infrastructure.actors.acks import AckGroup

# Each part: settled by done (None) or by a failure (its reason), settled once or twice.
parts = st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(["a", "b"])), st.booleans()), max_size=6)


@given(parts, st.permutations(range(6)), st.integers(min_value=0, max_value=6))
def test_a_batch_is_settled_once_after_its_last_part_and_only_failed_when_a_part_failed(
    settle: list[tuple[str | None, bool]], order: list[int], sealed_after: int
) -> None:
    heard: list[str] = []
    group = AckGroup(lambda: heard.append("ack"), lambda reason: heard.append(f"failed: {reason}"))
    handles = [group.part() for _ in settle]
    steps = [k for k in order if k < len(settle)]
    first_failure = None
    for n, k in enumerate(steps):
        if n == min(sealed_after, len(steps)):
            group.seal()
        reason, twice = settle[k]
        for _ in range(2 if twice else 1):
            if reason is None:
                handles[k]()
            else:
                handles[k].fail(reason)
        if reason is not None and first_failure is None:
            first_failure = reason
        if n < len(steps) - 1:
            assert heard == []  # a part is still out: nothing is settled
    group.seal()
    expected = "ack" if first_failure is None else f"failed: {first_failure}"
    assert heard == [expected]
    group.seal()
    assert heard == [expected]
