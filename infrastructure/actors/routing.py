"""The router's side of the runtime: the current routing snapshot, and planning a batch with it.

Hot reload swaps the ``RouterCell``'s router for a new immutable one; each batch reads the cell
once, so every event of a batch is processed by one whole version, never a mix.
"""

from __future__ import annotations

from typing import final

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.filter.batch_time import batch_time
from pipeflow.domain.ports import Clock, SourceBatch
from pipeflow.domain.router import Routed, Router
from pipeflow.infrastructure.actors.plan import BatchPlan, SinkPart
from pipeflow.infrastructure.actors.topology import Planner


@final
class RouterCell:
    """Holds the router in force; ``swap`` installs a new version atomically (one assignment)."""

    __slots__ = ("router",)

    def __init__(self, router: Router) -> None:
        self.router = router

    def swap(self, router: Router) -> Router:
        """Install ``router`` and return the one it replaces."""
        old, self.router = self.router, router
        return old


def plan_routed(routed: Routed, source: str, at: float) -> BatchPlan:
    """Translate the router's decisions into sink parts, dead letters and counts."""
    plan = BatchPlan(unmatched=len(routed.unmatched))
    for outcome in routed.routes:
        pipeline = outcome.pipeline
        if outcome.delivered:
            events = list(outcome.delivered)
            plan.parts.extend(SinkPart(sink, events, outcome.route, pipeline) for sink in outcome.sinks)
        plan.dropped += len(outcome.dropped)
        plan.dead.extend(
            DeadLetter(
                id=f.event.id,
                at=at,
                source=source,
                reason=f.reason,
                route=outcome.route,
                pipeline=pipeline,
                stage=f.stage,
                event=f.event.fields,
            )
            for f in outcome.failed
        )
    return plan


def make_planner(cell: RouterCell, clock: Clock) -> Planner:
    """A planner that routes each batch with the router in force when the batch arrives.

    The clock is read once per batch: that time stamps its dead letters and is what ``now()``
    gives in its expressions.
    """

    def plan(batch: SourceBatch) -> BatchPlan:
        at = clock.now()
        with batch_time(at):
            routed = cell.router.route_batch(batch.events)
        return plan_routed(routed, batch.source, at)

    return plan


__all__ = ["RouterCell", "make_planner", "plan_routed"]
