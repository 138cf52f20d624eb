"""The fast path under hostile names and text: field keys, paths, literals, regex group names and
replacement strings made of quotes, backslashes, newlines, ``__import__``, braces, ``\\g<0>``,
unicode and the very identifiers the generated code uses (``_c0``, ``_k1``, ``f``, ``_E``...).

Whatever the route table says, the compiled batch functions route exactly as the reference engine
(``tests/property/test_fastpath_equals_reference.py`` holds the law this reuses), none of that text
enters the generated source, and the source reads no global or builtin name.
"""

from __future__ import annotations

import dis
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.events import EventMeta
from pipeflow.domain.filter import parse_filter
from pipeflow.domain.filter.ast import Binary, BinaryOp, Call, Const, Expr, Field, Unary, render
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import Path, parse_path, render_path
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.router import Router, build_router
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from pipeflow.infrastructure.fastpath import compile_snapshot, run_fields, run_lines
from tests.property.test_fastpath_equals_reference import FACTORIES, Counter, fast, gen_specs, reference
from tests.strategies import json_scalars, keys

HOSTILE = [
    '"', "'", '\\"', "\\", "\\\\", "\n", "\r\n", "\t", "\x00", "\u2028", "{}", "{0}", "{{f}}", "%s",
    "\\g<0>", "\\1", "\\n", "__import__", "__import__('os').system('true')", '"); __import__("os")#',
    "é", "日本", "\U0001f600", "", " ", "a b", "x-y", "]", "[0]", ".", "#", "$", "@",
    "f", "_", "_n", "_E", "_str", "_NUM", "_read", "_op0", "_fn_lower", "_c0", "_k1", "_t2", "_p3",
    "_r4", "_v5", "_m6", "_sub7", "_out0", "_written3", "_fpk1", "_flv2", "_fout0", "dropped",
    "items", "outs", "__builtins__", "None", "True", "in", "not",
]  # fmt: skip
"""Text to put everywhere user text goes."""

GROUP_NAMES = [h for h in HOSTILE if h.isidentifier()]
"""The hostile texts a regex accepts as a group name (``__import__``, ``é``, ``_c0``, ``f``...)."""

MARKERS = ["__import__", "system(", "日本", "é", "\U0001f600", "\\g<", "{0}", "%s", '"); ']
"""Hostile text that no generated source holds (it holds generated names only)."""

literals = st.one_of(st.sampled_from(HOSTILE), st.sampled_from(HOSTILE), keys)
"""A literal, a field key: hostile, or any short text."""


def _path_strategy(names: list[str]) -> st.SearchStrategy[Path]:
    top = st.sampled_from(names)
    nested = st.tuples(top, st.one_of(top, st.integers(-1, 1)))
    return st.one_of(top.map(lambda k: (k,)), top.map(lambda k: (k,)), nested).filter(
        lambda p: parse_path(render_path(p)) == p
    )


@dataclass(frozen=True)
class _Case:
    """What one route table is made of: its paths and its literals (the events use them too)."""

    path: st.SearchStrategy[Path]
    lit: st.SearchStrategy[str]


def _condition(draw: st.DrawFn, c: _Case) -> str:
    """A filter over hostile fields and literals, as text the parser reads back."""
    text = draw(c.lit)
    field, lit = Field(draw(c.path)), Const(text)
    ops: list[BinaryOp] = ["==", "!=", "contains", "startswith", "endswith", "<"]
    shapes: list[Expr] = [
        Binary(draw(st.sampled_from(ops)), field, lit),
        Binary("matches", field, Const(re.escape(text))),
        Call("exists", (field,)),
        Binary("or", Binary("==", Call("lower", (field,)), lit), Unary("not", Call("exists", (field,)))),
        Binary("==", Binary("+", field, lit), Const(draw(c.lit))),
        Binary("==", Call("replace", (field, lit, Const(draw(c.lit)))), lit),
        Binary("==", Call("get", (Call("capture", (field, Const(f"(?P<g>{re.escape(text)})"))), lit)), lit),
    ]
    expr = draw(st.sampled_from(shapes))
    rendered = render(expr)
    assert parse_filter(rendered) == expr, rendered
    return rendered


def _value_expr(draw: st.DrawFn, c: _Case) -> str:
    """An ``eval`` expression: a hostile constant (inlined by the fast path) or one of the fields."""
    field, lit = Field(draw(c.path)), Const(draw(c.lit))
    both: list[Expr] = [
        Binary("+", field, lit),
        Call("coalesce", (field, lit)),
        Binary("+", lit, lit),
        Call("replace_regex", (field, Const(re.escape(draw(c.lit))), lit)),
        Call("join", (Call("split", (field, lit)), lit)),
        Call("get", (field, lit, lit)),
    ]
    shapes: list[Expr] = [lit, field, *both]
    expr = draw(st.sampled_from(shapes))
    text = render(expr)
    assert parse_filter(text) == expr, text
    return text


def _mask(draw: st.DrawFn, c: _Case) -> FunctionSpec:
    lit, group = re.escape(draw(c.lit)), draw(st.sampled_from(GROUP_NAMES))
    pattern = draw(st.sampled_from([lit or "x", f"(?P<{group}>{lit}.)", f"{lit}(?P<{group}>\\w?)", r"\\|\n"]))
    named = f"\\g<{group}>" if "(?P<" in pattern else "\\g<0>"
    literal = draw(c.lit).replace("\\", "\\\\")  # a replacement meant as plain text
    replacement = draw(st.sampled_from([literal, "\\g<0>", named, f"[{named}]\\n{literal}", "\\\\", "{}"]))
    return FunctionSpec(
        "mask", {"field": render_path(draw(c.path)), "pattern": pattern, "replacement": replacement}
    )


