"""The language's first functions: case, length, conversions and ``coalesce`` (``library`` lists them all).

Like ``values``, each is total on JSON values: a value that does not fit gives ``null``.
"""

from __future__ import annotations

import json
import re

from pipeflow.domain.filter.values import finite, is_number
from pipeflow.domain.json import Json

_INT_TEXT = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)
_FLOAT_TEXT = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*", re.ASCII)


def lower(x: Json) -> Json:
    """Lower-cased string; null for anything else."""
    return x.lower() if isinstance(x, str) else None


def upper(x: Json) -> Json:
    """Upper-cased string; null for anything else."""
    return x.upper() if isinstance(x, str) else None


def length(x: Json) -> Json:
    """Characters of a string, items of a list, keys of an object; null for anything else."""
    return len(x) if isinstance(x, str | list | dict) else None


def to_int(x: Json) -> Json:
    """A number truncated toward zero, or a numeric string read and truncated; null otherwise.

    >>> to_int("42"), to_int(" -3.9 "), to_int(2.7), to_int("x"), to_int(True), to_int("1" * 30)
    (42, -3, 2, None, None, None)
    """
    try:
        if type(x) is int:
            return finite(x)  # a literal may be any size
        if type(x) is float:
            return finite(int(x))
        if isinstance(x, str):
            if _INT_TEXT.fullmatch(x):
                return finite(int(x))
            if _FLOAT_TEXT.fullmatch(x):
                return finite(int(float(x)))
    except (ValueError, OverflowError):
        pass
    return None


def to_float(x: Json) -> Json:
    """A number or a numeric string as a float; null otherwise (``inf`` and ``nan`` included).

    >>> to_float(2), to_float("1e3"), to_float("nan"), to_float(None)
    (2.0, 1000.0, None, None)
    """
    try:
        if is_number(x):
            return finite(float(x))
        if isinstance(x, str) and _FLOAT_TEXT.fullmatch(x):
            return finite(float(x))
    except (ValueError, OverflowError):
        pass
    return None


def to_str(x: Json) -> Json:
    """Text of a value: strings unchanged, ``true``/``false``, numbers, compact JSON; null for null.

    >>> to_str(1.5), to_str(True), to_str([1, "a"]), to_str(None)
    ('1.5', 'true', '[1,"a"]', None)
    """
    try:
        if x is None or isinstance(x, str):
            return x
        if isinstance(x, bool):
            return "true" if x else "false"
        if isinstance(x, int | float):
            return repr(x)
        return json.dumps(x, ensure_ascii=False, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):
        return None


def coalesce(*xs: Json) -> Json:
    """The first argument that is not null (null when all are)."""
    for x in xs:
        if x is not None:
            return x
    return None


__all__ = ["coalesce", "length", "lower", "to_float", "to_int", "to_str", "upper"]
