"""The semantics of expression values: equality, ordering, arithmetic and conversions.

Every function here is total on JSON values: a type that does not fit gives ``False`` (for a
comparison) or ``None`` (for arithmetic and conversions), never an exception. Booleans are not
numbers: ``true == 1`` is false and ``true + 1`` is null. Both the compiled closures and the
reference interpreter call these functions, so the two cannot drift apart.
"""

from __future__ import annotations

import math
import operator
import re
import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Final, TypeGuard

from pipeflow.domain.json import INT_MAX, INT_MIN, Json

NUMBER_TYPES: Final = frozenset({int, float})
"""The exact types that count as numbers (``bool`` is a subclass of ``int`` but is not one)."""


def is_number(x: Json) -> TypeGuard[int | float]:
    """Whether ``x`` is an int or a float, and not a boolean.

    >>> is_number(1), is_number(1.5), is_number(True)
    (True, True, False)
    """
    return x.__class__ in NUMBER_TYPES


def eq(a: Json, b: Json) -> bool:
    """JSON equality: numbers by value (``1 == 1.0``), no cross-type equality, deep on containers.

    >>> eq(1, 1.0), eq("1", 1), eq(True, 1), eq([1, {"a": None}], [1.0, {"a": None}])
    (True, False, False, True)
    >>> deep = nested = []
    >>> for _ in range(5000):
    ...     nested.append([]); nested = nested[0]
    >>> eq(deep, deep), eq(deep, [])  # containers of any depth: a stack of pairs, not recursion
    (True, False)
    """
    if is_number(a):
        return is_number(b) and a == b
    if a.__class__ is not b.__class__:
        return False
    if not isinstance(a, list | dict):
        return a == b
    pending: list[tuple[Json, Json]] = [(a, b)]
    while pending:
        x, y = pending.pop()
        if is_number(x):
            if not (is_number(y) and x == y):
                return False
        elif x.__class__ is not y.__class__:
            return False
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                return False
            pending.extend(zip(x, y, strict=True))
        elif isinstance(x, dict) and isinstance(y, dict):
            if x.keys() != y.keys():
                return False
            pending.extend((v, y[k]) for k, v in x.items())
        elif x != y:
            return False
    return True


def _ordered(a: Json, b: Json, op: Callable[[Any, Any], bool]) -> bool:
    if (is_number(a) and is_number(b)) or (type(a) is str and type(b) is str):
        return op(a, b)
    return False


def lt(a: Json, b: Json) -> bool:
    """``a < b`` for two numbers or two strings; false otherwise (null, mixed types, booleans).

    >>> lt(1, 2.5), lt("a", "b"), lt("1", 2), lt(None, 1), lt(False, True)
    (True, True, False, False, False)
    """
    return _ordered(a, b, operator.lt)


def le(a: Json, b: Json) -> bool:
    """``a <= b`` for two numbers or two strings; false otherwise."""
    return _ordered(a, b, operator.le)


def gt(a: Json, b: Json) -> bool:
    """``a > b`` for two numbers or two strings; false otherwise."""
    return _ordered(a, b, operator.gt)


def ge(a: Json, b: Json) -> bool:
    """``a >= b`` for two numbers or two strings; false otherwise."""
    return _ordered(a, b, operator.ge)


def contains(a: Json, b: Json) -> bool:
    """Substring of a string, or an element (by ``eq``) of a list.

    >>> contains("timeout error", "error"), contains([1, 2], 2.0), contains("a1", 1)
    (True, True, False)
    """
    if type(a) is str:
        return type(b) is str and b in a
    if isinstance(a, list):
        return any(eq(x, b) for x in a)
    return False


def in_(a: Json, b: Json) -> bool:
    """``a in b``: ``b`` is a list holding an element equal to ``a`` (false for any other ``b``)."""
    return isinstance(b, list) and any(eq(a, x) for x in b)


def startswith(a: Json, b: Json) -> bool:
    """Both strings and ``a`` starts with ``b``."""
    return type(a) is str and type(b) is str and a.startswith(b)


def endswith(a: Json, b: Json) -> bool:
    """Both strings and ``a`` ends with ``b``."""
    return type(a) is str and type(b) is str and a.endswith(b)


