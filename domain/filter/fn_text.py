"""Expression functions on text: trimming, replacing, splitting, joining, slicing, searching.

Each is total on JSON values: an argument that is null or of a type the function does not take
gives null, and so does anything Python would raise on (a bad dynamic regex, a bad replacement
template). Positions count characters; negative positions count from the end, as in Python.
A regex argument is a string, or a pattern the compiler compiled once from a literal.
"""

from __future__ import annotations

import re
from typing import TypeAlias

from pipeflow.domain.filter import values as v
from pipeflow.domain.filter.functions import to_str
from pipeflow.domain.json import Json

_Pattern: TypeAlias = re.Pattern[str]


def _regex(pattern: Json | _Pattern) -> _Pattern | None:
    if isinstance(pattern, re.Pattern):
        return pattern
    return v.regex(pattern) if type(pattern) is str else None


def _is_int(x: Json) -> bool:
    return type(x) is int


def trim(s: Json) -> Json:
    """Whitespace removed at both ends.

    >>> trim("  a b \\n"), trim(1)
    ('a b', None)
    """
    return s.strip() if type(s) is str else None


def ltrim(s: Json) -> Json:
    """Whitespace removed at the start.

    >>> ltrim("  a "), ltrim(None)
    ('a ', None)
    """
    return s.lstrip() if type(s) is str else None


def rtrim(s: Json) -> Json:
    """Whitespace removed at the end.

    >>> rtrim("  a "), rtrim(["a"])
    ('  a', None)
    """
    return s.rstrip() if type(s) is str else None


def replace(s: Json, old: Json, new: Json) -> Json:
    """Every occurrence of the string ``old`` replaced by ``new`` (Python's ``str.replace``).

    >>> replace("a-b-c", "-", "+"), replace("ab", "", "."), replace("a", "a", 1)
    ('a+b+c', '.a.b.', None)
    """
    if type(s) is not str or type(old) is not str or type(new) is not str:
        return None
    try:
        return s.replace(old, new)
    except MemoryError:
        return None


def replace_regex(s: Json, pattern: Json | _Pattern, repl: Json) -> Json:
    """Every match of ``pattern`` replaced by ``repl`` (``re.sub`` rules, ``\\1`` allowed).

    >>> replace_regex("a1b22", r"\\d+", "#"), replace_regex("ab", "(a)(b)", r"\\2\\1")
    ('a#b#', 'ba')
    >>> replace_regex("ab", "(", "x"), replace_regex("ab", "(a)", r"\\2")
    (None, None)
    """
    compiled = _regex(pattern)
    if type(s) is not str or type(repl) is not str or compiled is None:
        return None
    try:
        return compiled.sub(repl, s)
    except (re.error, IndexError, RecursionError, MemoryError, ValueError):
        return None


def split(s: Json, sep: Json) -> Json:
    """A list of the parts of ``s`` between occurrences of ``sep``; null for an empty ``sep``.

    >>> split("a,b,,c", ","), split("abc", ""), split("", ",")
    (['a', 'b', '', 'c'], None, [''])
    """
    if type(s) is not str or type(sep) is not str or not sep:
        return None
    return list(s.split(sep))


def join(items: Json, sep: Json) -> Json:
    """The items joined by ``sep``, each written as ``str`` writes it; null for a list, object or null item.

    >>> join(["a", 1, 2.5, True], "-"), join(["a", None], "-"), join([], ","), join("ab", ",")
    ('a-1-2.5-true', None, '', None)
    """
    if not isinstance(items, list) or type(sep) is not str:
        return None
    parts: list[str] = []
    for item in items:
        if item is None or isinstance(item, list | dict):
            return None
        text = to_str(item)
        if not isinstance(text, str):
            return None
        parts.append(text)
    try:
        return sep.join(parts)
    except MemoryError:
        return None


def slice_(x: Json, start: Json, *end: Json) -> Json:
    """``x[start:end]`` of a string or list by Python's slice rules (no ``end``: to the end).

    >>> slice_("hello", 1), slice_("hello", -3, -1), slice_([1, 2, 3], 5), slice_("ab", 1.0)
    ('ello', 'll', [], None)
    >>> slice_("ab", 0, None), slice_("ab", 0, 1, 2)
    (None, None)
    """
    if len(end) > 1 or not isinstance(x, str | list) or not _is_int(start):
        return None
    stop = end[0] if end else None
    if end and not _is_int(stop):
        return None
    return x[start:stop]  # type: ignore[index]


def index_of(s: Json, sub: Json) -> Json:
    """Position (in characters) of the first occurrence of ``sub`` in ``s``, or -1.

    >>> index_of("héllo", "l"), index_of("abc", "z"), index_of("abc", ""), index_of(["a"], "a")
    (2, -1, 0, None)
    """
    if type(s) is not str or type(sub) is not str:
        return None
    return s.find(sub)


def capture(s: Json, pattern: Json | _Pattern) -> Json:
    """The named groups of the first match as an object (unmatched groups null); null without a match.

    >>> capture("user=ann id=7", r"user=(?P<user>\\w+)(?: x=(?P<x>\\d+))?"), capture("ab", "z")
    ({'user': 'ann', 'x': None}, None)
    """
    compiled = _regex(pattern)
    if type(s) is not str or compiled is None:
        return None
    try:
        found = compiled.search(s)
    except (RecursionError, MemoryError):
        return None
    return None if found is None else dict(found.groupdict())


__all__ = [
    "capture",
    "index_of",
    "join",
    "ltrim",
    "replace",
    "replace_regex",
    "rtrim",
    "slice_",
    "split",
    "trim",
]
