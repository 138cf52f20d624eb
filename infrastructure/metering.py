"""Metering by composition: decorators that feed ``Metrics`` without the actors knowing of it.

The actors stay as they are; ``serve`` wraps what it hands them:

- ``metered(sink)`` around each sink (``infrastructure/metered_sinks.py``): events written,
  seconds per write, and retries;
- ``MeteredDeadLetterStore`` around the dead-letter store: records stored, per stage;
- ``metered_planner`` instead of ``make_planner`` (``metered_fast_planner`` instead of
  ``make_fast_planner``: the same counts): events in per source, unmatched, and per route the
  events a pipeline's functions dropped or failed on, and the events each route took
  (``pipeflow_route_events_total``: delivered + dropped + failed); it also offers the planned parts to a
  ``Tap`` when someone listens;
- ``observe_buffers`` before each scrape: the events waiting in each sink's buffer.

``pipeflow_function_events_total`` counts every outcome of every function, per pipeline and
function type: ``drop`` and ``failed`` from the route's drops and failures, ``pass`` and ``split``
from the per-step counts the reference engine reports (``RouteOutcome.steps``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import final

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.filter.batch_time import batch_time
from pipeflow.domain.ports import Clock, IdFactory, SourceBatch
from pipeflow.domain.router import Router
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterStore
from pipeflow.infrastructure.actors.plan import BatchPlan
from pipeflow.infrastructure.actors.routing import RouterCell, plan_routed
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.actors.topology import Planner
from pipeflow.infrastructure.fastpath.counts import RouteTally, tally_fast, tally_routed
from pipeflow.infrastructure.fastpath.planner import Snapshots, plan_batch
from pipeflow.infrastructure.metrics import Metrics
from pipeflow.infrastructure.tap import Tap

__all__ = [
    "MeteredDeadLetterStore",
    "dead_letter_stage",
    "metered_fast_planner",
    "metered_planner",
    "observe_buffers",
]


def dead_letter_stage(record: DeadLetter) -> str:
    """The ``stage`` label of a record: ``decode``, ``sink`` or ``function`` (a bounded set).

    >>> dead_letter_stage(DeadLetter("i", 0.0, "s", "r", stage="sink:out")), dead_letter_stage(
    ...     DeadLetter("i", 0.0, "s", "r", stage=2)
    ... )
    ('sink', 'function')
    """
    stage = record.stage
    if stage == "decode":
        return "decode"
    if isinstance(stage, str) and stage.startswith("sink"):
        return "sink"
    return "function"


@final
class MeteredDeadLetterStore:
    """A ``DeadLetterStore`` that counts the records stored, per stage, and the writes that failed."""

    def __init__(self, inner: DeadLetterStore, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def write(self, records: Sequence[DeadLetter]) -> None:
        """Store through the inner store, then count (a failed write counts as one failure)."""
        try:
            await self._inner.write(records)
        except Exception:
            self._metrics.dead_letter_write_failed()
            raise
        for stage, n in Counter(dead_letter_stage(r) for r in records).items():
            self._metrics.events_dead_lettered(stage, n)

    async def close(self) -> None:
        """Close the inner store."""
        await self._inner.close()


def _function_type(pipeline: CompiledPipeline | None, index: int) -> str:
    if pipeline is not None:
        for step in pipeline.steps:
            if step.index == index:
                return step.type
    return "unknown"


def _count(
    metrics: Metrics,
    unmatched: int,
    tallies: Sequence[RouteTally],
    router: Router,
    delivered: Sequence[int],
) -> None:
    """Count a batch: ``tallies`` and ``delivered`` (events delivered) are per route, in table order."""
    if unmatched:
        metrics.events_unmatched(unmatched)
    for tally, out in zip(tallies, delivered, strict=True):
        took = out + sum(tally.dropped.values()) + sum(tally.failed.values())
        if took:
            metrics.route_events(tally.route, took)
    for tally in tallies:
        pipeline = tally.pipeline or ""
        if tally.dropped:
            metrics.events_dropped(tally.route, pipeline, sum(tally.dropped.values()))
        if not (tally.dropped or tally.failed or tally.steps):
            continue
        compiled = next((r.pipeline for r in router.routes if r.route.name == tally.route), None)
        for stage, passed, split in tally.steps:
            if passed:
                metrics.function_handled(pipeline, _function_type(compiled, stage), "pass", passed)
            if split:
                metrics.function_handled(pipeline, _function_type(compiled, stage), "split", split)
        for stage, n in tally.dropped.items():
            metrics.function_handled(pipeline, _function_type(compiled, stage), "drop", n)
        for stage, n in tally.failed.items():
            metrics.function_handled(pipeline, _function_type(compiled, stage), "failed", n)


def metered_planner(cell: RouterCell, clock: Clock, metrics: Metrics, tap: Tap | None = None) -> Planner:
    """Like ``make_planner`` (one read of the cell per batch), counting what the router decided.

    With a ``tap``, the planned parts are offered to it while it has subscribers (otherwise the
    cost is one attribute test per batch).
    """

    def plan(batch: SourceBatch) -> BatchPlan:
        router = cell.router
        metrics.events_in(batch.source, len(batch.events))
        at = clock.now()  # once per batch: its dead letters' time and its expressions' ``now()``
        with batch_time(at):
            routed = router.route_batch(batch.events)
        delivered = [len(o.delivered) for o in routed.routes]
        _count(metrics, len(routed.unmatched), tally_routed(routed), router, delivered)
        planned = plan_routed(routed, batch.source, at)
        if tap is not None and tap.listening:
            tap.offer(planned.parts)
        return planned

    return plan


def metered_fast_planner(
    cell: RouterCell,
    clock: Clock,
    ids: IdFactory,
    metrics: Metrics,
    tap: Tap | None = None,
    encoded_sinks: Collection[str] = (),
) -> Planner:
    """``metered_planner`` through the fast path: the same plans and the same metrics (drops are
    counted where they happen, passes follow from them), at the fast path's cost.

    Raw batches (``lines``) are decoded in the loop. While someone taps, parts carry events
    (the tap shows them) instead of encoded bytes.
    """
    encode = frozenset(encoded_sinks)
    encoded, plain = Snapshots(encode, metered=True), Snapshots(metered=True)

    def plan(batch: SourceBatch) -> BatchPlan:
        router = cell.router
        tapping = tap is not None and tap.listening
        snapshot = plain(router) if tapping else encoded(router)
        outcome, planned = plan_batch(snapshot, batch, clock.now(), ids, () if tapping else encode)
        metrics.events_in(batch.source, outcome.events_in)
        lines = outcome.line_counts or [0] * len(outcome.delivered)
        delivered = [len(d) + n for d, n in zip(outcome.delivered, lines, strict=True)]
        _count(metrics, outcome.unmatched, tally_fast(outcome), router, delivered)
        if tap is not None and tapping:
            tap.offer(planned.parts)
        return planned

    return plan


def observe_buffers(metrics: Metrics, sinks: Mapping[str, SinkActor]) -> None:
    """Set each sink's buffer gauges: the events waiting in memory, the bytes of its disk buffer."""
    for name, actor in sinks.items():
        metrics.sink_buffered(name, actor.budget.used)
        if actor.buffer is not None:
            metrics.sink_disk_buffered(name, actor.buffer.size_bytes)
