"""logfmt lines (``key=value key2="quoted value" flag``) into fields, and fields back into a line.

Pairs are separated by whitespace. A key is any run of characters other than whitespace, ``=``
and ``"``. A value is bare (up to the next whitespace; it may hold ``=``) or double-quoted, with
``\\"``, ``\\\\``, ``\\n``, ``\\r`` and ``\\t`` unescaped inside the quotes (any other escape is kept
as written). Values stay strings; ``key=`` is the empty string; a bare ``key`` is ``true``; a later
key wins. A line that is not logfmt gives the reason: an unterminated quote, a pair with no key
(``=x``), a ``"`` inside a key or a bare value, text glued to a closing quote.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

from pipeflow.domain.json import JsonObject

_UNESCAPE: Final = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
_ESCAPE: Final = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_logfmt_key(key: str) -> bool:
    """Whether ``key`` can be written as a logfmt key (non-empty; no whitespace, ``=`` or ``"``).

    >>> is_logfmt_key("user.id"), is_logfmt_key("a b"), is_logfmt_key("")
    (True, False, False)
    """
    return bool(key) and not any(c.isspace() or c in '="' for c in key)


def parse_logfmt(line: str) -> JsonObject | str:
    """The pairs of one logfmt line, or why it is not logfmt.

    >>> parse_logfmt('level=info msg="hello world" retry')
    {'level': 'info', 'msg': 'hello world', 'retry': True}
    >>> parse_logfmt('msg="open')
    'unterminated quote in the value of msg'
    """
    out: JsonObject = {}
    i, n = 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return out
        start = i
        while i < n and not line[i].isspace() and line[i] not in '="':
            i += 1
        key = line[start:i]
        if not key:
            return f"expected a key at character {i}, found {line[i]!r}"
        if i >= n or line[i].isspace():
            out[key] = True
            continue
        if line[i] == '"':
            return f'a " inside the key {key!r}'
        value, i = _value(line, i + 1, key)
        if i < 0:
            return value
        out[key] = value


def _value(line: str, i: int, key: str) -> tuple[str, int]:
    """The value starting at ``i`` and the index after it; ``(reason, -1)`` when malformed."""
    n = len(line)
    if i < n and line[i] == '"':
        parts: list[str] = []
        i += 1
        while i < n and line[i] != '"':
            if line[i] == "\\" and i + 1 < n:
                escaped = _UNESCAPE.get(line[i + 1])
                parts.append(escaped if escaped is not None else line[i : i + 2])
                i += 2
            else:
                parts.append(line[i])
                i += 1
        if i >= n:
            return f"unterminated quote in the value of {key}", -1
        i += 1
        if i < n and not line[i].isspace():
            return f"text right after the closing quote of {key}", -1
        return "".join(parts), i
    start = i
    while i < n and not line[i].isspace():
        if line[i] == '"':
            return f'a " inside the bare value of {key}', -1
        i += 1
    return line[start:i], i


def render_logfmt(fields: Mapping[str, str | Literal[True]]) -> str:
    """One logfmt line for string values and ``True`` flags (``parse_logfmt`` reads it back).

    Values holding whitespace, ``=``, ``"`` or ``\\``, and empty ones, are quoted; keys must pass
    ``is_logfmt_key``.

    >>> render_logfmt({"level": "info", "msg": 'say "hi"', "retry": True, "empty": ""})
    'level=info msg="say \\\\"hi\\\\"" retry empty=""'
    """
    return " ".join(key if value is True else f"{key}={_quoted(value)}" for key, value in fields.items())


def _quoted(value: str) -> str:
    if value and not any(c.isspace() or c in '="\\' for c in value):
        return value
    return '"' + "".join(_ESCAPE.get(c, c) for c in value) + '"'


__all__ = ["is_logfmt_key", "parse_logfmt", "render_logfmt"]
