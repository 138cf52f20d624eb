"""The fast path equals the reference engine: same fields per sink (in order, with key order and
value types), same drop and unmatched counts, same failures, for generated routes, pipelines
(fused built-ins, a ``Fusable`` plugin, and functions only the reference engine runs) and events.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, final

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Success

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.filter.batch_time import batch_time
from pipeflow.domain.json import JsonObject
from pipeflow.domain.line_block import LineBlock
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.ports import FunctionFactory, PipelineFn
from pipeflow.domain.results import FnResult, Pass
from pipeflow.domain.router import Router, build_router
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from pipeflow.infrastructure.fastpath import FastOutcome, Fusable, compile_snapshot, run_fields, run_lines
from pipeflow.infrastructure.fastpath.literals import required_literal
from pipeflow.infrastructure.functions import drop, eval, mask, regex_extract
from pipeflow.infrastructure.sources.decode import decode_lines
from tests.strategies import GEN_FACTORIES, GenFn


@final
@dataclass(frozen=True, slots=True)
class Shout:
    """A plugin-like function that is ``Fusable``: upper-cases ``msg`` when it is a string."""

    def __call__(self, event: Event, /) -> FnResult:
        value = event.get("msg")
        return Pass(event.with_field("msg", value.upper()) if isinstance(value, str) else event)

    def fuse(self) -> Callable[[JsonObject], bool]:
        def kernel(f: JsonObject) -> bool:
            value = f.get("msg")
            if isinstance(value, str):
                f["msg"] = value.upper()
            return True

        return kernel


FACTORIES: Mapping[str, FunctionFactory] = {
    "drop": drop.plugin,
    "eval": eval.plugin,
    "mask": mask.plugin,
    "regex_extract": regex_extract.plugin,
    "shout": lambda config: Success(Shout()),
    **GEN_FACTORIES,
}
FILTERS = [
    'level == "error"', "status >= 500", "exists(user)", "true", "false", 'msg contains "@"', "null",
    'is_string(level) and index_of(msg, "@") >= 0', 'not is_null(capture(msg, "id=(?P<id>[0-9]+)"))',
    'bool(str(status) == "500") or ip_in_cidr(get(user, "ip", "10.0.0.1"), ["10.0.0.0/8"])',
    "now() - status > 1717242700",
]  # fmt: skip
FIELDS = ["msg", "user.email", "level", "nope", "user"]

builtin_specs = st.one_of(
    st.builds(lambda f: FunctionSpec("drop", {}, filter=f), st.sampled_from(FILTERS)),
    st.builds(
        lambda field, pr: {"field": field, "pattern": pr[0], "replacement": pr[1]},
        st.sampled_from(FIELDS),
        st.sampled_from([(r"[a-z.]+@[a-z]+\.com", "<r>"), (r"(\d)", r"<\1>"), ("a", "")]),
    ).map(lambda c: FunctionSpec("mask", c)),
    st.builds(
        lambda field, p: FunctionSpec("regex_extract", {"field": field, "pattern": p}),
        st.sampled_from(FIELDS),
        st.sampled_from([r"id=(?P<uid>\d+)", r"(?P<a>x)|(?P<b>@)", r"(?P<level>\w+)@", r"(?P<user>u)"]),
    ),
    st.builds(
        lambda field, e: FunctionSpec("eval", {"field": field, "expression": e}),
        st.sampled_from(["tag", "user.name", "level", "msg"]),
        st.sampled_from(
            [
                '"c"',
                "status + 1",
                "level",
                'msg contains "@"',
                "user",
                'capture(msg, "id=(?P<id>[0-9]+)")',
                'join(split(trim(msg), " "), "+")',
                "sha1(to_json(user))",
                'replace_regex(msg, "[0-9]", "#")',
                "round(float(status) / 7, 2)",
                "merge(user, nested)",
                'slice(upper(coalesce(level, "none")), 0, 3)',
                "unique(values(coalesce(nested, user)))",
                'format_timestamp(now() - status, "iso8601")',
            ]
        ),
    ),
    st.just(FunctionSpec("eval", {"fields": {"a": "1", "b": "a + 1"}})),
    st.just(FunctionSpec("shout")),
)
gen_specs = st.builds(
    lambda kind, seed: FunctionSpec("gen", {"kind": kind, "seed": seed}),
    st.sampled_from(["tag", "split", "fail_if", "drop_if"]),
    st.integers(0, 5),
)
specs = st.builds(
    lambda spec, flt, off: FunctionSpec(spec.type, spec.config, spec.filter or flt, off),
    st.one_of(builtin_specs, builtin_specs, gen_specs),
    st.one_of(st.none(), st.sampled_from(FILTERS)),
    st.sampled_from([False, False, False, True]),
)

field_sets = st.fixed_dictionaries(
    {},
    optional={
        "level": st.sampled_from(["error", "info", "debug", None, 1]),
        "status": st.sampled_from([200, 500, 503.5, "500", True]),
        "msg": st.sampled_from(["id=42 a.b@x.com", "x y", "user@@", "", "id=7", "u 1"]),
        "user": st.one_of(st.just({"email": "c.d@y.com", "id": 3}), st.just({"email": 5}), st.just("u")),
        "nested": st.just({"deep": [1, {"x": 2.5}]}),
    },
)


@st.composite
def routers(draw: st.DrawFn) -> Router:
    pipelines: dict[PipelineId, CompiledPipeline] = {}
    for i in range(draw(st.integers(0, 2))):
        pid = PipelineId(f"p{i}")
        built = compile_pipeline(Pipeline(pid, tuple(draw(st.lists(specs, max_size=5)))), FACTORIES)
        assert isinstance(built, CompiledPipeline), built
        pipelines[pid] = built
    routes = tuple(
        Route(
            RouteId(f"r{i}"),
            draw(st.sampled_from(FILTERS)),
            tuple(SinkName(s) for s in draw(st.lists(st.sampled_from(["s1", "s2"]), min_size=1, max_size=2))),
            draw(st.sampled_from([None, *pipelines])),
            draw(st.booleans()),
        )
        for i in range(draw(st.integers(1, 3)))
    )
    router = build_router(RouteTable(routes), pipelines)
    assert isinstance(router, Router), router
    return router


def _dumps(fields: JsonObject) -> bytes:
    return orjson.dumps(fields)  # key order and value types both count


def reference(router: Router, batch: list[JsonObject]) -> dict[str, Any]:
    meta = EventMeta("src", 0.0)
    routed = router.route_batch([Event(EventId(f"e{i}"), meta, f) for i, f in enumerate(batch)])
    return {
        "sinks": {s: [_dumps(e.fields) for e in es] for s, es in routed.by_sink().items()},
        "dropped": sum(len(o.dropped) for o in routed.routes),
        "unmatched": len(routed.unmatched),
        "failed": sorted(
            (o.route, f.stage, f.reason, _dumps(f.event.fields)) for o in routed.routes for f in o.failed
        ),
    }


def fast(outcome: FastOutcome) -> dict[str, Any]:
    names = [r.route.name for r in outcome.snapshot.router.routes]
    return {
        "sinks": {s: [_dumps(f) for f in fs] for s, fs in outcome.by_sink().items() if fs},
        "dropped": outcome.dropped,
        "unmatched": outcome.unmatched,
        "failed": sorted((names[f.route], f.stage, f.reason, _dumps(f.fields)) for f in outcome.failed),
    }


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def new_id(self) -> EventId:
        self.n += 1
        return EventId(f"id{self.n}")


@settings(max_examples=200, deadline=None)
@given(routers(), st.lists(field_sets, max_size=6))
def test_fast_path_equals_reference_engine(router: Router, batch: list[JsonObject]) -> None:
    with batch_time(NOW):  # one batch time for both engines: ``now()`` in filters and ``eval``
        _fast_path_equals_reference_engine(router, batch)


NOW = 1717243200.0


def _fast_path_equals_reference_engine(router: Router, batch: list[JsonObject]) -> None:
    expected = reference(router, batch)
    expected["sinks"] = {s: es for s, es in expected["sinks"].items() if es}
    snapshot = compile_snapshot(router)
    meta = EventMeta("src", 0.0)
    from_fields = run_fields(snapshot, batch, meta, Counter())
    assert fast(from_fields) == expected, snapshot.source
    from_lines = run_lines(snapshot, [orjson.dumps(f) for f in batch], meta, Counter())
    assert fast(from_lines) == expected, snapshot.source
    block = LineBlock.of(b"".join(orjson.dumps(f) + b"\n" for f in batch))
    assert fast(run_lines(snapshot, block, meta, Counter())) == expected, snapshot.source


BAD_LINES = [b"{", b"[1]", b"  ", b"", b'"x"', b'{"msg": "id=1"}', b"\xff", b'{"a":', b"{}\r"]


@settings(max_examples=50, deadline=None)
@given(routers(), st.lists(st.sampled_from(BAD_LINES)))
def test_bad_lines_are_rejected_as_the_sources_decoder_rejects_them(
    router: Router, lines: list[bytes]
) -> None:
    events, rejected = decode_lines(lines, "ndjson", "src", Counter(), _Clock())
    outcome = run_lines(compile_snapshot(router), lines, EventMeta("src", 0.0), Counter())
    # The same lines with the same reasons; their ids are given afterwards, from the lines' own
    # (``ids.identify_rejects``), so they are left out here.
    assert [(r.raw, r.reason) for r in outcome.rejected] == [(r.raw, r.reason) for r in rejected]
    assert fast(outcome) == {**reference(router, [e.fields for e in events]), "sinks": fast(outcome)["sinks"]}
    # The same lines as one block (each with its newline; the last one without, as at the end
    # of a file): the same rejects, with the same reasons, and the same counts.
    for data in (b"".join(line + b"\n" for line in lines), b"\n".join(lines)):
        block = LineBlock.of(data)
        from_block = run_lines(compile_snapshot(router), block, EventMeta("src", 0.0), Counter())
        assert (from_block.rejected, fast(from_block)) == (outcome.rejected, fast(outcome))
        lost = len(lines) - len(block)  # blank lines: a newline at the very end starts no line
        assert (from_block.events_in, from_block.blank) == (outcome.events_in, outcome.blank - lost)


class _Clock:
    def now(self) -> float:
        return 0.0


def test_input_fields_are_never_changed() -> None:
    router = build_router(
        RouteTable((Route(RouteId("r"), "true", (SinkName("s"),), PipelineId("p")),)),
        {PipelineId("p"): _pipeline(FunctionSpec("eval", {"field": "x", "expression": "1"}))},
    )
    assert isinstance(router, Router)
    fields: JsonObject = {"a": 1}
    outcome = run_fields(compile_snapshot(router), [fields], EventMeta("s", 0.0), Counter())
    assert fields == {"a": 1}
    assert outcome.by_sink() == {"s": [{"a": 1, "x": 1}]}


def _pipeline(*specs: FunctionSpec) -> CompiledPipeline:
    built = compile_pipeline(Pipeline(PipelineId("p"), specs), FACTORIES)
    assert isinstance(built, CompiledPipeline), built
    return built


@given(
    st.sampled_from([r"user_id=(\d+)", r"[a-z]+@[a-z]+\.com", r"a(b|c)d", r"x*y", "(?i)abc"]),
    st.text("abcdxy@.comuser_id=1", max_size=12),
)
def test_no_required_literal_means_no_match(pattern: str, text: str) -> None:
    regex = re.compile(pattern)
    literal = required_literal(regex)
    if literal is not None and literal not in text:
        assert regex.search(text) is None


def test_gen_functions_are_not_fused() -> None:
    assert not isinstance(GenFn("tag"), Fusable)
    assert isinstance(Shout(), Fusable)
    fn: PipelineFn = Shout()
    assert fn(Event(EventId("1"), EventMeta("s", 0.0), {"msg": "a"})) == Pass(
        Event(EventId("1"), EventMeta("s", 0.0), {"msg": "A"})
    )
