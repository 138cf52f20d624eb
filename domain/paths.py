"""Field paths: the typed lens into an event's nested fields.

A path is a tuple of segments: a ``str`` names an object key, an ``int`` a list index.
``user.email`` is ``("user", "email")``, ``tags[0]`` is ``("tags", 0)`` and
``headers["content-type"]`` is ``("headers", "content-type")``.
Reading never raises (absence is ``MISSING``); writing returns new containers along the
path and shares everything else (structural sharing), so the input is never changed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final, TypeAlias, final

from pipeflow.domain.json import Json, JsonObject

Segment: TypeAlias = str | int
"""One step of a path: an object key or a list index."""

Path: TypeAlias = tuple[Segment, ...]
"""A field path, outermost segment first."""


@final
class _Missing:
    """The type of ``MISSING``: a field that is not there (distinct from ``null``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()
"""Marker for an absent field; expressions read it as ``null``."""

_TOKEN = re.compile(
    r"""(?P<ident>[A-Za-z_@$][A-Za-z0-9_@$\-]*)"""
    r"""|\[(?P<index>-?\d+)\]"""
    r"""|\[(?P<q>["'])(?P<key>(?:\\.|(?!(?P=q)).)*)(?P=q)\]"""
    r"""|(?P<dot>\.)"""
)


@lru_cache(maxsize=4096)
def parse_path(text: str) -> Path | None:
    """Parse a path such as ``user.email``, ``tags[0]`` or ``headers["content-type"]``.

    Returns ``None`` when the text is not a path.

    >>> parse_path('a.b[0]["c-d"]')
    ('a', 'b', 0, 'c-d')
    >>> parse_path("a..b") is None
    True
    """
    segments: list[Segment] = []
    pos, expect_name = 0, True
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            return None
        if m.group("dot") is not None:
            if expect_name:
                return None
            expect_name = True
        elif m.group("ident") is not None:
            if not expect_name:
                return None
            segments.append(m.group("ident"))
            expect_name = False
        elif expect_name and segments:
            return None  # "a.[0]" is not a path
        elif m.group("index") is not None:
            segments.append(int(m.group("index")))
            expect_name = False
        else:
            segments.append(unescape(m.group("key")))
            expect_name = False
        pos = m.end()
    if expect_name or not segments:
        return None
    return tuple(segments)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "'": "'", "\\": "\\"}


def unescape(text: str) -> str:
    """Quoted text read as expressions read it: the documented escapes (``\\n``, ``\\t``, quotes and
    backslash); any other backslash stays as written, so regexes read naturally. Keys in brackets
    and string literals alike.

    >>> unescape(r'a\\"b\\\\c\\dy\\n')
    'a"b\\\\c\\\\dy\\n'
    """
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group()), text, flags=re.S)


def render_path(path: Path) -> str:
    """Render a path back to text that ``parse_path`` reads as the same path.

    >>> render_path(("a", 0, "c-d", "x y"))
    'a[0]["c-d"]["x y"]'
    """
    out: list[str] = []
    for i, seg in enumerate(path):
        if isinstance(seg, int):
            out.append(f"[{seg}]")
        elif re.fullmatch(r"[A-Za-z_@$][A-Za-z0-9_@$]*", seg):
            out.append(seg if i == 0 else f".{seg}")
        else:
            escaped = seg.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
            out.append(f'["{escaped}"]')
    return "".join(out)


def get_in(fields: JsonObject, path: Path) -> Json | _Missing:
    """Read the value at ``path``, or ``MISSING`` when any step is absent or of the wrong type.

    >>> get_in({"a": {"b": [1, 2]}}, ("a", "b", 1))
    2
    >>> get_in({"a": 1}, ("a", "b"))
    MISSING
    """
    node: Json = fields
    for seg in path:
        if isinstance(seg, str):
            if not isinstance(node, dict) or seg not in node:
                return MISSING
            node = node[seg]
        else:
            if not isinstance(node, list) or not -len(node) <= seg < len(node):
                return MISSING
            node = node[seg]
    return node


def set_in(fields: JsonObject, path: Path, value: Json) -> JsonObject:
    """Return new fields with ``value`` at ``path``; missing objects on the way are created.

    The input is not changed. A key step through a value that is not an object replaces that
    value with a new object; a list index out of range, or an index step through a value that
    is not a list, changes nothing (the result equals the input).

    >>> f = {"a": {"b": 1}}
    >>> set_in(f, ("a", "c"), 2), f
    ({'a': {'b': 1, 'c': 2}}, {'a': {'b': 1}})
    """
    return _set(fields, path, value)  # type: ignore[return-value]


def _set(node: Json, path: Path, value: Json) -> Json:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, str):
        obj: JsonObject = dict(node) if isinstance(node, dict) else {}
        obj[head] = _set(obj.get(head), rest, value)
        return obj
    if isinstance(node, list) and -len(node) <= head < len(node):
        lst = list(node)
        lst[head] = _set(lst[head], rest, value)
        return lst
    return node


def remove_in(fields: JsonObject, path: Path) -> JsonObject:
    """Return new fields without the value at ``path`` (unchanged when it is absent).

    >>> remove_in({"a": {"b": 1, "c": 2}}, ("a", "b"))
    {'a': {'c': 2}}
    """
    if isinstance(get_in(fields, path), _Missing):
        return fields
    return _remove(fields, path)  # type: ignore[return-value]


def _remove(node: Json, path: Path) -> Json:
    head, rest = path[0], path[1:]
    if isinstance(node, dict) and isinstance(head, str):
        obj = dict(node)
        if rest:
            obj[head] = _remove(obj[head], rest)
        else:
            del obj[head]
        return obj
    if isinstance(node, list) and isinstance(head, int):
        lst = list(node)
        if rest:
            lst[head] = _remove(lst[head], rest)
        else:
            del lst[head]
        return lst
    return node


__all__ = [
    "MISSING",
    "Path",
    "Segment",
    "get_in",
    "parse_path",
    "remove_in",
    "render_path",
    "set_in",
    "unescape",
]
