"""``grok`` fused into the fast path (its ``Fusable`` kernel) routes as the reference engine runs it:
flat and nested captures, a target, typed captures whose conversion fails, every ``on_failure``,
fields that are missing or not strings, and events routed through more than one route."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.events import EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.ports import FunctionFactory
from pipeflow.domain.router import Router, build_router
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from pipeflow.infrastructure.fastpath import Fusable, compile_snapshot, run_fields, run_lines
from pipeflow.infrastructure.functions import drop, eval, grok
from tests.property.test_fastpath_equals_reference import Counter, fast, reference

FACTORIES: Mapping[str, FunctionFactory] = {"grok": grok.plugin, "drop": drop.plugin, "eval": eval.plugin}
PATTERNS = [
    "%{WORD:verb} %{INT:code:int}",
    "%{WORD:http.verb} %{NUMBER:http.took:float}",
    "^%{IP:client} ",
    r"user=(?P<user>\w+)",
    "%{WORD:verb} %{NOTSPACE:code:int}",  # 'x' into an int: the conversion fails
]
MESSAGES = ["GET 200", "POST 1.5", "10.0.0.1 hit", "user=ann GET 404", "PUT x", "", "no match here"]

grok_specs = st.builds(
    lambda patterns, target, on_failure, field: FunctionSpec(
        "grok",
        {"field": field, "patterns": patterns, "on_failure": on_failure}
        | ({"target": target} if target else {}),
    ),
    st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3),
    st.sampled_from([None, "parsed", "deep.inside"]),
    st.sampled_from(["pass", "drop", "dead_letter"]),
    st.sampled_from(["message", "nested.msg"]),
)
events = st.fixed_dictionaries(
    {},
    optional={
        "message": st.one_of(st.sampled_from(MESSAGES), st.integers(-5, 5), st.none()),
        "nested": st.fixed_dictionaries({"msg": st.sampled_from(MESSAGES)}),
        "verb": st.just("old"),
        "http": st.just({"keep": True}),
    },
)


def _router(specs: list[FunctionSpec], fan_out: bool) -> Router:
    built = compile_pipeline(Pipeline(PipelineId("p"), tuple(specs)), FACTORIES)
    assert isinstance(built, CompiledPipeline), built
    routes = (
        Route(RouteId("first"), "true", (SinkName("s1"),), PipelineId("p"), final=not fan_out),
        Route(RouteId("second"), "true", (SinkName("s2"),), None),
    )
    router = build_router(RouteTable(routes), {PipelineId("p"): built})
    assert isinstance(router, Router), router
    return router


@settings(max_examples=200, deadline=None)
@given(st.lists(grok_specs, min_size=1, max_size=2), st.booleans(), st.lists(events, max_size=8))
def test_fused_grok_equals_the_reference_engine(
    specs: list[FunctionSpec], fan_out: bool, batch: list[JsonObject]
) -> None:
    router = _router(specs, fan_out)
    snapshot = compile_snapshot(router, ("s1",))
    assert snapshot.tails[0] is None, "grok is fused: nothing of the pipeline runs after the loop"
    expected = reference(router, batch)
    expected["sinks"] = {s: es for s, es in expected["sinks"].items() if es}
    meta = EventMeta("src", 0.0)
    assert fast(run_fields(snapshot, batch, meta, Counter())) == expected
    assert fast(run_lines(snapshot, [orjson.dumps(f) for f in batch], meta, Counter())) == expected


def test_grok_is_fusable() -> None:
    built = grok.plugin({"patterns": ["%{WORD:w}"]}).unwrap()
    assert isinstance(built, Fusable)
