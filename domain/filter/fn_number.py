"""Expression functions on numbers: ``abs``, ``floor``, ``ceil``, ``round``, ``min``, ``max``, ``sum``.

Booleans are not numbers. Each function is total: an argument that is null or not a number gives
null, and so does a result that is not a finite number (JSON has no inf or nan).
"""

from __future__ import annotations

import math

from pipeflow.domain.filter.values import finite, is_number
from pipeflow.domain.json import Json

# A float has at most ~309 digits before the point and ~324 after it: rounding to more digits on
# either side gives the same value as rounding to this many, without a giant power of ten.
_FLOAT_DIGITS = 400


def abs_(n: Json) -> Json:
    """The absolute value, as in Python (an integer stays an integer).

    >>> abs_(-3), abs_(-2.5), abs_(True), abs_("1")
    (3, 2.5, None, None)
    """
    return finite(abs(n)) if is_number(n) else None


def floor(n: Json) -> Json:
    """The largest integer not above ``n`` (an integer, as Python's ``math.floor``).

    >>> floor(2.7), floor(-2.1), floor(5), floor(None)
    (2, -3, 5, None)
    """
    try:
        return finite(math.floor(n)) if is_number(n) else None
    except OverflowError:  # floor(inf) cannot happen (fields hold no inf), but a plugin's value might
        return None


def ceil(n: Json) -> Json:
    """The smallest integer not below ``n`` (an integer, as Python's ``math.ceil``).

    >>> ceil(2.1), ceil(-2.7), ceil(5)
    (3, -2, 5)
    """
    try:
        return finite(math.ceil(n)) if is_number(n) else None
    except OverflowError:
        return None


def round_(n: Json, *digits: Json) -> Json:
    """Python's ``round``: halves go to the even neighbour; with ``digits``, to that many places.

    >>> round_(2.5), round_(3.5), round_(-0.5), round_(2.675, 2), round_(1234, -2), round_(1.5, True)
    (2, 4, 0, 2.67, 1200, None)
    """
    if len(digits) > 1 or not is_number(n):
        return None
    if not digits:
        try:
            return finite(round(n))
        except OverflowError:
            return None
    places = digits[0]
    if type(places) is not int:
        return None
    try:
        if type(n) is int:
            # A power of ten beyond n's size rounds to 0 (or leaves n): no giant power is built.
            if places >= 0:
                return finite(n)
            return 0 if -places > n.bit_length() // 3 + 2 else finite(round(n, places))
        return finite(round(n, max(-_FLOAT_DIGITS, min(_FLOAT_DIGITS, places))))
    except OverflowError:
        return None


def _numbers(xs: tuple[Json, ...] | list[Json]) -> bool:
    return all(is_number(x) for x in xs)


def min_(*xs: Json) -> Json:
    """The least of the arguments, all numbers; null if any is not a number.

    >>> min_(3, 1.5, 2), min_(1, "0"), min_(2)
    (1.5, None, 2)
    """
    return min(xs) if xs and _numbers(xs) else None  # type: ignore[type-var]


def max_(*xs: Json) -> Json:
    """The greatest of the arguments, all numbers; null if any is not a number.

    >>> max_(3, 1.5, 2), max_(1, None)
    (3, None)
    """
    return max(xs) if xs and _numbers(xs) else None  # type: ignore[type-var]


def sum_(items: Json) -> Json:
    """The sum of a list of numbers (``0`` for an empty list); null for anything else.

    >>> sum_([1, 2.5, 3]), sum_([]), sum_([1, True]), sum_([1e308, 1e308])
    (6.5, 0, None, None)
    """
    if not isinstance(items, list) or not _numbers(items):
        return None
    try:
        return finite(sum(items))  # type: ignore[arg-type]
    except OverflowError:
        return None


__all__ = ["abs_", "ceil", "floor", "max_", "min_", "round_", "sum_"]
