"""``IngestSource`` in raw mode (``serve`` under the fast planner): a body's lines travel undecoded,
over-long lines are rejected at once, and the ticket learns its counts when the batch is planned."""

from __future__ import annotations

from contextlib import aclosing

from pipeflow.domain.line_block import LineBlock
from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.sources.ingest import IngestSource, IngestTicket


def _source(max_events: int = 100, max_line_bytes: int = 1 << 20) -> IngestSource:
    clock, ids = SystemClock(), UlidFactory()
    return IngestSource(
        "web", ids=ids, clock=clock, raw=True, max_events=max_events, max_line_bytes=max_line_bytes
    )


async def test_a_body_travels_as_its_lines_and_the_plan_tells_the_ticket_its_counts() -> None:
    source = _source()
    ticket = source.offer(b'{"a": 1}\n\nnot json\n{"b": 2}\n')
    assert isinstance(ticket, IngestTicket)
    async with aclosing(source.batches()) as batches:
        batch = await anext(batches)
    assert batch.events == []
    # No line can be over-long in a body shorter than max_line_bytes: it travels as one block.
    assert batch.lines == LineBlock(b'{"a": 1}\n\nnot json\n{"b": 2}\n', 4)
    assert source.in_flight == 4  # lines, the blank one included
    assert batch.planned is not None
    batch.planned(2, 1)  # what the topology reports once the fast path decoded the lines
    assert (ticket.accepted, ticket.rejected) == (2, 1)
    assert batch.ack is not None
    batch.ack()
    assert ticket.delivered
    assert source.in_flight == 0
    source.close()


async def test_a_last_line_without_newline_counts_and_an_empty_body_is_delivered_at_once() -> None:
    source = _source()
    ticket = source.offer(b'{"a": 1}\n{"b": 2}')
    assert isinstance(ticket, IngestTicket)
    assert source.in_flight == 2
    empty = source.offer(b"")
    assert isinstance(empty, IngestTicket)
    assert empty.delivered
    source.close()


async def test_over_long_lines_are_rejected_before_the_routing_loop() -> None:
    source = _source(max_line_bytes=8)
    ticket = source.offer(b'{"a": 1}\n{"long": 12345}\n' + b" " * 20 + b"\n")
    assert isinstance(ticket, IngestTicket)
    async with aclosing(source.batches()) as batches:
        batch = await anext(batches)
    assert batch.lines == [b'{"a": 1}']  # the long blank line is dropped, as a blank line is
    assert [(r.raw, r.reason) for r in batch.rejected] == [
        (b'{"long":', "line over max_line_bytes (15 bytes)")
    ]
    assert ticket.rejected == 1
    source.close()


def test_a_full_queue_refuses_by_lines_and_an_empty_body_is_delivered_at_once() -> None:
    source = _source(max_events=3)
    empty = source.offer(b"")
    assert isinstance(empty, IngestTicket)
    assert empty.delivered
    assert isinstance(source.offer(b"{}\n{}\n"), IngestTicket)
    assert source.offer(b"{}\n{}\n") == "full"
    source.stop()
    assert source.offer(b"{}\n") == "closed"
    source.close()


def test_a_lines_source_is_never_raw() -> None:
    source = IngestSource("web", ids=UlidFactory(), clock=SystemClock(), format="lines", raw=True)
    ticket = source.offer(b"hello\n")
    assert isinstance(ticket, IngestTicket)
    assert (ticket.accepted, ticket.rejected) == (1, 0)
    source.close()
