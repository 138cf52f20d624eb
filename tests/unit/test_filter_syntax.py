"""Parsing: precedence, rendering, and load-time errors with line, column and what was expected."""

from __future__ import annotations

import sys

import pytest

from pipeflow.domain.errors import ValidationError
from pipeflow.domain.filter import FilterSyntaxError, compile_expression, compile_filter, parse_filter
from pipeflow.domain.filter.ast import Binary, Call, Const, Expr, Field, ListExpr, Unary, render_literal
from pipeflow.domain.filter.parser import MAX_DEPTH

a, b, c = Field(("a",)), Field(("b",)), Field(("c",))


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a or b and c", Binary("or", a, Binary("and", b, c))),
        ("a || b && c", Binary("or", a, Binary("and", b, c))),
        ("not a and b", Binary("and", Unary("not", a), b)),
        ("!a == b", Unary("not", Binary("==", a, b))),
        ("a + b * c", Binary("+", a, Binary("*", b, c))),
        ("a - b - c", Binary("-", Binary("-", a, b), c)),
        ("a / b % c", Binary("%", Binary("/", a, b), c)),
        ("-a * b", Binary("*", Unary("-", a), b)),
        ("a -1", Binary("-", a, Const(1))),
        ("a - -1", Binary("-", a, Const(-1))),
        ("- 1", Unary("-", Const(1))),
        ("a in [1, b]", Binary("in", a, ListExpr((Const(1), b)))),
        ("a + 1 < b", Binary("<", Binary("+", a, Const(1)), b)),
        ("exists(a.b)", Call("exists", (Field(("a", "b")),))),
        ("lower(a)startswith'x'", Binary("startswith", Call("lower", (a,)), Const("x"))),
        ("true.x == 1", None),
        ("index == 1", Binary("==", Field(("index",)), Const(1))),
        ("nothing", Field(("nothing",))),
        ("lower", Field(("lower",))),
        ("@timestamp >= $x", Binary(">=", Field(("@timestamp",)), Field(("$x",)))),
        ("a\n  and\n  b", Binary("and", a, b)),
        ("1.5e-3", Const(0.0015)),
    ],
)
def test_precedence_and_shapes(text: str, tree: Expr | None) -> None:
    out = parse_filter(text)
    if tree is None:
        assert isinstance(out, FilterSyntaxError)
    else:
        assert out == tree


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("(a or b) and c", "(a or b) and c"),
        ("a || b", "a or b"),
        ("!!a", "not not a"),
        ("(a - b) - c", "a - b - c"),
        ("a - (b - c)", "a - (b - c)"),
        ("-(1)", "-(1)"),
        ("-(a + 1)", "-(a + 1)"),
        ("(a == b) == c", "(a == b) == c"),
        ("not (a and b)", "not (a and b)"),
        ("'it''s'", None),
        ("'say \"hi\"'", '"say \\"hi\\""'),
        ("headers['x-y'].z", 'headers["x-y"].z'),
        ('.["content-type"] == 1', '.["content-type"] == 1'),
        (".in", ".in"),
        ("[ 1 ,2 ]", "[1, 2]"),
        ("coalesce( a ,b )", "coalesce(a, b)"),
    ],
)
def test_render(text: str, rendered: str | None) -> None:
    out = parse_filter(text)
    if rendered is None:
        assert isinstance(out, FilterSyntaxError)
    else:
        assert not isinstance(out, FilterSyntaxError), out
        assert out.render() == rendered
        assert parse_filter(rendered) == out


