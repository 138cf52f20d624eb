"""The routing engine: order, final and non-final routes, pipelines, unmatched events, explain."""

from __future__ import annotations

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.errors import ValidationError
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.ports import FunctionFactory
from pipeflow.domain.router import Router, build_router
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from pipeflow.infrastructure.functions.drop import plugin as drop
from pipeflow.infrastructure.functions.eval import plugin as eval_
from pipeflow.infrastructure.functions.mask import plugin as mask

FACTORIES: dict[str, FunctionFactory] = {"drop": drop, "eval": eval_, "mask": mask}


def ev(n: int, **fields: object) -> Event:
    return Event(EventId(f"01E{n}"), EventMeta("t", 0.0), dict(fields))  # type: ignore[arg-type]


def route(name: str, filter: str, *sinks: str, pipeline: str | None = None, final: bool = True) -> Route:
    return Route(
        RouteId(name),
        filter,
        tuple(SinkName(s) for s in sinks),
        None if pipeline is None else PipelineId(pipeline),
        final,
    )


def pipeline(name: str, *specs: FunctionSpec) -> CompiledPipeline:
    out = compile_pipeline(Pipeline(PipelineId(name), specs), FACTORIES)
    assert isinstance(out, CompiledPipeline), out
    return out


SCRUB = pipeline(
    "scrub",
    FunctionSpec("drop", filter='level == "debug"'),
    FunctionSpec("mask", {"field": "msg", "pattern": r"\d+", "replacement": "#"}),
    FunctionSpec("eval", {"field": "seen", "expression": "true"}),
)


def router(*routes: Route) -> Router:
    out = build_router(RouteTable(routes, version=3), {PipelineId("scrub"): SCRUB})
    assert isinstance(out, Router), out
    return out


def fields(events: tuple[Event, ...] | list[Event]) -> list[JsonObject]:
    return [e.fields for e in events]


def test_first_matching_final_route_takes_the_event() -> None:
    r = router(route("errors", 'level == "error"', "e"), route("rest", "true", "r"))
    out = r.route_batch([ev(1, level="error"), ev(2, level="info")])
    assert out.version == 3
    assert [fields(o.delivered) for o in out.routes] == [[{"level": "error"}], [{"level": "info"}]]
    assert out.unmatched == ()
    assert out.by_sink() == {"e": [ev(1, level="error")], "r": [ev(2, level="info")]}


def test_non_final_route_takes_a_copy_and_the_original_goes_on() -> None:
    r = router(route("audit", "true", "audit", final=False), route("errors", "status >= 500", "e", "pager"))
    out = r.route_batch([ev(1, status=503), ev(2, status=200)])
    assert fields(out.routes[0].delivered) == [{"status": 503}, {"status": 200}]
    assert fields(out.routes[1].delivered) == [{"status": 503}]
    assert out.routes[1].sinks == ("e", "pager")
    assert out.unmatched == ()  # event 2 was taken by "audit", so it is not unmatched
    assert set(out.by_sink()) == {"audit", "e", "pager"}


def test_events_no_route_takes_are_unmatched() -> None:
    r = router(route("errors", 'level == "error"', "e"))
    out = r.route_batch([ev(1, level="info"), ev(2), ev(3, level="error")])
    assert fields(out.unmatched) == [{"level": "info"}, {}]
    assert fields(out.routes[0].delivered) == [{"level": "error"}]


def test_a_route_runs_its_pipeline_and_reports_drops_with_the_route() -> None:
    r = router(route("all", "true", "out", pipeline="scrub"))
    out = r.route_batch([ev(1, level="debug", msg="x1"), ev(2, level="info", msg="id 42")])
    (outcome,) = out.routes
    assert outcome.route == "all"
    assert outcome.pipeline == "scrub"
    assert fields(outcome.delivered) == [{"level": "info", "msg": "id #", "seen": True}]
    assert [(d.event.id, d.stage) for d in outcome.dropped] == [("01E1", 0)]
    assert outcome.dropped[0].reason == 'dropped by a drop function (filter: level == "debug")'
    assert outcome.failed == ()


def test_every_problem_in_a_table_is_listed() -> None:
    table = RouteTable(
        (
            route("a", "level ==", "s"),
            route("b", "true", "s", pipeline="nope"),
            route("a", "nope(x)", "s"),
            route("c", "true"),
        )
    )
    out = build_router(table, {})
    assert isinstance(out, ValidationError)
    assert [p.where for p in out.problems] == [
        "routes[0].filter",
        "routes[1].pipeline",
        "routes[2].name",
        "routes[2].filter",
        "routes[3].sinks",
    ]


def test_explain_traces_each_route_and_each_step() -> None:
    r = router(
        route("audit", "true", "audit", final=False),
        route("errors", 'level == "error"', "e", pipeline="scrub"),
        route("never", "true", "x"),
    )
    trace = r.explain(ev(1, level="error", msg="code 7"))
    assert [(t.name, t.matched) for t in trace.routes] == [("audit", True), ("errors", True)]
    steps = trace.routes[1].steps
    assert [(s.type, s.outcome) for s in steps] == [("drop", "pass"), ("mask", "pass"), ("eval", "pass")]
    assert steps[1].events == ({"level": "error", "msg": "code #"},)
    assert trace.routes[1].sinks == (("e", ({"level": "error", "msg": "code #", "seen": True},)),)
    assert not trace.unmatched
    as_json = trace.to_json()
    assert as_json["routes"][0] == {  # type: ignore[index]
        "name": "audit",
        "matched": True,
        "steps": [],
        "sinks": {"audit": [{"level": "error", "msg": "code 7"}]},
    }


def test_explain_shows_drops_and_unmatched() -> None:
    r = router(
        route("debug", 'level == "debug"', "d", pipeline="scrub"), route("warn", 'level == "warn"', "w")
    )
    dropped = r.explain(ev(1, level="debug"))
    assert dropped.routes[0].steps[0].outcome == "drop"
    assert dropped.routes[0].steps[0].reason is not None
    assert dropped.routes[0].sinks == (("d", ()),)
    nothing = r.explain(ev(2, level="info"))
    assert [(t.name, t.matched) for t in nothing.routes] == [("debug", False), ("warn", False)]
    assert nothing.unmatched
    assert nothing.to_json()["unmatched"] is True