def regex_or_problem(pattern: str) -> re.Pattern[str] | str:
    """The compiled regex, or why the pattern is not one.

    A warning ``re`` gives about a valid pattern (``FutureWarning: Possible nested set`` for
    ``[[a]``) is not shown: it would surface once per pattern from events, and under
    ``-W error`` it would be raised from an expression, which never raises.

    >>> regex_or_problem("a+").pattern, regex_or_problem("("), regex_or_problem("[[a]").pattern
    ('a+', 'missing ), unterminated subpattern at position 0', '[[a]')
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return re.compile(pattern)
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        return str(exc)


@lru_cache(maxsize=256)
def regex(pattern: str) -> re.Pattern[str] | None:
    """The compiled regex, or ``None`` when the pattern is invalid (cached)."""
    compiled = regex_or_problem(pattern)
    return compiled if isinstance(compiled, re.Pattern) else None


def matches(a: Json, pattern: Json) -> bool:
    """Both strings and the regex ``pattern`` matches anywhere in ``a`` (``re.search``)."""
    if type(a) is not str or type(pattern) is not str:
        return False
    compiled = regex(pattern)
    return compiled is not None and compiled.search(a) is not None


def finite(x: int | float) -> int | float | None:
    """``x`` when it is an int that fits 64 bits or a finite float, else null.

    >>> finite(2**64 - 1), finite(2**64), finite(-(2**63) - 1), finite(float("inf")), finite(1.5)
    (18446744073709551615, None, None, None, 1.5)
    """
    # Results outside what an event can hold (inf, nan, integers past 64 bits) become null, like
    # any other arithmetic that does not fit: stored in a field, they could not be written.
    if type(x) is int:
        return x if INT_MIN <= x <= INT_MAX else None
    return x if math.isfinite(x) else None


def add(a: Json, b: Json) -> Json:
    """Numbers add, two strings concatenate; anything else is null.

    >>> add(1, 2.5), add("a", "b"), add("a", 1), add(True, 1)
    (3.5, 'ab', None, None)
    """
    if is_number(a) and is_number(b):
        try:
            return finite(a + b)
        except OverflowError:
            return None
    if type(a) is str and type(b) is str:
        return a + b
    return None


def sub(a: Json, b: Json) -> Json:
    """``a - b`` on numbers; null otherwise."""
    try:
        return finite(a - b) if is_number(a) and is_number(b) else None
    except OverflowError:
        return None


def mul(a: Json, b: Json) -> Json:
    """``a * b`` on numbers; null otherwise (strings are not repeated)."""
    try:
        return finite(a * b) if is_number(a) and is_number(b) else None
    except OverflowError:
        return None


def div(a: Json, b: Json) -> Json:
    """True division (``7 / 2`` is ``3.5``); null on division by zero or non-numbers."""
    if not (is_number(a) and is_number(b)) or b == 0:
        return None
    try:
        return finite(a / b)
    except OverflowError:
        return None


def mod(a: Json, b: Json) -> Json:
    """Remainder with the sign of the dividend (``-7 % 3`` is ``-1``, as in Rust and JavaScript).

    >>> mod(7, 3), mod(-7, 3), mod(7.5, 2), mod(1, 0)
    (1, -1, 1.5, None)
    """
    if not (is_number(a) and is_number(b)) or b == 0:
        return None
    if type(a) is int and type(b) is int:
        r = abs(a) % abs(b)
        return finite(r if a >= 0 else -r)
    try:
        return finite(math.fmod(a, b))
    except (OverflowError, ValueError):
        return None


def neg(a: Json) -> Json:
    """``-a`` on a number; null otherwise (and when ``-a`` does not fit 64 bits).

    >>> neg(2), neg(-1.5), neg("1"), neg(2**64 - 1)
    (-2, 1.5, None, None)
    """
    return finite(-a) if is_number(a) else None


BINARY: Final[dict[str, Callable[[Json, Json], Json]]] = {
    "==": eq,
    "!=": lambda a, b: not eq(a, b),
    "<": lt,
    "<=": le,
    ">": gt,
    ">=": ge,
    "contains": contains,
    "startswith": startswith,
    "endswith": endswith,
    "matches": matches,
    "in": in_,
    "+": add,
    "-": sub,
    "*": mul,
    "/": div,
    "%": mod,
}
"""The strict binary operators (every one but ``and``/``or``) by their symbol."""

__all__ = [
    "BINARY",
    "NUMBER_TYPES",
    "add",
    "contains",
    "div",
    "endswith",
    "eq",
    "finite",
    "ge",
    "gt",
    "in_",
    "is_number",
    "le",
    "lt",
    "matches",
    "mod",
    "mul",
    "neg",
    "regex",
    "regex_or_problem",
    "startswith",
    "sub",
]
