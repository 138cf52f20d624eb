"""The routing engine: a ``RouteTable`` compiled into a ``Router`` that sends batches to sinks.

Routes are tried in order and the first matching route takes the event; a route with
``final=False`` takes a copy (events are immutable, so the copy is the same value) and the
original goes on. An event no route matched is ``unmatched``. ``route_batch`` returns every
decision as a value and keeps no trace; ``explain`` answers the same question for one event,
step by step (``domain.trace``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, final

from pipeflow.domain.engine import CompiledPipeline, Dropped, Failed
from pipeflow.domain.errors import Problem, ValidationError
from pipeflow.domain.events import Event
from pipeflow.domain.filter import compile_filter
from pipeflow.domain.json import JsonObject
from pipeflow.domain.pipeline import PipelineId
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName

if TYPE_CHECKING:  # ``explain`` imports it: routing never needs it (start-up time)
    from pipeflow.domain.trace import Trace


@final
@dataclass(frozen=True, slots=True)
class RouteOutcome:
    """What one route made of a batch: events for its sinks, and its pipeline's drops and failures."""

    route: RouteId
    pipeline: PipelineId | None
    sinks: tuple[SinkName, ...]
    delivered: tuple[Event, ...]
    dropped: tuple[Dropped, ...] = ()
    failed: tuple[Failed, ...] = ()
    # (function index, events passed, events split) per step, for metrics; not part of equality.
    steps: tuple[tuple[int, int, int], ...] = field(default=(), compare=False)


@final
@dataclass(frozen=True, slots=True)
class Routed:
    """A routed batch: one outcome per route in table order, and the events no route matched."""

    version: int
    routes: tuple[RouteOutcome, ...]
    unmatched: tuple[Event, ...]

    def by_sink(self) -> dict[SinkName, list[Event]]:
        """The events each sink receives, in route order then batch order."""
        out: dict[SinkName, list[Event]] = {}
        for outcome in self.routes:
            for sink in outcome.sinks:
                out.setdefault(sink, []).extend(outcome.delivered)
        return out


@final
@dataclass(frozen=True, slots=True)
class CompiledRoute:
    """A route with its filter compiled and its pipeline resolved."""

    route: Route
    matches: Callable[[JsonObject], bool]
    pipeline: CompiledPipeline | None


@final
@dataclass(frozen=True, slots=True)
class Router:
    """A compiled, immutable route table; build it with ``build_router``."""

    version: int
    routes: tuple[CompiledRoute, ...]

    def route_batch(self, events: Iterable[Event]) -> Routed:
        """Route a batch: filters, then each route's pipeline over the events it took."""
        checks = [(r.matches, r.route.final) for r in self.routes]
        taken: list[list[Event]] = [[] for _ in checks]
        unmatched: list[Event] = []
        for event in events:
            fields, hit = event.fields, False
            for i, (matches, is_final) in enumerate(checks):
                if matches(fields):
                    taken[i].append(event)
                    hit = True
                    if is_final:
                        break
            if not hit:
                unmatched.append(event)
        return Routed(
            self.version,
            tuple(_run(r, batch) for r, batch in zip(self.routes, taken, strict=True)),
            tuple(unmatched),
        )

    def explain(self, event: Event) -> Trace:
        """What happens to one event: each route tried, and for the routes taking it, each step."""
        from pipeflow.domain.trace import RouteTrace, Trace, trace_pipeline

        tried: list[RouteTrace] = []
        for r in self.routes:
            if not r.matches(event.fields):
                tried.append(RouteTrace(r.route.name, False, r.route.final))
                continue
            steps, delivered = trace_pipeline(r.pipeline, event)
            sinks = tuple((sink, delivered) for sink in r.route.sinks)
            tried.append(RouteTrace(r.route.name, True, r.route.final, steps, sinks))
            if r.route.final:
                break
        return Trace(event.fields, tuple(tried))


def _run(r: CompiledRoute, batch: list[Event]) -> RouteOutcome:
    route = r.route
    if r.pipeline is None or not batch:
        return RouteOutcome(route.name, route.pipeline, route.sinks, tuple(batch))
    result = r.pipeline.process_batch(batch)
    return RouteOutcome(
        route.name,
        route.pipeline,
        route.sinks,
        tuple(result.outputs),
        tuple(result.dropped),
        tuple(result.failed),
        tuple(result.steps),
    )


def build_router(
    table: RouteTable, pipelines: Mapping[PipelineId, CompiledPipeline]
) -> Router | ValidationError:
    """Compile every route's filter and resolve its pipeline; every problem is listed.

    >>> from pipeflow.domain.routes import Route, RouteId, SinkName
    >>> bad = Route(RouteId("r"), "level ==", (SinkName("out"),), PipelineId("nope"))
    >>> for p in build_router(RouteTable((bad,)), {}).problems: print(p)
    routes[0].filter: line 1, column 9: expected expression, found end of input
    routes[0].pipeline: unknown pipeline 'nope'
    """
    found: list[Problem] = []
    compiled: list[CompiledRoute] = []
    seen: set[str] = set()
    for i, route in enumerate(table.routes):
        where = f"routes[{i}]"
        if route.name in seen:
            found.append(Problem(f"{where}.name", f"duplicate route name {route.name!r}"))
        seen.add(route.name)
        matches = compile_filter(route.filter)
        if isinstance(matches, ValidationError):
            found.extend(Problem(f"{where}.filter", p.message) for p in matches.problems)
        pipeline = None if route.pipeline is None else pipelines.get(route.pipeline)
        if route.pipeline is not None and pipeline is None:
            found.append(Problem(f"{where}.pipeline", f"unknown pipeline {route.pipeline!r}"))
        if not route.sinks:
            found.append(Problem(f"{where}.sinks", "a route needs at least one sink"))
        if not isinstance(matches, ValidationError):
            compiled.append(CompiledRoute(route, matches, pipeline))
    if found:
        return ValidationError(tuple(found))
    return Router(table.version, tuple(compiled))


__all__ = ["CompiledRoute", "RouteOutcome", "Routed", "Router", "build_router"]
