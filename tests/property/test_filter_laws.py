"""Laws of the expression language: render/parse round trip, compiled == reference, a total parser."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.filter import FilterSyntaxError, parse_filter
from pipeflow.domain.filter.ast import Binary, Call, Const, Expr, Field, render, render_field
from pipeflow.domain.filter.batch_time import batch_time
from pipeflow.domain.filter.codegen import HELPERS, Code, Codegen
from pipeflow.domain.filter.fold import compile_predicate, compile_value, fold
from pipeflow.domain.filter.reference import evaluate
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import Path, parse_path
from tests.property.filter_strategies import FIXED_NOW, event_fields, exprs, paths, shapes, tricky_fields


def typed(x: Json) -> object:
    """A value with its JSON type spelled out, so ``1``, ``1.0`` and ``True`` compare as different."""
    if isinstance(x, list):
        return ("list", [typed(i) for i in x])
    if isinstance(x, dict):
        return ("object", sorted((k, typed(v)) for k, v in x.items()))
    return (type(x).__name__, x)


@settings(max_examples=200)
@given(exprs)
def test_parse_of_render_is_the_identity(expr: Expr) -> None:
    text = render(expr)
    parsed = parse_filter(text)
    assert parsed == expr, text
    assert not isinstance(parsed, FilterSyntaxError)
    assert render(parsed) == text  # also catches 1 vs 1.0 and true vs 1, equal as dataclasses


@settings(max_examples=200)
@given(exprs, st.lists(event_fields, min_size=1, max_size=4))
def test_compiled_closures_agree_with_the_reference_interpreter(expr: Expr, events: list[JsonObject]) -> None:
    value, predicate = compile_value(expr), compile_predicate(expr)
    with batch_time(FIXED_NOW):  # one batch: ``now()`` has one value for all its events
        for fields in events:
            expected = evaluate(expr, fields)
            assert typed(value(fields)) == typed(expected), render(expr)
            assert predicate(fields) is (expected is True)


@settings(max_examples=100)
@given(exprs, event_fields, st.floats(-1e12, 1e12, allow_nan=False))
def test_now_is_the_batch_time_in_both_engines_whatever_it_is(
    expr: Expr, fields: JsonObject, at: float
) -> None:
    """``now()`` is never folded: the same compiled function follows each batch's time."""
    stamped = Binary("+", Call("now", ()), Const(0))
    value = compile_value(Binary("==", stamped, expr))
    with batch_time(at):
        assert value(fields) is evaluate(Binary("==", stamped, expr), fields)
        assert compile_value(stamped)(fields) == at


@settings(max_examples=200)
@given(st.one_of(shapes, st.builds(lambda a, b: Binary("or", a, b), shapes, shapes)), tricky_fields)
def test_inline_shapes_agree_with_the_reference_interpreter(expr: Expr, fields: JsonObject) -> None:
    with batch_time(FIXED_NOW):
        assert typed(compile_value(expr)(fields)) == typed(evaluate(expr, fields)), render(expr)
        assert compile_predicate(expr)(fields) is (evaluate(expr, fields) is True)


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_any_text_parses_or_is_a_syntax_error_value(text: str) -> None:
    assert isinstance(parse_filter(text), Expr | FilterSyntaxError)


TOKENS = [
    "a", "b.c", "x[0]", 'h["k-1"]', ".in", "1", "-2.5", '"s"', "'t'", "true", "null", "[", "]", "(", ")",
    ",", "==", "!=", "<", ">=", "+", "-", "*", "/", "%", "and", "or", "not", "!", "&&", "||", "in",
    "contains", "matches", "startswith", "lower(", "exists(", "coalesce(", "nope(", '"("', "a-b", "\n",
]  # fmt: skip


@settings(max_examples=200)
@given(st.lists(st.sampled_from(TOKENS), max_size=14), st.sampled_from([" ", ""]))
def test_token_soup_parses_or_is_a_syntax_error_with_a_place(tokens: list[str], sep: str) -> None:
    text = sep.join(tokens)
    out = parse_filter(text)
    if isinstance(out, FilterSyntaxError):
        assert out.line >= 1
        assert out.column >= 1
        assert out.expected
        assert out.message.startswith(f"line {out.line}, column {out.column}: ")
    else:
        assert parse_filter(render(out)) == out


@settings(max_examples=200)
@given(paths)
def test_a_rendered_path_is_read_back_as_the_same_field(path: Path) -> None:
    assert parse_filter(render_field(path)) == Field(path)


PATH_PARTS = ["a", "b1", "_", "@t", "$x", ".", "[0]", "[-1]", '["k"]', "['a b']", '["\\""]', '["c-d"]']


@settings(max_examples=200)
@given(st.lists(st.sampled_from(PATH_PARTS), min_size=1, max_size=6))
def test_path_text_means_what_parse_path_means(parts: list[str]) -> None:
    """The grammar finds where a path ends and hands it to ``parse_path``: the two always agree."""
    text = "".join(parts)
    for source in (text, "." + text):
        out = parse_filter(source)
        if isinstance(out, Field):  # a leading "." only marks the start of a path
            assert out.path == parse_path(source.removeprefix("."))
    expected = parse_path(text)
    if expected is not None:
        assert parse_filter("." + text) == Field(expected)


def _raw_value(code: Code, gen: Codegen, fields: JsonObject) -> object:
    """Evaluate a compiled node's source as the fast path inlines a ``safe`` one: with no ``try``."""
    names = {**HELPERS, **gen.names.values, "f": fields, "__builtins__": {}}
    return eval(code.src, names)  # generated names only, never user text


@settings(max_examples=300, deadline=None)
@given(st.one_of(exprs, shapes, st.builds(lambda a, b: Binary("or", a, b), shapes, shapes)), tricky_fields)
def test_a_node_marked_safe_never_raises_and_means_what_the_reference_means(
    expr: Expr, fields: JsonObject
) -> None:
    """``Code.safe`` lets the fast path test a filter without a ``try``: it must never raise, and
    (as a filter) agree with the reference interpreter."""
    gen = Codegen()
    code = fold(expr, gen)
    if not code.safe:
        return
    with batch_time(FIXED_NOW):
        value = _raw_value(code, gen, fields)
        assert (value is True) == (evaluate(expr, fields) is True)
