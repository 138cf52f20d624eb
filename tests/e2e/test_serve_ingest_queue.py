"""The ingest queue's law: it never holds more than its bound (one oversized batch aside), refuses only
what does not fit, answers a ticket exactly when its batch is acknowledged, and loses nothing queued."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.ports import SourceBatch
from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.sources.ingest import IngestSource, IngestTicket

MAX = 10

ops = st.lists(
    st.one_of(
        st.tuples(st.just("offer"), st.integers(min_value=1, max_value=14)),
        st.tuples(st.just("ack"), st.integers(min_value=0, max_value=20)),
    ),
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(ops)
async def test_the_queue_holds_at_most_its_bound_and_loses_nothing(steps: list[tuple[str, int]]) -> None:
    source = IngestSource("web", ids=UlidFactory(), clock=SystemClock(), max_events=MAX)
    batches = source.batches()
    pending: list[tuple[SourceBatch, IngestTicket]] = []
    sent = received = 0
    try:
        for op, n in steps:
            if op == "offer":
                before = source.in_flight
                offered = source.offer(b'{"k": 1}\n' * (n - 1) + b"not json\n")
                fits = before == 0 or before + n <= MAX
                if not fits:
                    assert offered == "full"
                    assert source.in_flight == before
                    continue
                assert isinstance(offered, IngestTicket)
                assert (offered.accepted, offered.rejected) == (n - 1, 1)
                batch = await anext(batches)
                assert (len(batch.events), len(batch.rejected)) == (n - 1, 1)
                pending.append((batch, offered))
                sent += n
            elif pending:
                batch, ticket = pending.pop(n % len(pending))
                assert not ticket.delivered
                assert batch.ack is not None
                batch.ack()
                batch.ack()  # a second ack changes nothing
                assert ticket.delivered
                received += len(batch.events) + len(batch.rejected)
            assert source.in_flight == sent - received
            assert source.in_flight <= MAX or len(pending) == 1
        source.stop()
        assert source.offer(b'{"k": 1}\n') == "closed"
        with contextlib.suppress(StopAsyncIteration):
            await anext(batches)
            raise AssertionError("the source goes on after stop()")
    finally:
        await batches.aclose()
        source.close()
