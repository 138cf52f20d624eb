"""Laws of the expression functions, checked through the language (compiled and reference alike).

Round trips (``split``/``join``, base64, percent-encoding, ISO 8601 times), agreement with Python
(``slice``, ``capture`` against ``re``, ``round``, ``floor``/``ceil``), ``sort`` and ``unique``
by their definitions, and totality: any JSON values, lone surrogates and deep nesting included,
give a value in both engines, the same one.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.filter import FilterSyntaxError, compile_expression, parse_filter
from pipeflow.domain.filter.library import BUILTINS
from pipeflow.domain.filter.reference import evaluate
from pipeflow.domain.filter.values import eq
from pipeflow.domain.json import Json, JsonObject
from tests.property.test_filter_laws import typed
from tests.strategies import json_values


def call(name: str, *args: Json) -> Json:
    """``name(args)`` with every argument read from a field, checked to agree in both engines."""
    fields: JsonObject = {f"a{i}": a for i, a in enumerate(args)}
    text = f"{name}({', '.join(fields)})"
    parsed = parse_filter(text)
    assert not isinstance(parsed, FilterSyntaxError), parsed
    compiled = compile_expression(text)
    assert callable(compiled)
    expected = evaluate(parsed, fields)
    assert typed(compiled(fields)) == typed(expected), text
    return expected


texts = st.text(max_size=30)
"""Unicode text without lone surrogates (hypothesis leaves them out unless asked)."""

surrogate_texts = st.text(st.characters(blacklist_categories=()), max_size=8)
"""Any code points, lone surrogates included."""


@given(texts, st.text(min_size=1, max_size=3))
def test_join_of_split_is_the_identity(s: str, sep: str) -> None:
    parts = call("split", s, sep)
    assert parts == s.split(sep)
    assert call("join", parts, sep) == s


@given(texts)
def test_base64_decode_of_encode_is_the_identity(s: str) -> None:
    assert call("base64_decode", call("base64_encode", s)) == s


@given(texts)
def test_url_decode_of_encode_is_the_identity(s: str) -> None:
    encoded = call("url_encode", s)
    assert isinstance(encoded, str)
    assert re.fullmatch(r"[A-Za-z0-9_.~%-]*", encoded)
    assert call("url_decode", encoded) == s


indices = st.one_of(st.integers(-8, 8), st.integers(-(2**70), 2**70))


@given(st.one_of(texts, st.lists(st.integers(), max_size=8)), indices, st.one_of(st.none(), indices))
def test_slice_is_pythons_slice(x: str | list[Json], start: int, end: int | None) -> None:
    if end is None:
        assert call("slice", x, start) == x[start:]
    else:
        assert call("slice", x, start, end) == x[start:end]


PATTERNS = [
    r"(?P<k>\w+)=(?P<v>\w*)",
    r"(?P<a>a+)|(?P<b>b+)",
    r"^(?P<first>.)",
    r"(?P<d>\d)(?P<rest>.*)$",
    r"x(?P<opt>y)?z",
    r"(unnamed)",
]


@given(st.sampled_from(PATTERNS), st.text("abxyz=1 ", max_size=12), st.booleans())
def test_capture_is_the_groupdict_of_re_search(pattern: str, s: str, from_field: bool) -> None:
    found = re.search(pattern, s)
    expected = None if found is None else found.groupdict()
    if from_field:
        assert call("capture", s, pattern) == expected
    else:  # a literal pattern, compiled at load
        text = f'capture(s, "{pattern}")'
        compiled = compile_expression(text)
        parsed = parse_filter(text)
        assert callable(compiled)
        assert not isinstance(parsed, FilterSyntaxError)
        assert compiled({"s": s}) == expected == evaluate(parsed, {"s": s})


numbers = st.one_of(st.integers(-(10**6), 10**6), st.floats(-1e6, 1e6), st.integers(-(2**70), 2**70))


@given(st.one_of(st.lists(numbers, max_size=10), st.lists(st.text(max_size=3), max_size=10)))
def test_sort_gives_a_sorted_permutation(items: list[Json]) -> None:
    out = call("sort", items)
    assert isinstance(out, list)
    assert all(a <= b for a, b in itertools.pairwise(out))  # type: ignore[operator]
    assert Counter(map(typed, out)) == Counter(map(typed, items))


@given(
    st.lists(
        st.one_of(st.integers(-2, 2), st.sampled_from([1.0, True, False, None, "1", [1], [1.0]])), max_size=12
    )
)
def test_unique_keeps_the_first_occurrence_of_each_value(items: list[Json]) -> None:
    out = call("unique", items)
    firsts = [x for i, x in enumerate(items) if not any(eq(x, y) for y in items[:i])]
    assert typed(out) == typed(firsts)


@given(st.one_of(numbers, st.sampled_from([0.5, 1.5, 2.5, -0.5, -2.5, 0.125, 2.675])), st.integers(-4, 4))
def test_round_floor_and_ceil_are_pythons(n: int | float, digits: int) -> None:
    """Python's results, or null where an integer result does not fit the 64 bits an event holds."""
    assert typed(call("round", n)) == typed(_fitting(round(n)))
    assert typed(call("round", n, digits)) == typed(_fitting(round(n, digits)))
    floor, ceil = call("floor", n), call("ceil", n)
    if _fitting(math.floor(n)) is None or _fitting(math.ceil(n)) is None:
        assert (floor if _fitting(math.floor(n)) is None else ceil) is None
        return
    assert type(floor) is int
    assert type(ceil) is int
    assert floor <= n < floor + 1
    assert ceil - 1 < n <= ceil
    assert (floor, ceil) == (math.floor(n), math.ceil(n))


