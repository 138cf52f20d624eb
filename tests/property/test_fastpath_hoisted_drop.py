"""The fast path runs a ``drop`` that every route's pipeline starts with before the routes; the
outcome still equals the reference engine's (counts, fields per sink, failures), and an
expression that folds to a constant is inlined without changing any value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import final

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Success

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.events import Event, EventMeta
from pipeflow.domain.filter import compile_expression
from pipeflow.domain.json import JsonObject
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.results import FnResult, Pass
from pipeflow.domain.router import Router, build_router
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from pipeflow.infrastructure.fastpath import compile_snapshot, run_fields, run_lines
from pipeflow.infrastructure.fastpath.kernels import constant_of
from tests.property.test_fastpath_equals_reference import (
    FACTORIES,
    FILTERS,
    Counter,
    fast,
    field_sets,
    reference,
    specs,
)


@st.composite
def shared_drop_routers(draw: st.DrawFn) -> Router:
    """Routes whose pipelines mostly start with one filtered drop; some start with another step
    behind a filter (a drop of another filter, a mask), which must keep the drop from moving."""
    first = FunctionSpec("drop", {}, filter=draw(st.sampled_from(FILTERS)))
    others = st.sampled_from(
        [
            FunctionSpec("drop", {}, filter='level == "info"'),
            FunctionSpec("mask", {"field": "msg", "pattern": "a", "replacement": "X"}, filter=first.filter),
            FunctionSpec(
                "mask", {"field": "msg", "pattern": "y", "replacement": "Y"}, filter='level == "info"'
            ),
        ]
    )
    pipelines: dict[PipelineId, CompiledPipeline] = {}
    routes: list[Route] = []
    n = draw(st.integers(1, 3))
    for i in range(n):
        pid = PipelineId(f"p{i}")
        head = draw(st.one_of(st.just(first), st.just(first), others))
        built = compile_pipeline(Pipeline(pid, (head, *draw(st.lists(specs, max_size=4)))), FACTORIES)
        assert isinstance(built, CompiledPipeline), built
        pipelines[pid] = built
        last = i == n - 1
        text = draw(st.sampled_from(["true", "1 == 1"])) if last else draw(st.sampled_from(FILTERS))
        routes.append(Route(RouteId(f"r{i}"), text, (SinkName(f"s{i % 2}"),), pid))
    router = build_router(RouteTable(tuple(routes)), pipelines)
    assert isinstance(router, Router), router
    return router


@settings(max_examples=300, deadline=None)
@given(shared_drop_routers(), st.lists(field_sets, max_size=6))
def test_a_drop_every_route_starts_with_runs_first_and_changes_nothing(
    router: Router, batch: list[JsonObject]
) -> None:
    snapshot = compile_snapshot(router, {"s0", "s1"})
    expected = reference(router, batch)
    expected["sinks"] = {s: es for s, es in expected["sinks"].items() if es}
    meta = EventMeta("src", 0.0)
    assert fast(run_fields(snapshot, batch, meta, Counter())) == expected, snapshot.source
    lines = [orjson.dumps(f) for f in batch]
    assert fast(run_lines(snapshot, lines, meta, Counter())) == expected, snapshot.source


def test_the_shared_drop_is_tested_once_before_the_routes() -> None:
    router = shared_drop_router_of('level == "debug"', ["status >= 500", "true"])
    source = compile_snapshot(router).source
    assert source.count("dropped += 1") == 1
    delivered = re.search(r"_out\d+\(f\)", source)
    assert delivered is not None, source
    assert source.index("dropped += 1") < delivered.start()


def test_a_field_the_shared_drop_read_is_type_tested_again_in_each_route() -> None:
    """Regression: the shared drop reads ``msg`` for every route; a route's mask tests it is a
    string into a flag, which a later route (reached when the first did not match) must not use."""
    mask = FunctionSpec("mask", {"field": "msg", "pattern": "a", "replacement": ""})
    drop = FunctionSpec("drop", {}, filter='msg == "x"')
    pipelines: dict[PipelineId, CompiledPipeline] = {}
    for pid in (PipelineId("p0"), PipelineId("p1")):
        built = compile_pipeline(Pipeline(pid, (drop, mask)), FACTORIES)
        assert isinstance(built, CompiledPipeline)
        pipelines[pid] = built
    routes = (
        Route(RouteId("r0"), 'level == "error"', (SinkName("s0"),), PipelineId("p0")),
        Route(RouteId("r1"), "true", (SinkName("s1"),), PipelineId("p1")),
    )
    router = build_router(RouteTable(routes), pipelines)
    assert isinstance(router, Router)
    batch: list[JsonObject] = [{"level": "info", "msg": "banana"}, {"level": "error", "msg": "a"}]
    outcome = run_lines(
        compile_snapshot(router), [orjson.dumps(f) for f in batch], EventMeta("s", 0.0), Counter()
    )
    assert fast(outcome) == {
        **reference(router, batch),
        "sinks": {"s0": [b'{"level":"error","msg":""}'], "s1": [b'{"level":"info","msg":"bnn"}']},
    }


def test_a_route_that_starts_with_another_filtered_step_keeps_the_drop_in_place() -> None:
    """Regression: a filtered ``mask`` first in one route and the drop first in the other (the
    route every event takes) had the mask run for every event and the drop for none."""
    mask = FunctionSpec(
        "mask", {"field": "msg", "pattern": "secret", "replacement": "X"}, filter='level == "info"'
    )
    drop = FunctionSpec("drop", {}, filter='level == "debug"')
    pipelines: dict[PipelineId, CompiledPipeline] = {}
    for pid, step in ((PipelineId("pa"), mask), (PipelineId("pb"), drop)):
        built = compile_pipeline(Pipeline(pid, (step,)), FACTORIES)
        assert isinstance(built, CompiledPipeline)
        pipelines[pid] = built
    routes = (
        Route(RouteId("a"), 'kind == "a"', (SinkName("A"),), PipelineId("pa")),
        Route(RouteId("b"), "true", (SinkName("B"),), PipelineId("pb")),
    )
    router = build_router(RouteTable(routes), pipelines)
    assert isinstance(router, Router)
    batch: list[JsonObject] = [
        {"kind": "b", "level": "debug", "msg": "secret"},
        {"kind": "b", "level": "info", "msg": "secret"},
    ]
    got = fast(
        run_lines(compile_snapshot(router), [orjson.dumps(f) for f in batch], EventMeta("s", 0.0), Counter())
    )
    expected = reference(router, batch)
    assert got == {**expected, "sinks": {s: es for s, es in expected["sinks"].items() if es}}
    assert got["sinks"] == {"B": [b'{"kind":"b","level":"info","msg":"secret"}']}


def test_no_hoisting_without_a_route_every_event_takes() -> None:
    router = shared_drop_router_of('level == "debug"', ["status >= 500", 'level == "x"'])
    assert compile_snapshot(router).source.count("dropped += 1") == 2


@given(st.sampled_from(['"c"', "1 + 2", "2.5", '"a" + "b"']))
def test_a_constant_expression_is_known_by_its_value(text: str) -> None:
    compiled = compile_expression(text)
    assert callable(compiled)
    assert constant_of(compiled) == (compiled({}),)


@given(st.sampled_from(["status", "status + 1", "[1]", "level", 'msg contains "@"']))
def test_an_expression_of_the_fields_or_a_container_is_not_constant(text: str) -> None:
    compiled = compile_expression(text)
    assert callable(compiled)
    assert constant_of(compiled) is None


def shared_drop_router_of(drop: str, filters: list[str]) -> Router:
    pipelines: dict[PipelineId, CompiledPipeline] = {}
    routes = []
    for i, text in enumerate(filters):
        pid = PipelineId(f"p{i}")
        spec = FunctionSpec("eval", {"field": "x", "expression": "1"})
        built = compile_pipeline(Pipeline(pid, (FunctionSpec("drop", {}, filter=drop), spec)), FACTORIES)
        assert isinstance(built, CompiledPipeline)
        pipelines[pid] = built
        routes.append(Route(RouteId(f"r{i}"), text, (SinkName("s"),), pid))
    router = build_router(RouteTable(tuple(routes)), pipelines)
    assert isinstance(router, Router)
    return router


class _Tagged(str):
    """A ``str`` subclass, as a plugin might store."""


@final
@dataclass(frozen=True, slots=True)
class _Wrap:
    """A ``Fusable`` plugin that stores ``msg`` as a ``str`` subclass."""

    def __call__(self, event: Event, /) -> FnResult:
        value = event.get("msg")
        return Pass(event.with_field("msg", _Tagged(value)) if isinstance(value, str) else event)

    def fuse(self) -> Callable[[JsonObject], bool]:
        def kernel(f: JsonObject) -> bool:
            value = f.get("msg")
            if isinstance(value, str):
                f["msg"] = _Tagged(value)
            return True

        return kernel


def test_after_a_plugin_kernel_strings_are_tested_as_the_reference_tests_them() -> None:
    factories = {**FACTORIES, "wrap": lambda config: Success(_Wrap())}
    mask = FunctionSpec("mask", {"field": "msg", "pattern": "a", "replacement": "b"})
    built = compile_pipeline(Pipeline(PipelineId("p"), (FunctionSpec("wrap"), mask)), factories)
    assert isinstance(built, CompiledPipeline)
    route = Route(RouteId("r"), "true", (SinkName("s"),), PipelineId("p"))
    router = build_router(RouteTable((route,)), {PipelineId("p"): built})
    assert isinstance(router, Router)
    batch: list[JsonObject] = [{"msg": "banana"}]
    expected = reference(router, batch)
    got = fast(
        run_lines(compile_snapshot(router), [orjson.dumps(f) for f in batch], EventMeta("s", 0.0), Counter())
    )
    assert got == expected
    assert got["sinks"] == {"s": [b'{"msg":"bbnbnb"}']}
