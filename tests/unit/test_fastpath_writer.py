"""The fast path's ``Writer``: one set of names with the filters it inlines, and no builtins."""

from __future__ import annotations

import re

import orjson
import pytest

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.events import EventId, EventMeta
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.router import Router, build_router
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from pipeflow.infrastructure.fastpath import compile_snapshot, run_lines
from pipeflow.infrastructure.fastpath.kernels import template_sub
from pipeflow.infrastructure.fastpath.writer import Writer
from pipeflow.infrastructure.functions import mask


def test_the_writer_and_the_filters_it_inlines_never_pick_the_same_name() -> None:
    w = Writer()
    held = w.bind("x", "k")  # bound before the filter compiler binds its own key
    cond = w.test(0, 'a == "b"', lambda f: False)
    w.emit(0, f"return {cond}, f.get({held})")
    built = w.build("_g", "f")
    assert built({"a": "b", "x": 1}) == (True, 1)
    assert built({"a": "c", "x": 2}) == (False, 2)


def test_built_code_sees_no_builtins() -> None:
    w = Writer()
    w.emit(0, "return len(f)")
    with pytest.raises(NameError):
        w.build("_g", "f")({})


def test_a_replacement_template_is_expanded_outside_the_generated_code() -> None:
    """``Pattern.sub`` imports ``re`` to expand ``\\1``: generated code, without builtins, calls
    ``template_sub``, whose frame has them."""
    w = Writer()
    sub = w.bind(template_sub(re.compile(r"(\d)"), r"<\1>"), "sub")
    w.emit(0, f"return {sub}(f)")
    assert w.build("_g", "f")("a1b22") == "a<1>b<2><2>"


def _router(*specs: FunctionSpec) -> Router:
    built = compile_pipeline(Pipeline(PipelineId("p"), specs), {"mask": mask.plugin})
    assert isinstance(built, CompiledPipeline), built
    route = Route(RouteId("r"), "true", (SinkName("s"),), PipelineId("p"))
    router = build_router(RouteTable((route,)), {PipelineId("p"): built})
    assert isinstance(router, Router), router
    return router


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [(r"<\1>", '{"m":"a<1>b<2>"}'), (r"\\", '{"m":"a\\\\b\\\\"}'), ("{}", '{"m":"a{}b{}"}')],
)
def test_a_mask_with_any_replacement_runs_in_the_batch_function(replacement: str, expected: str) -> None:
    spec = FunctionSpec("mask", {"field": "m", "pattern": r"(\d)", "replacement": replacement})
    snapshot = compile_snapshot(_router(spec))
    outcome = run_lines(snapshot, [b'{"m": "a1b2"}'], EventMeta("s", 0.0), _Ids())
    assert outcome.failed == []
    assert [orjson.dumps(f) for f in outcome.by_sink()[SinkName("s")]] == [expected.encode()]
    assert snapshot.from_lines.__globals__["__builtins__"] == {}


class _Ids:
    def new_id(self) -> EventId:
        return EventId("id")
