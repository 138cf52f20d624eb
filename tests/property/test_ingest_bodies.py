"""Plans made from request bodies: what ``serve`` makes of a body through the fast path (raw lines,
``metered_fast_planner``) equals what the reference path makes of it (decoded at ``offer``,
``metered_planner``): the same fields per sink in order, drops, unmatched events, failures,
rejected lines (with their reasons) and counts, for generated route tables and bodies with
blank, malformed and over-long lines."""

from __future__ import annotations

from collections import Counter
from contextlib import aclosing
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.ports import SourceBatch
from pipeflow.domain.router import Router
from pipeflow.infrastructure.actors.plan import BatchPlan
from pipeflow.infrastructure.actors.routing import RouterCell
from pipeflow.infrastructure.metering import metered_fast_planner, metered_planner
from pipeflow.infrastructure.metrics import Metrics
from pipeflow.infrastructure.sources.ingest import IngestSource, IngestTicket
from tests.fakes import CountingIds, FakeClock
from tests.property.test_fastpath_equals_reference import field_sets, routers

LIMIT = 64
BAD = [b"", b"   ", b"{", b"[1, 2]", b'"text"', b"\xff\xfe", b'{"a": ' + b"9" * LIMIT + b"}", b"{}\r"]

lines = st.lists(st.one_of(field_sets.map(orjson.dumps), st.sampled_from(BAD)), max_size=10)


def _seen(plan: BatchPlan, batch: SourceBatch) -> dict[str, Any]:
    sinks: dict[str, list[Any]] = {}
    for part in plan.parts:
        encoded = [orjson.loads(x) for x in part.encoded.data.splitlines()] if part.encoded else []
        sinks.setdefault(part.sink, []).extend([*encoded, *(e.fields for e in part.events)])
    rejected = Counter((r.raw, r.reason) for r in [*batch.rejected, *plan.rejected])
    events_in = len(batch.events) if plan.events_in is None else plan.events_in
    return {
        "sinks": {s: orjson.dumps(fs) for s, fs in sinks.items() if fs},
        "dead": sorted((d.reason, d.route or "", str(d.stage), orjson.dumps(d.event)) for d in plan.dead),
        "counts": (plan.dropped, plan.unmatched, events_in),
        "rejected": rejected,
    }


async def _planned(router: Router, body: bytes, *, raw: bool) -> tuple[dict[str, Any], IngestTicket]:
    source = IngestSource("web", ids=CountingIds(), clock=FakeClock(), max_line_bytes=LIMIT, raw=raw)
    ticket = source.offer(body)
    assert isinstance(ticket, IngestTicket)
    cell, metrics = RouterCell(router), Metrics()
    if raw:
        plan = metered_fast_planner(cell, FakeClock(), CountingIds(), metrics, encoded_sinks=("s1",))
    else:
        plan = metered_planner(cell, FakeClock(), metrics)
    if ticket.delivered:  # nothing to plan (no line, or only blank ones): nothing was queued
        source.close()
        return {"sinks": {}, "dead": [], "counts": (0, 0, 0), "rejected": Counter()}, ticket
    async with aclosing(source.batches()) as batches:
        batch = await anext(batches)
    source.close()
    planned = plan(batch)
    seen = _seen(planned, batch)
    if batch.planned is not None:  # what the topology tells a raw batch's ticket
        batch.planned(seen["counts"][2], sum(seen["rejected"].values()))
    return seen, ticket


@settings(max_examples=150, deadline=None)
@given(routers(), lines, st.booleans())
async def test_a_body_through_the_fast_path_is_planned_as_the_reference_plans_it(
    router: Router, body_lines: list[bytes], trailing_newline: bool
) -> None:
    body = b"\n".join(body_lines) + (b"\n" if trailing_newline and body_lines else b"")
    reference, ticket_ref = await _planned(router, body, raw=False)
    fast, ticket_fast = await _planned(router, body, raw=True)
    assert fast == reference
    assert (ticket_fast.accepted, ticket_fast.rejected) == (ticket_ref.accepted, ticket_ref.rejected)
