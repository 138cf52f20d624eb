"""Grok expansion: ``%{NAME:field:type}`` references and named groups into one plain regex.

A grok pattern is a regex in which ``%{NAME}`` stands for a named pattern of a library,
``%{NAME:field}`` captures it into a field path and ``%{NAME:field:int}`` / ``:float`` convert
the capture. Plain named groups ``(?P<field>...)`` and ``(?<field>...)`` capture too. Every
capture becomes a group named ``g0``, ``g1``, ... (field paths such as ``http.status`` are not
group names), listed in the order of their opening parentheses with the field each one sets.
An unknown name, a cycle among definitions and a bad field path or conversion are errors,
returned as values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias, final

from pipeflow.domain.paths import Path, parse_path

Kind: TypeAlias = Literal["str", "int", "float"]
"""What a capture becomes: the text itself, an integer or a float."""

MAX_EXPANDED = 500_000
"""The longest regex an expansion may make (definitions that double at each level stop here)."""


@final
@dataclass(frozen=True, slots=True)
class Capture:
    """One capture of an expanded pattern: its group name, the field it sets and its conversion."""

    group: str
    path: Path
    kind: Kind


@final
@dataclass(frozen=True, slots=True)
class Expansion:
    """A grok pattern expanded: the plain regex (``re`` syntax) and its captures in order."""

    regex: str
    captures: tuple[Capture, ...]


@final
@dataclass(frozen=True, slots=True)
class GrokError:
    """Why a grok pattern cannot be expanded."""

    message: str


_REF = re.compile(r"%\{(\w+)(?::([^:{}]+))?(?::(\w+))?\}")
_NAMED = re.compile(r"\(\?P?<([^>=!][^>]*)>")
_BACKREF = re.compile(r"\(\?P=([^)]+)\)")
_NO_MIN = re.compile(r"\{,\d+\}")
_BRACKETS = re.compile(r"(?:\[[^\[\]]+\])+")
_KINDS: Mapping[str, Kind] = {"int": "int", "float": "float"}


class _Stop(Exception):
    """Ends an expansion with its error (caught in ``expand``, never seen outside)."""


def expand(pattern: str, library: Mapping[str, str]) -> Expansion | GrokError:
    """Expand a grok pattern against a library of named patterns.

    >>> lib = {"INT": r"[+-]?\\d+", "PAIR": r"%{INT:a}-%{INT:b}"}
    >>> e = expand(r"^%{PAIR} (?<http.status>%{INT})", lib)
    >>> e.regex
    '^(?:(?P<g0>[+-]?\\\\d+)-(?P<g1>[+-]?\\\\d+)) (?P<g2>(?:[+-]?\\\\d+))'
    >>> [(c.group, c.path) for c in e.captures]
    [('g0', ('a',)), ('g1', ('b',)), ('g2', ('http', 'status'))]
    >>> expand("%{NOPE}", lib)
    GrokError(message='unknown pattern %{NOPE}')
    >>> expand("%{A}", {"A": "%{B}", "B": "x|%{A}"})
    GrokError(message='a cycle in pattern definitions: A -> B -> A')
    """
    expander = _Expander(library)
    try:
        regex = expander.scan(pattern, ())
    except _Stop as stop:
        return GrokError(str(stop))
    return Expansion(regex, tuple(expander.captures))


def field_of(text: str) -> Path | None:
    """A capture's field path: pipeflow's ``a.b[0]`` or Logstash's ``[a][b]``; ``None`` if neither.

    >>> field_of("http.status"), field_of("[http][status]"), field_of("a..b")
    (('http', 'status'), ('http', 'status'), None)
    """
    if _BRACKETS.fullmatch(text):
        return tuple(part for part in re.split(r"[\[\]]+", text) if part)
    return parse_path(text)


class _Expander:
    """The state of one expansion: the captures so far and the group each plain name got."""

    def __init__(self, library: Mapping[str, str]) -> None:
        self.library = library
        self.captures: list[Capture] = []
        self.groups: dict[str, str] = {}
        self.size = 0

    def scan(self, text: str, stack: tuple[str, ...]) -> str:
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c == "\\":
                out.append(text[i : i + 2])
                i += 2
            elif c == "[":
                end = _class_end(text, i)
                out.append(text[i:end])
                i = end
            elif c == "%" and (m := _REF.match(text, i)):
                out.append(self.reference(m, stack))
                i = m.end()
            elif c == "(" and (m := _NAMED.match(text, i)):
                out.append(f"(?P<{self.capture(m.group(1), 'str', m.group(0))}>")
                i = m.end()
            elif c == "(" and (m := _BACKREF.match(text, i)):
                out.append(f"(?P={self.groups.get(m.group(1), m.group(1))})")
                i = m.end()
            elif c == "{" and _NO_MIN.match(text, i):
                out.append("{0,")  # re reads {,n} as {0,n}; RE2 would read it literally
                i += 2
            else:
                out.append(c)
                i += 1
        result = "".join(out)
        self.size += len(result)
        if self.size > MAX_EXPANDED:
            raise _Stop(f"the pattern expands to more than {MAX_EXPANDED} characters")
        return result

    def reference(self, m: re.Match[str], stack: tuple[str, ...]) -> str:
        name, field, kind = m.group(1), m.group(2), m.group(3)
        if name in stack:
            raise _Stop(f"a cycle in pattern definitions: {' -> '.join((*stack[stack.index(name) :], name))}")
        body = self.library.get(name)
        if body is None:
            raise _Stop(f"unknown pattern %{{{name}}}")
        if kind is not None and kind not in _KINDS:
            raise _Stop(f"unknown conversion :{kind} in {m.group(0)} (int or float)")
        if field is None:
            return f"(?:{self.scan(body, (*stack, name))})"
        group = self.capture(field, _KINDS[kind] if kind else "str", m.group(0))
        return f"(?P<{group}>{self.scan(body, (*stack, name))})"

    def capture(self, field: str, kind: Kind, where: str) -> str:
        path = field_of(field)
        if path is None:
            raise _Stop(f"not a field path: {field!r} in {where}")
        group = f"g{len(self.captures)}"
        self.captures.append(Capture(group, path, kind))
        self.groups[field] = group
        return group


def _class_end(text: str, start: int) -> int:
    """The index just past the character class that opens at ``start`` (``len`` if unclosed)."""
    i = start + 1
    if text.startswith("^", i):
        i += 1
    if text.startswith("]", i):
        i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == "]":
            return i + 1
        else:
            i += 1
    return len(text)


__all__ = ["MAX_EXPANDED", "Capture", "Expansion", "GrokError", "Kind", "expand", "field_of"]
