"""The fast path behind the runtime's ``Planner`` hook (``infrastructure/actors/routing.py``).

``make_fast_planner`` is a drop-in for ``make_planner``: it reads the ``RouterCell`` once per
batch, compiles each router version once (cached by identity, so a hot reload recompiles), and
plans the batch with the compiled snapshot: from its raw ``lines`` when the source sent them,
else from its events. Ids are made at delivery (lazily), only for events that need one, and they
are the ids the events were read with: a decoded event's own id, a file line's id from the
batch's ``line_ids`` (the same each time the line is read); sinks named in ``encoded_sinks``
(they have ``write_encoded``) get NDJSON bytes and no ids at all. Nothing else differs from the
reference plan.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import final

import orjson

from pipeflow.domain.events import EventMeta
from pipeflow.domain.filter.batch_time import batch_time
from pipeflow.domain.json import JsonObject
from pipeflow.domain.ports import Clock, IdFactory, SourceBatch
from pipeflow.domain.router import Router
from pipeflow.infrastructure.actors.plan import BatchPlan, Encoded, SinkPart
from pipeflow.infrastructure.actors.routing import RouterCell
from pipeflow.infrastructure.actors.topology import Planner
from pipeflow.infrastructure.fastpath.compiler import CompiledSnapshot, compile_snapshot
from pipeflow.infrastructure.fastpath.outcome import FastOutcome, run_fields, run_lines

_OPT = orjson.OPT_APPEND_NEWLINE


@final
class Snapshots:
    """The compiled form of the router in force: compiled once per version (cached by identity,
    so a hot reload compiles the new version on its first batch; one version held at a time)."""

    __slots__ = ("_cache", "_encode", "_metered")

    def __init__(self, encode: Collection[str] = (), *, metered: bool = False) -> None:
        self._encode = frozenset(encode)
        self._metered = metered
        self._cache: tuple[Router, CompiledSnapshot] | None = None

    def __call__(self, router: Router) -> CompiledSnapshot:
        """The snapshot of ``router``."""
        hit = self._cache
        if hit is None or hit[0] is not router:
            hit = self._cache = (router, compile_snapshot(router, self._encode, metered=self._metered))
        return hit[1]


def plan_batch(
    compiled: CompiledSnapshot, batch: SourceBatch, at: float, ids: IdFactory, encode: Collection[str]
) -> tuple[FastOutcome, BatchPlan]:
    """Run ``batch`` through ``compiled`` at time ``at`` (what ``now()`` gives in its expressions):
    from its raw ``lines`` when the source sent them, else from its events; the outcome and its plan."""
    with batch_time(at):
        return _plan_batch(compiled, batch, at, ids, encode)


def _plan_batch(
    compiled: CompiledSnapshot, batch: SourceBatch, at: float, ids: IdFactory, encode: Collection[str]
) -> tuple[FastOutcome, BatchPlan]:
    if batch.lines is not None:
        meta = EventMeta(batch.source, at)
        outcome = run_lines(compiled, batch.lines, meta, ids, batch.line_ids, text=batch.text)
        planned = plan_outcome(outcome, batch.source, at, meta, ids, encode)
        planned.events_in = outcome.events_in
        planned.rejected = outcome.rejected
        return outcome, planned
    meta = batch.events[0].meta if batch.events else EventMeta(batch.source, at)
    events = batch.events
    outcome = run_fields(compiled, [e.fields for e in events], meta, ids, lambda k: events[k].id)
    return outcome, plan_outcome(outcome, batch.source, at, meta, ids, encode)


def make_fast_planner(
    cell: RouterCell, clock: Clock, ids: IdFactory, encoded_sinks: Collection[str] = ()
) -> Planner:
    """A planner that routes each batch through the compiled form of the router in force."""
    encode = frozenset(encoded_sinks)
    snapshot = Snapshots(encode)

    def plan(batch: SourceBatch) -> BatchPlan:
        return plan_batch(snapshot(cell.router), batch, clock.now(), ids, encode)[1]

    return plan


def plan_outcome(
    outcome: FastOutcome,
    source: str,
    at: float,
    meta: EventMeta,
    ids: IdFactory,
    encoded_sinks: Collection[str] = (),
) -> BatchPlan:
    """A fast outcome in the runtime's terms: one part per route and sink, as ``plan_routed``."""
    plan = BatchPlan(dropped=outcome.dropped, unmatched=outcome.unmatched)
    routes = outcome.snapshot.router.routes
    for i, (r, fields) in enumerate(zip(routes, outcome.delivered, strict=True)):
        route, pipeline = r.route.name, r.route.pipeline
        encoded, n = outcome.encoded_lines(i)
        if encoded:
            part = Encoded(encoded, n, meta)
            plan.parts.extend(SinkPart(sink, [], route, pipeline, part) for sink in r.route.sinks)
        if not fields:
            continue
        data = _encode(fields) if all(s in encoded_sinks for s in r.route.sinks) else None
        if data is not None:
            part = Encoded(data, len(fields), meta)
            plan.parts.extend(SinkPart(sink, [], route, pipeline, part) for sink in r.route.sinks)
        else:
            events = outcome.as_events(i, meta, ids)
            plan.parts.extend(SinkPart(sink, events, route, pipeline) for sink in r.route.sinks)
    plan.dead.extend(outcome.dead_letters(source, at, ids))
    return plan


def _encode(fields: list[JsonObject]) -> bytes | None:
    """NDJSON for ``fields``, or ``None`` when one cannot be encoded (its sink fails on it later)."""
    dumps = orjson.dumps
    try:
        return b"".join([dumps(f, option=_OPT) for f in fields])
    except orjson.JSONEncodeError:
        return None


__all__ = ["Snapshots", "make_fast_planner", "plan_batch", "plan_outcome"]
