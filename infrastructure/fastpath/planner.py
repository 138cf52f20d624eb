"""The fast path behind the runtime's ``Planner`` hook (``infrastructure/actors/routing.py``).

``make_fast_planner`` is a drop-in for ``make_planner``: it reads the ``RouterCell`` once per
batch, compiles each router version once (cached by identity, so a hot reload recompiles), and
plans the batch with the compiled snapshot. Events leave with ids made at delivery (lazily), not
the ids they were read with; nothing else differs from the reference plan.
"""

from __future__ import annotations

from domain.events import EventMeta
from domain.ports import Clock, IdFactory, SourceBatch
from domain.router import Router
from infrastructure.actors.plan import BatchPlan, SinkPart
from infrastructure.actors.routing import RouterCell
from infrastructure.actors.topology import Planner
from infrastructure.fastpath.compiler import CompiledSnapshot, compile_snapshot
from infrastructure.fastpath.outcome import FastOutcome, as_events, run_fields


def make_fast_planner(cell: RouterCell, clock: Clock, ids: IdFactory) -> Planner:
    """A planner that routes each batch through the compiled form of the router in force."""
    cache: dict[int, tuple[Router, CompiledSnapshot]] = {}

    def snapshot(router: Router) -> CompiledSnapshot:
        hit = cache.get(id(router))
        if hit is None or hit[0] is not router:
            cache.clear()  # one version in force at a time
            hit = cache[id(router)] = (router, compile_snapshot(router))
        return hit[1]

    def plan(batch: SourceBatch) -> BatchPlan:
        at = clock.now()
        meta = batch.events[0].meta if batch.events else EventMeta(batch.source, at)
        outcome = run_fields(snapshot(cell.router), [e.fields for e in batch.events], meta, ids)
        return plan_outcome(outcome, batch.source, at, meta, ids)

    return plan


def plan_outcome(outcome: FastOutcome, source: str, at: float, meta: EventMeta, ids: IdFactory) -> BatchPlan:
    """A fast outcome in the runtime's terms: one part per route and sink, as ``plan_routed``."""
    plan = BatchPlan(dropped=outcome.dropped, unmatched=outcome.unmatched)
    for r, fields in zip(outcome.snapshot.router.routes, outcome.delivered, strict=True):
        if fields:
            events = as_events(fields, meta, ids)
            plan.parts.extend(
                SinkPart(sink, events, r.route.name, r.route.pipeline) for sink in r.route.sinks
            )
    plan.dead.extend(outcome.dead_letters(source, at, ids))
    return plan


__all__ = ["make_fast_planner", "plan_outcome"]