@pytest.mark.parametrize(
    ("text", "line", "column", "says"),
    [
        ("", 1, 1, "expected expression, found end of input"),
        ("status >=", 1, 10, "expected expression, found end of input"),
        ("a b", 1, 3, "expected one of end of input, operator, found 'b'"),
        ("a ==\n  ==", 2, 3, "expected expression, found '=='"),
        ("(a == 1", 1, 8, "expected one of ')', operator"),
        ("[1, 2", 1, 6, "expected one of ',', ']', operator"),
        ('"open', 1, 1, "expected expression"),
        ("a < b < c", 1, 7, "expected one of end of input, operator, found '< c'"),
        ("a = 1", 1, 3, "found '= 1'"),
        ("nope(a)", 1, 1, "unknown function 'nope'"),
        ("x and  Lower(a)", 1, 8, "unknown function 'Lower'"),
        ("lower(a, b)", 1, 1, "lower() takes 1 argument, got 2"),
        ("coalesce()", 1, 1, "coalesce() needs at least one argument"),
        ("exists(1)", 1, 1, "exists() takes a field path"),
        ('msg matches "("', 1, 13, 'invalid regex "("'),
        ("msg matches 1", 1, 13, "a regex must be a string"),
        ('level in "error"', 1, 10, "'in' needs a list"),
        ("status-1 > 0", 1, 1, "'status-1' is ambiguous"),
        ("a.content-type", 1, 1, "is ambiguous"),
        # Regression: a name that starts with a keyword was read as the keyword and a minus.
        ("not-before == 1", 1, 1, "'not-before' is ambiguous"),
        ("null-count > 0", 1, 1, "'null-count' is ambiguous"),
        ("true-ip", 1, 1, "'true-ip' is ambiguous"),
        ("x and-y", 1, 3, "expected"),
        ("1e999", 1, 1, "out of range"),
        ("TRUE", None, None, ""),
        ("a ||| b", 1, 5, "expected expression, found '| b'"),
        ("a and or b", 1, 7, "expected expression, found 'or b'"),
        ("lower(a ==)", 1, 11, "expected expression, found ')'"),
    ],
)
def test_syntax_errors_say_where_and_what(text: str, line: int | None, column: int | None, says: str) -> None:
    out = parse_filter(text)
    if line is None:
        assert not isinstance(out, FilterSyntaxError)  # "TRUE" is a field: keywords are lower case
        return
    assert isinstance(out, FilterSyntaxError)
    assert (out.line, out.column) == (line, column)
    assert out.message.startswith(f"line {line}, column {column}: ")
    assert says in out.message
    assert out.expected


def test_nesting_is_bounded_so_nothing_recurses_at_run_time() -> None:
    deep_ok = "(" * 10 + "a" + ")" * 10
    assert parse_filter(deep_ok) == a
    chain = " or ".join(["a"] * (MAX_DEPTH - 1))
    assert isinstance(parse_filter(chain), Binary)
    predicate = compile_filter(chain)
    assert callable(predicate)
    assert predicate({"a": True}) is True
    for text in (" or ".join(["a"] * (MAX_DEPTH + 5)), "not " * 200 + "a", "(" * 400 + "a" + ")" * 400):
        out = parse_filter(text)
        assert isinstance(out, FilterSyntaxError)
        assert "nested deeper" in out.message


@pytest.mark.parametrize("frames", [0, 400])
def test_brackets_nest_to_max_depth_whatever_the_callers_stack(frames: int) -> None:
    """Regression: the parser's own recursion (~66 frames a level) made 14 parentheses "nested
    deeper than 48 levels", and fewer when called from deeper in the stack (the API under serve)."""

    limit = sys.getrecursionlimit()

    def at_depth(left: int, text: str) -> Expr | FilterSyntaxError:
        return parse_filter(text) if left == 0 else at_depth(left - 1, text)

    for text in (
        "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH,
        "lower(" * (MAX_DEPTH - 1) + "a" + ")" * (MAX_DEPTH - 1),
        "a in " + "[" * (MAX_DEPTH - 2) + "1" + "]" * (MAX_DEPTH - 2),
    ):
        assert not isinstance(at_depth(frames, text), FilterSyntaxError), text[:12]
    assert sys.getrecursionlimit() == limit  # put back: a raised limit changed what other code does
    refused = at_depth(frames, "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))
    assert isinstance(refused, FilterSyntaxError)
    assert refused.message == f"line 1, column 1: expression nested deeper than {MAX_DEPTH} levels"


def test_compile_gives_validation_errors_as_values() -> None:
    for compile_ in (compile_filter, compile_expression):
        out = compile_(r'msg matches "\\"')
        assert isinstance(out, ValidationError)
        assert out.problems[0].where == ""
        assert out.problems[0].message.startswith("line 1, column 13: invalid regex")


def test_literals_and_keys_never_become_code() -> None:
    payload = '"); __import__("os"); ("'
    key = render_literal(payload)
    value = compile_expression(f"{key} + x[{key}]")
    assert callable(value)
    assert value({"x": {payload: "!"}}) == payload + "!"


def test_values_nested_deeper_than_the_stack_compare_alike_compiled_and_by_reference() -> None:
    """Regression: 400 levels of lists made ``==`` null (compiled) or raise (reference)."""
    from pipeflow.domain.filter import compile_expression
    from pipeflow.domain.filter.reference import evaluate
    from pipeflow.domain.json import Json, JsonObject

    def nest(depth: int) -> list[Json]:
        out: list[Json] = []
        for _ in range(depth):
            out = [out]
        return out

    fields: JsonObject = {"a": nest(400), "b": nest(400), "c": nest(399)}
    for text, expected in (("a == b", True), ("a != b", False), ("a in [b]", True), ("a == c", False)):
        compiled = compile_expression(text)
        assert callable(compiled)
        assert compiled(fields) is expected, text
        parsed = parse_filter(text)
        assert not isinstance(parsed, FilterSyntaxError)
        assert evaluate(parsed, fields) is expected, text
