"""The trace of one event through the route table: what ``pipeflow explain`` prints.

``trace_pipeline`` runs a pipeline the way ``CompiledPipeline.process_batch`` does (breadth first,
a raising function is a failure, the batch goes on) while recording every step; property tests
hold it to the same results as ``Router.route_batch``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias, final

from pipeflow.domain.engine import CompiledPipeline, failure_reason
from pipeflow.domain.events import Event
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.results import Drop, Pass, Split
from pipeflow.domain.routes import RouteId, SinkName

Outcome: TypeAlias = Literal["pass", "drop", "split", "fail"]
"""What one function did with one event (``fail``: it raised, the event is dead-lettered)."""


@final
@dataclass(frozen=True, slots=True)
class StepTrace:
    """One function applied to one event: its index and type, the outcome, the events after it."""

    index: int
    type: str
    outcome: Outcome
    events: tuple[JsonObject, ...]
    reason: str | None = None

    def to_json(self) -> dict[str, Json]:
        """The step as ``explain`` prints it."""
        out: dict[str, Json] = {"index": self.index, "type": self.type, "outcome": self.outcome}
        out["events"] = list(self.events)
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@final
@dataclass(frozen=True, slots=True)
class RouteTrace:
    """One route tried: whether it matched and, when it took the event, its steps and deliveries."""

    name: RouteId
    matched: bool
    final: bool
    steps: tuple[StepTrace, ...] = ()
    sinks: tuple[tuple[SinkName, tuple[JsonObject, ...]], ...] = ()

    def to_json(self) -> dict[str, Json]:
        """The route as ``explain`` prints it."""
        out: dict[str, Json] = {"name": self.name, "matched": self.matched}
        if self.matched:
            out["steps"] = [s.to_json() for s in self.steps]
            out["sinks"] = {sink: list(events) for sink, events in self.sinks}
        return out


@final
@dataclass(frozen=True, slots=True)
class Trace:
    """Every route tried for one event, in order (routes after a final match are not tried)."""

    event: JsonObject
    routes: tuple[RouteTrace, ...]

    @property
    def unmatched(self) -> bool:
        """No route matched the event."""
        return not any(r.matched for r in self.routes)

    def to_json(self) -> dict[str, Json]:
        """The whole trace as a JSON object."""
        return {
            "event": self.event,
            "routes": [r.to_json() for r in self.routes],
            "unmatched": self.unmatched,
        }


def trace_pipeline(
    pipeline: CompiledPipeline | None, event: Event
) -> tuple[tuple[StepTrace, ...], tuple[JsonObject, ...]]:
    """Run ``event`` through ``pipeline`` recording each step; also return the fields delivered."""
    if pipeline is None:
        return (), (event.fields,)
    steps: list[StepTrace] = []
    current = [event]
    for step in pipeline.steps:
        nxt: list[Event] = []
        for ev in current:
            try:
                out = step.fn(ev)
            except Exception as exc:  # noqa: BLE001 - as the engine does: a failure, not a crash
                steps.append(StepTrace(step.index, step.type, "fail", (), failure_reason(step.type, exc)))
                continue
            match out:
                case Pass(e):
                    nxt.append(e)
                    steps.append(StepTrace(step.index, step.type, "pass", (e.fields,)))
                case Split(es):
                    nxt.extend(es)
                    steps.append(StepTrace(step.index, step.type, "split", tuple(e.fields for e in es)))
                case Drop(reason):
                    steps.append(StepTrace(step.index, step.type, "drop", (), reason))
                case _:
                    reason = f"{step.type}: returned {type(out).__name__}, not FnResult"
                    steps.append(StepTrace(step.index, step.type, "fail", (), reason))
        current = nxt
    return tuple(steps), tuple(e.fields for e in current)


__all__ = ["Outcome", "RouteTrace", "StepTrace", "Trace", "trace_pipeline"]