def _fitting(x: int | float) -> int | float | None:
    return None if type(x) is int and not -(2**63) <= x < 2**64 else x


@given(st.integers(-(2**70), 2**70), st.integers(-(2**70), 2**70))
def test_integer_results_past_64_bits_are_null(a: int, b: int) -> None:
    """An integer an event could not hold is null, as other arithmetic that does not fit."""
    for text, value in (("a + b", a + b), ("a - b", a - b), ("a * b", a * b), ("-a", -a)):
        got = compile_expression(text)
        assert callable(got)
        assert got({"a": a, "b": b}) == _fitting(value), text
    assert call("abs", a) == _fitting(abs(a))
    assert call("int", str(a)) == _fitting(a)
    assert call("sum", [a, b]) == _fitting(a + b)


@given(st.integers(-62135596800, 253402300799), st.integers(0, 999))
def test_iso8601_times_read_back_to_the_millisecond(seconds: int, millis: int) -> None:
    t = seconds + millis / 1000
    text = call("format_timestamp", t, "iso8601")
    assert isinstance(text, str)
    assert text.endswith("Z")
    back = call("parse_timestamp", text, "iso8601")
    assert isinstance(back, float)
    assert abs(back - t) < 0.0011  # milliseconds are truncated, and ``t`` is a float


def _deep(depth: int) -> Json:
    value: Json = [1]
    for _ in range(depth):
        value = {"a": [value]}
    return value


arguments = st.one_of(json_values, surrogate_texts, st.sampled_from([_deep(200), "[" * 3000, 2**200, -1e308]))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(BUILTINS)), st.lists(arguments, min_size=3, max_size=3))
def test_every_function_is_total_and_the_engines_agree(name: str, pool: list[Json]) -> None:
    builtin = BUILTINS[name]
    for k in range(builtin.min_args, (3 if builtin.max_args is None else builtin.max_args) + 1):
        value = call(name, *pool[:k])
        assert value is None or isinstance(value, bool | int | float | str | list | dict)
        if isinstance(value, float):
            assert math.isfinite(value)


def test_values_nested_deeper_than_python_recurses_give_null() -> None:
    """Deeper than the interpreter's recursion limit: the functions that walk a value give null."""
    deep = _deep(2000)
    fields: JsonObject = {"d": deep, "l": [deep, deep]}
    for text in ("to_json(d)", "unique(l)", "str(d)"):
        compiled = compile_expression(text)
        parsed = parse_filter(text)
        assert callable(compiled)
        assert not isinstance(parsed, FilterSyntaxError)
        assert compiled(fields) is None, text
        assert evaluate(parsed, fields) is None, text
