"""What each route's pipeline did to a batch, counted for metrics: the same tally from the
reference engine's ``Routed`` and from a metered fast-path ``FastOutcome``.

The fast path counts drops per route and step where they happen (``compile_snapshot(...,
metered=True)``) and failures carry their step; a fused step never splits, so what passed each
fused step follows: the events that reached the route's end (or its reference-engine tail), plus
what the fused steps dropped and failed on, entered the first step, and each step passes what it
did not drop or fail on. The tail reports its own per-step counts, as the reference engine does.
``tests/property/test_fast_metering.py`` holds the law: both tallies feed equal metrics.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import final

from pipeflow.domain.router import Routed
from pipeflow.infrastructure.fastpath.outcome import FastOutcome

__all__ = ["RouteTally", "tally_fast", "tally_routed"]


@final
@dataclass(frozen=True, slots=True)
class RouteTally:
    """One route's counts in a batch: drops and failures per function index, passes and splits."""

    route: str
    pipeline: str | None
    dropped: Counter[int] = field(default_factory=Counter)
    failed: Counter[int] = field(default_factory=Counter)
    steps: tuple[tuple[int, int, int], ...] = ()  # (function index, passed, split)


def tally_routed(routed: Routed) -> list[RouteTally]:
    """The tally of a batch the reference router routed."""
    return [
        RouteTally(
            o.route,
            o.pipeline,
            Counter(d.stage for d in o.dropped),
            Counter(f.stage for f in o.failed),
            o.steps,
        )
        for o in routed.routes
    ]


def tally_fast(outcome: FastOutcome) -> list[RouteTally]:
    """The tally of a batch a metered snapshot ran (the same numbers ``tally_routed`` would give)."""
    snapshot = outcome.snapshot
    if not snapshot.metered:
        raise ValueError("a fast outcome is tallied only from a snapshot compiled metered")
    drops: list[Counter[int]] = [Counter() for _ in snapshot.router.routes]
    for (route, stage), n in zip(snapshot.drop_slots, outcome.drops, strict=True):
        if n:
            drops[route][stage] += n
    failed: list[Counter[int]] = [Counter() for _ in snapshot.router.routes]
    fused_failed: list[Counter[int]] = [Counter() for _ in snapshot.router.routes]
    for f in outcome.failed:
        failed[f.route][f.stage] += 1
        if f.event is None:  # failed in the fused loop, not in the tail
            fused_failed[f.route][f.stage] += 1
    tallies: list[RouteTally] = []
    for i, r in enumerate(snapshot.router.routes):
        tail = snapshot.tails[i]
        fused_drops = drops[i].copy()
        steps = r.pipeline.steps if r.pipeline is not None else ()
        fused = steps[: len(steps) - len(tail.steps)] if tail is not None else steps
        if tail is not None:
            reached = outcome.tail_in.get(i, 0)
        else:
            reached = len(outcome.delivered[i]) + (outcome.line_counts[i] if outcome.line_counts else 0)
        entered = reached + sum(fused_drops.values()) + sum(fused_failed[i].values())
        counts: list[tuple[int, int, int]] = []
        for step in fused:
            passed = entered - fused_drops[step.index] - fused_failed[i][step.index]
            if passed:
                counts.append((step.index, passed, 0))
            entered = passed
        counts.extend(outcome.tail_steps.get(i, ()))
        drops[i].update(outcome.tail_drops.get(i, ()))
        tallies.append(RouteTally(r.route.name, r.route.pipeline, drops[i], failed[i], tuple(counts)))
    return tallies