def _extract(draw: st.DrawFn, c: _Case) -> FunctionSpec:
    names = draw(st.lists(st.sampled_from(GROUP_NAMES), min_size=1, max_size=2, unique=True))
    lit = re.escape(draw(c.lit))
    pattern = lit + "".join(f"(?P<{n}>.)?" if i else f"(?P<{n}>\\w*)" for i, n in enumerate(names))
    return FunctionSpec("regex_extract", {"field": render_path(draw(c.path)), "pattern": pattern})


def _eval(draw: st.DrawFn, c: _Case) -> FunctionSpec:
    if draw(st.booleans()):
        return FunctionSpec("eval", {"field": render_path(draw(c.path)), "expression": _value_expr(draw, c)})
    targets = draw(st.lists(c.path, min_size=1, max_size=2, unique=True))
    return FunctionSpec("eval", {"fields": {render_path(p): _value_expr(draw, c) for p in targets}})


def _spec(draw: st.DrawFn, c: _Case) -> FunctionSpec:
    kind = draw(st.sampled_from(["drop", "mask", "mask", "extract", "extract", "eval", "eval", "gen"]))
    if kind == "drop":
        return FunctionSpec("drop", {}, filter=_condition(draw, c))
    if kind == "gen":
        return draw(gen_specs)
    makers: dict[str, Callable[[st.DrawFn, _Case], FunctionSpec]] = {
        "mask": _mask,
        "extract": _extract,
        "eval": _eval,
    }
    spec = makers[kind](draw, c)
    flt = _condition(draw, c) if draw(st.integers(0, 3)) == 0 else None
    return FunctionSpec(spec.type, spec.config, flt)


def _fields(draw: st.DrawFn, names: list[str], c: _Case) -> JsonObject:
    text = st.one_of(c.lit, c.lit, literals)
    scalar: st.SearchStrategy[Json] = st.one_of(
        text,
        st.builds(lambda a, b, d: a + b + d, text, text, text),
        st.builds(lambda a, b, d: a + b + d, text, text, text),
        json_scalars,
    )
    value = st.one_of(scalar, scalar, st.dictionaries(st.sampled_from(names), scalar, max_size=2))
    fields: JsonObject = draw(st.fixed_dictionaries(dict.fromkeys(names, value)))
    absent = draw(st.sampled_from(names)) if draw(st.integers(0, 4)) == 0 else None  # now and then
    return {k: v for k, v in fields.items() if k != absent}


@st.composite
def hostile_cases(draw: st.DrawFn) -> tuple[Router, list[JsonObject]]:
    """A router whose every name and text is hostile, and a batch over the same fields."""
    names = draw(st.lists(literals, min_size=1, max_size=3, unique=True))
    c = _Case(_path_strategy(names), st.sampled_from(draw(st.lists(literals, min_size=1, max_size=2))))
    pipelines: dict[PipelineId, CompiledPipeline] = {}
    for i in range(draw(st.integers(1, 2))):
        pid = PipelineId(draw(st.sampled_from(HOSTILE)) + f"#{i}")
        specs = tuple(_spec(draw, c) for _ in range(draw(st.integers(1, 4))))
        built = compile_pipeline(Pipeline(pid, specs), FACTORIES)
        assert isinstance(built, CompiledPipeline), (specs, built)
        pipelines[pid] = built
    routes = tuple(
        Route(
            RouteId(draw(st.sampled_from(HOSTILE)) + f"#{i}"),
            _condition(draw, c) if draw(st.integers(0, 2)) else "true",
            (SinkName(draw(st.sampled_from(["s1", "s2"]))),),
            draw(st.sampled_from([None, *pipelines])),
            draw(st.booleans()),
        )
        for i in range(draw(st.integers(1, 3)))
    )
    router = build_router(RouteTable(routes), pipelines)
    assert isinstance(router, Router), router
    return router, [_fields(draw, names, c) for _ in range(draw(st.integers(1, 6)))]


def _globals_read(fn: Callable[..., Any]) -> set[str]:
    return {i.argval for i in dis.get_instructions(fn) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}


@settings(max_examples=300, deadline=None)
@given(hostile_cases(), st.booleans())
def test_hostile_names_and_text_route_as_the_reference_engine_routes(
    case: tuple[Router, list[JsonObject]], encoded: bool
) -> None:
    router, batch = case
    expected = reference(router, batch)
    expected["sinks"] = {s: es for s, es in expected["sinks"].items() if es}
    snapshot = compile_snapshot(router, {"s1", "s2"} if encoded else ())
    meta = EventMeta("src", 0.0)
    assert fast(run_fields(snapshot, batch, meta, Counter())) == expected, snapshot.source
    lines = [orjson.dumps(f) for f in batch]
    assert fast(run_lines(snapshot, lines, meta, Counter())) == expected, snapshot.source
    assert [m for m in MARKERS if m in snapshot.source] == []
    for fn in (snapshot.from_lines, snapshot.from_fields):
        assert fn.__globals__["__builtins__"] == {}
        assert _globals_read(fn) == set(), snapshot.source
