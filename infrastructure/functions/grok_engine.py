"""Grok's regex engines: RE2 (linear time) when it accepts the expanded pattern, else ``re``.

Every pattern is first compiled with Python's ``re`` (``re`` syntax is the contract, and a
pattern ``re`` refuses is a config error). RE2 then gets the same text: it matches in time
linear in the input, so a pattern such as ``(a+)+$`` cannot hang a pipeline. RE2 refuses
backreferences, lookaround, atomic groups, possessive quantifiers and repeats over 1000; such
a pattern runs on ``re``, which backtracks and has no time bound (``Matcher.engine`` says which
engine a pattern got). Both engines read ``\\d``, ``\\w``, ``\\s`` and ``\\b`` as ASCII, as
Logstash does; with RE2, ``$`` matches only at the very end of the text.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, final

import re2
from re2 import _re2  # the binding's extension: one call per match, no per-group Python code

from pipeflow.domain.parsers.grok import Expansion

Engine: TypeAlias = Literal["re2", "re"]
"""Which engine runs a pattern."""

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern falls back to re; RE2 need not print why
_UNANCHORED = _re2.RE2.Anchor.UNANCHORED


@final
@dataclass(frozen=True, slots=True)
class ReMatcher:
    """A pattern on Python's ``re`` (backtracking: no time bound)."""

    regex: re.Pattern[str]
    index: tuple[int, ...]

    @property
    def engine(self) -> Engine:
        """``"re"``."""
        return "re"

    def captures(self, text: str) -> Sequence[str | None] | None:
        """The text of each capture (``None`` where a group took no part), or ``None``: no match."""
        match = self.regex.search(text)
        if match is None:
            return None
        groups = match.groups()
        return [groups[i] for i in self.index]


@final
@dataclass(frozen=True, slots=True)
class Re2Matcher:
    """A pattern on RE2: linear time in the text, whatever the pattern."""

    regex: Any  # re2._re2.RE2 (the binding ships no type information)
    index: tuple[int, ...]
    fallback: ReMatcher
    in_order: bool = False  # the captures are every group, in order

    @property
    def engine(self) -> Engine:
        """``"re2"``."""
        return "re2"

    def captures(self, text: str) -> Sequence[str | None] | None:
        """The text of each capture (``None`` where a group took no part), or ``None``: no match."""
        try:
            data = text.encode()
        except UnicodeEncodeError:  # a lone surrogate: RE2 reads UTF-8 only
            return self.fallback.captures(text)
        spans = self.regex.Match(_UNANCHORED, data, 0, len(data))
        if spans[0][0] < 0:
            return None
        # Captures are usually every group in order: then the spans need no picking.
        picked = spans[1:] if self.in_order else [spans[i] for i in self.index]
        if len(data) == len(text):  # ASCII: byte offsets are character offsets
            return [text[s:e] if s >= 0 else None for s, e in picked]
        return [data[s:e].decode() if s >= 0 else None for s, e in picked]


Matcher: TypeAlias = Re2Matcher | ReMatcher
"""A compiled grok pattern on one of the two engines."""


def compile_expansion(expansion: Expansion) -> Matcher | str:
    """Compile an expanded pattern, on RE2 when it accepts it; a message when ``re`` refuses it.

    >>> from pipeflow.domain.parsers.grok import expand
    >>> compile_expansion(expand(r"(?<n>a+)+$", {})).engine, compile_expansion(expand(r"(a)\\1", {})).engine
    ('re2', 're')
    >>> compile_expansion(expand("(?<n>a", {}))
    'invalid regex: missing ), unterminated subpattern at position 0'
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "possible nested set" ([[:alpha:]]) would mean another regex
            regex = re.compile(expansion.regex, re.ASCII)
    except (re.error, FutureWarning, RecursionError, OverflowError) as exc:
        return f"invalid regex: {exc}"
    names = regex.groupindex
    fallback = ReMatcher(regex, tuple(names[c.group] - 1 for c in expansion.captures))
    fast = _re2.RE2(expansion.regex.encode("utf-8", "surrogatepass"), _OPTIONS)
    if not fast.ok():
        return fallback
    fast_names = {name.decode(): i for name, i in fast.NamedCapturingGroups()}
    index = tuple(fast_names[c.group] for c in expansion.captures)
    in_order = index == tuple(range(1, fast.NumberOfCapturingGroups() + 1))
    return Re2Matcher(fast, index, fallback, in_order)


__all__ = ["Engine", "Matcher", "Re2Matcher", "ReMatcher", "compile_expansion"]
