"""Expression functions on values of any type: types, ``bool``, objects, lists and JSON text.

Each is total: a value of a type the function does not take gives null (the ``is_*`` tests give
``false``), and so does a value nested too deeply to walk.
"""

from __future__ import annotations

import json
import math
from typing import Final

from pipeflow.domain.filter.values import is_number
from pipeflow.domain.json import Json

_TRUE: Final = frozenset({"true", "yes", "on", "1"})
_FALSE: Final = frozenset({"false", "no", "off", "0"})


def type_of(x: Json) -> Json:
    """The name of the value's type: ``null boolean integer float string list object``.

    >>> [type_of(x) for x in (None, True, 1, 1.0, "a", [], {})]
    ['null', 'boolean', 'integer', 'float', 'string', 'list', 'object']
    """
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "boolean"
    if isinstance(x, int):
        return "integer"
    if isinstance(x, float):
        return "float"
    if isinstance(x, str):
        return "string"
    return "list" if isinstance(x, list) else "object"


def is_string(x: Json) -> Json:
    """Whether ``x`` is a string (never null)."""
    return isinstance(x, str)


def is_number_(x: Json) -> Json:
    """Whether ``x`` is an integer or a float, not a boolean (never null).

    >>> is_number_(1.5), is_number_(True), is_number_("1")
    (True, False, False)
    """
    return is_number(x)


def is_boolean(x: Json) -> Json:
    """Whether ``x`` is ``true`` or ``false`` (never null)."""
    return isinstance(x, bool)


def is_list(x: Json) -> Json:
    """Whether ``x`` is a list (never null)."""
    return isinstance(x, list)


def is_object(x: Json) -> Json:
    """Whether ``x`` is an object (never null)."""
    return isinstance(x, dict)


def is_null(x: Json) -> Json:
    """Whether ``x`` is null (a missing field is null too)."""
    return x is None


def to_bool(x: Json) -> Json:
    """``true``/``false`` from a boolean, ``1``/``0``, or a word (``yes``, ``off``... in any case); else null.

    >>> to_bool("Yes"), to_bool("OFF"), to_bool(1), to_bool(0.0), to_bool(2), to_bool(" on ")
    (True, False, True, False, None, None)
    """
    if isinstance(x, bool):
        return x
    if is_number(x):
        return True if x == 1 else False if x == 0 else None
    if isinstance(x, str) and len(x) <= 5:
        word = x.lower()
        return True if word in _TRUE else False if word in _FALSE else None
    return None


def keys(o: Json) -> Json:
    """The keys of an object, in its order.

    >>> keys({"b": 1, "a": 2}), keys([1])
    (['b', 'a'], None)
    """
    return list(o) if isinstance(o, dict) else None


def values(o: Json) -> Json:
    """The values of an object, in its order.

    >>> values({"b": 1, "a": [2]})
    [1, [2]]
    """
    return list(o.values()) if isinstance(o, dict) else None


def get(o: Json, key: Json, *default: Json) -> Json:
    """``o[key]`` for an object and a string key, or a list and an integer index (negative from the end).

    Anything else, a missing key or an index out of range, gives ``default`` (null when absent).

    >>> get({"a": 1}, "a"), get([1, 2], -1), get([1], 5, "d"), get({"a": 1}, 0, "d"), get(None, "a")
    (1, 2, 'd', 'd', None)
    """
    fallback = default[0] if len(default) == 1 else None
    if isinstance(o, dict) and type(key) is str:
        return o.get(key, fallback)
    if isinstance(o, list) and type(key) is int and -len(o) <= key < len(o):
        return o[key]
    return fallback


def merge(a: Json, b: Json) -> Json:
    """A new object: ``a``'s keys then ``b``'s, ``b``'s value winning (not deep).

    >>> merge({"a": 1, "b": 2}, {"b": 3, "c": 4}), merge({"a": 1}, None)
    ({'a': 1, 'b': 3, 'c': 4}, None)
    """
    return {**a, **b} if isinstance(a, dict) and isinstance(b, dict) else None


def _key(x: Json) -> object:
    """A hashable key equal exactly when the language's ``==`` is true (``1`` and ``1.0`` alike)."""
    if isinstance(x, list):
        return ("l", tuple(_key(i) for i in x))
    if isinstance(x, dict):
        return ("o", frozenset((k, _key(v)) for k, v in x.items()))
    if isinstance(x, bool):
        return ("b", x)
    return ("n", x) if is_number(x) else ("s", x) if isinstance(x, str) else ("z",)


def unique(items: Json) -> Json:
    """The first occurrence of each item (by ``==``: ``1`` and ``1.0`` are one), in order.

    >>> unique([1, "1", 1.0, True, [1], [1.0], None, None])
    [1, '1', True, [1], None]
    """
    if not isinstance(items, list):
        return None
    seen: set[object] = set()
    out: list[Json] = []
    try:
        for item in items:
            k = _key(item)
            if k not in seen:
                seen.add(k)
                out.append(item)
    except RecursionError:
        return None
    return out


def sort(items: Json) -> Json:
    """The items sorted, when all are numbers or all are strings (by code point); else null.

    >>> sort([3, 1.5, 2]), sort(["b", "B", "a"]), sort([1, "a"]), sort([True, False]), sort([])
    ([1.5, 2, 3], ['B', 'a', 'b'], None, None, [])
    """
    if not isinstance(items, list):
        return None
    if all(is_number(i) for i in items) or all(isinstance(i, str) for i in items):
        return sorted(items)  # type: ignore[type-var]
    return None


def _no_constant(text: str) -> Json:
    raise ValueError(f"not JSON: {text}")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"out of range: {text}")
    return value


def parse_json(s: Json) -> Json:
    """The value a JSON text holds; null when the text is not JSON (``NaN`` and ``1e999`` are not).

    >>> parse_json('{"a": [1, 2.5, null]}'), parse_json("{a}"), parse_json("NaN"), parse_json("1e999")
    ({'a': [1, 2.5, None]}, None, None, None)
    """
    if not isinstance(s, str):
        return None
    try:
        value: Json = json.loads(s, parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, RecursionError, MemoryError):
        return None
    return value


def to_json(x: Json) -> Json:
    """The value as compact JSON text (``null`` for null; non-ASCII characters kept as they are).

    >>> to_json({"a": [1, "é", None]}), to_json(None), to_json(1e16)
    ('{"a":[1,"é",null]}', 'null', '1e+16')
    """
    try:
        return json.dumps(x, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (ValueError, TypeError, RecursionError, MemoryError):
        return None


__all__ = [
    "get",
    "is_boolean",
    "is_list",
    "is_null",
    "is_number_",
    "is_object",
    "is_string",
    "keys",
    "merge",
    "parse_json",
    "sort",
    "to_bool",
    "to_json",
    "type_of",
    "unique",
    "values",
]
