"""The fast planner plans a batch as the reference planner does (parts, counts, dead letters)."""

from __future__ import annotations

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.ports import FunctionFactory, SourceBatch
from pipeflow.domain.router import Router, build_router
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from pipeflow.infrastructure.actors.plan import BatchPlan
from pipeflow.infrastructure.actors.routing import RouterCell, make_planner
from pipeflow.infrastructure.fastpath.planner import make_fast_planner
from pipeflow.infrastructure.functions import drop, eval, mask
from tests.strategies import GEN_FACTORIES


class _Clock:
    def now(self) -> float:
        return 5.0


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def new_id(self) -> EventId:
        self.n += 1
        return EventId(f"n{self.n}")


def _router(version: int, expression: str) -> Router:
    specs = (
        FunctionSpec("drop", {}, filter='level == "debug"'),
        FunctionSpec("mask", {"field": "msg", "pattern": "@", "replacement": "(at)"}),
        FunctionSpec("eval", {"field": "v", "expression": expression}),
        *(FunctionSpec("gen", {"kind": "fail_if", "seed": s}, filter='level == "info"') for s in range(3)),
    )
    factories: dict[str, FunctionFactory] = {
        "drop": drop.plugin,
        "mask": mask.plugin,
        "eval": eval.plugin,
        **GEN_FACTORIES,
    }
    pipeline = compile_pipeline(Pipeline(PipelineId("p"), specs), factories)
    assert isinstance(pipeline, CompiledPipeline)
    routes = (
        Route(RouteId("e"), 'level == "error"', (SinkName("a"), SinkName("b")), PipelineId("p"), final=False),
        Route(RouteId("r"), "level != null", (SinkName("b"),), PipelineId("p")),
    )
    router = build_router(RouteTable(routes, version), {PipelineId("p"): pipeline})
    assert isinstance(router, Router)
    return router


def _shape(plan: BatchPlan) -> tuple[object, list[tuple[str, str, str, str]], int, int]:
    parts = [(p.sink, p.route, p.pipeline, [e.fields for e in p.events]) for p in plan.parts]
    dead = sorted((str(d.route), str(d.stage), d.reason, repr(d.event)) for d in plan.dead)
    return parts, dead, plan.dropped, plan.unmatched


def test_the_fast_planner_plans_like_the_reference_planner_across_a_reload() -> None:
    meta = EventMeta("src", 1.0)
    levels = ["error", "info", "debug", None, "error", "info"]
    events = [
        Event(EventId(f"e{i}"), meta, {"level": lv, "msg": f"{'x' * i}@y"} if lv else {"msg": "z"})
        for i, lv in enumerate(levels)
    ]
    cell = RouterCell(_router(1, '"one"'))
    reference, fast = make_planner(cell, _Clock()), make_fast_planner(cell, _Clock(), _Ids())
    for version, expression in [(1, '"one"'), (2, "len(msg)")]:
        cell.swap(_router(version, expression))
        batch = SourceBatch("src", events)
        expected, got = _shape(reference(batch)), _shape(fast(batch))
        assert got == expected
        assert got[1], "info events are dead-lettered by the generated fail_if functions"
        assert got[0], "error events are delivered"
