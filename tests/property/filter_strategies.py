"""Hypothesis strategies for the expression language: ASTs the parser can produce, and their events."""

from __future__ import annotations

from typing import get_args

from hypothesis import strategies as st

from pipeflow.domain.filter.ast import Binary, BinaryOp, Call, Const, Expr, Field, ListExpr, Unary
from pipeflow.domain.filter.library import BUILTINS
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import Path
from tests.strategies import json_values

FIELD_NAMES = ["a", "b", "level", "status", "x-y", "in", "true", "a b", "", "user"]
"""Top-level keys the generated expressions and events share (some need a ``.`` or brackets)."""

REGEXES = ["^a", r"\d+", "err(or)?", "", "[a-z]+$", ".", r"(?P<w>\w+)=(?P<n>\d+)?", "(?P<a>a)|(?P<b>b)"]
"""Valid regex literals for ``matches``, ``replace_regex`` and ``capture`` (some with named groups)."""

FIXED_NOW = 1717243200.25
"""The batch time the laws evaluate under (``batch_time``), so ``now()`` in ``exprs`` has a value."""

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 0.5, 1.0, 2.5, 1e16, 1e-7]),
    st.text(max_size=6),
    st.sampled_from(["a", "error", "A", "1", "2.5", " 3 ", "x-y", 'q"\\\n\t']),
)
"""Literal values: every scalar type, with numbers and strings that interact (``"1"``, ``1.0``)."""

paths: st.SearchStrategy[Path] = st.tuples(
    st.sampled_from(FIELD_NAMES),
    st.lists(st.one_of(st.sampled_from(["a", "b", "c-d", "in"]), st.integers(-2, 2)), max_size=2),
).map(lambda t: (t[0], *t[1]))
"""Field paths starting at a known top-level key, then keys and indices."""


def _binary(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    ops: tuple[BinaryOp, ...] = get_args(BinaryOp)

    def build(op: BinaryOp, left: Expr, right: Expr, regex: str) -> Expr:
        # The parser refuses a literal that is not a valid regex after ``matches``, and any literal
        # after ``in``: generate what it accepts.
        if op == "matches" and isinstance(right, Const):
            right = Const(regex)
        if op == "in" and isinstance(right, Const):
            right = ListExpr((right,))
        return Binary(op, left, right)

    return st.builds(build, st.sampled_from(ops), children, children, st.sampled_from(REGEXES))


def _builtin_call(name: str, children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    """A call of ``name`` with a number of arguments it takes; a literal regex argument is valid."""
    builtin = BUILTINS[name]
    most = builtin.max_args if builtin.max_args is not None else builtin.min_args + 2

    def build(args: list[Expr], regexes: list[str]) -> Expr:
        # The parser refuses a literal that is not a valid regex where a regex goes.
        fixed = [
            Const(regexes[i]) if i in builtin.regex_args and isinstance(a, Const) else a
            for i, a in enumerate(args)
        ]
        return Call(name, tuple(fixed))

    return st.builds(
        build,
        st.lists(children, min_size=builtin.min_args, max_size=most),
        st.lists(st.sampled_from(REGEXES), min_size=most, max_size=most),
    )


def _call(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    exists = st.builds(lambda p: Call("exists", (Field(p),)), paths)
    return st.one_of(
        exists, st.sampled_from(sorted(BUILTINS)).flatmap(lambda name: _builtin_call(name, children))
    )


exprs: st.SearchStrategy[Expr] = st.recursive(
    st.one_of(st.builds(Const, scalars), st.builds(Field, paths)),
    lambda children: st.one_of(
        _binary(children),
        st.builds(Unary, st.sampled_from(["not", "-"]), children),
        _call(children),
        st.lists(children, max_size=3).map(lambda xs: ListExpr(tuple(xs))),
    ),
    max_leaves=10,
)
"""Expressions the parser can produce (valid regex literals, a list after ``in``, known functions,
``now()`` among them: evaluate them inside ``batch_time(FIXED_NOW)``)."""

event_fields: st.SearchStrategy[JsonObject] = st.dictionaries(
    st.sampled_from(FIELD_NAMES),
    st.one_of(scalars, json_values, st.dictionaries(st.sampled_from(["a", "b", "c-d", "in"]), json_values)),
    max_size=6,
)
"""Event fields on the same keys as the expressions: missing fields, nulls and mixed types."""

TRICKY: list[Json] = [None, True, False, 0, 1, 1.0, -1, 2.5, "1", "", "a", "b", [1], [], {"a": 1}]
"""Values where the rules bite: ``true`` vs ``1``, ``1`` vs ``1.0`` vs ``"1"``, null, containers."""

_tricky = st.sampled_from(TRICKY)
_compared = st.sampled_from(["a", "b", "level"]).map(lambda k: Field((k,)))
_ops: tuple[BinaryOp, ...] = tuple(o for o in get_args(BinaryOp) if o not in ("matches", "in"))


def _shape(op: BinaryOp, field: Field, value: object, flipped: bool) -> Expr:
    const = ListExpr((Const(1), Const("a"))) if isinstance(value, list | dict) else Const(value)  # type: ignore[arg-type]
    return Binary(op, const, field) if flipped else Binary(op, field, const)


shapes: st.SearchStrategy[Expr] = st.builds(_shape, st.sampled_from(_ops), _compared, _tricky, st.booleans())
"""A field against a literal, either way round: the shapes the compiler writes out inline."""

tricky_fields: st.SearchStrategy[JsonObject] = st.dictionaries(st.sampled_from(["a", "b", "level"]), _tricky)
"""Events whose values are the tricky ones."""

__all__ = [
    "FIELD_NAMES",
    "REGEXES",
    "TRICKY",
    "event_fields",
    "exprs",
    "paths",
    "scalars",
    "shapes",
    "tricky_fields",
]
