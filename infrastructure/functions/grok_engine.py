"""Grok's regex engines: Python's ``re`` under a CPU-time limit per match, RE2 behind it.

Every pattern is compiled with Python's ``re`` (``re`` syntax is the contract, and a pattern
``re`` refuses is a config error) and, when RE2 accepts the same text, with RE2 too. A match
runs on ``re`` (about three times faster than RE2 with a dozen captures) under a CPU-time limit
(``match_limit``); a match that outlives it (``(a+)+$`` on a long line of ``a`` ending in ``!``)
is stopped and run again on RE2, which matches in time linear in the text, so no pattern can
hang a pipeline. Where no limit can be set (not the main thread), RE2 runs first.

RE2 refuses backreferences, lookaround, atomic groups, possessive quantifiers and repeats over
1000; such a pattern has no linear engine behind it, and a match that outlives the limit makes
``captures`` raise ``GrokTimedOut``, a ``FunctionFailed``: the event is dead-lettered
(``Matcher.engine`` says which bound a pattern got). Both
engines read ``\\d``, ``\\w``, ``\\s`` and ``\\b`` as ASCII, as Logstash does; with RE2, ``$``
matches only at the very end of the text.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, final

import re2
from re2 import _re2  # the binding's extension: one call per match, no per-group Python code

from pipeflow.domain.parsers.grok import Expansion
from pipeflow.domain.results import FunctionFailed
from pipeflow.infrastructure.functions.match_limit import TIMED_OUT, UNBOUNDED, search_within, ticks

Engine: TypeAlias = Literal["re2", "re"]
"""What bounds a runaway match: RE2 takes over (``re2``) or the time limit alone (``re``)."""

DEFAULT_LIMIT_S = 0.02
"""CPU seconds one ``re`` match may take (20 ms: a thousand times a typical access-log match)."""


class GrokTimedOut(FunctionFailed):
    """A match outlived its limit and RE2 cannot run the pattern: the event is dead-lettered."""


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern has no RE2 twin; RE2 need not print why
_UNANCHORED = _re2.RE2.Anchor.UNANCHORED


@final
@dataclass(frozen=True, slots=True)
class Re2Matcher:
    """A pattern on RE2: linear time in the text, whatever the pattern."""

    regex: Any  # re2._re2.RE2 (the binding ships no type information)
    index: tuple[int, ...]
    in_order: bool = False  # the captures are every group, in order

    def captures(self, text: str) -> Sequence[str | None] | None:
        """The text of each capture (``None`` where a group took no part), or ``None``: no match.

        A lone surrogate (which UTF-8, RE2's only input, cannot hold) raises ``UnicodeEncodeError``.
        """
        data = text.encode()
        spans = self.regex.Match(_UNANCHORED, data, 0, len(data))
        if spans[0][0] < 0:
            return None
        # Captures are usually every group in order: then the spans need no picking.
        picked = spans[1:] if self.in_order else [spans[i] for i in self.index]
        if len(data) == len(text):  # ASCII: byte offsets are character offsets
            return [text[s:e] if s >= 0 else None for s, e in picked]
        return [data[s:e].decode() if s >= 0 else None for s, e in picked]


@final
@dataclass(frozen=True, slots=True)
class ReMatcher:
    """A pattern on ``re`` under a CPU-time limit per match, with RE2 (when it took the pattern)
    behind it for a match that outlives the limit."""

    regex: re.Pattern[str]
    index: tuple[int, ...]
    linear: Re2Matcher | None
    limit_s: float = DEFAULT_LIMIT_S
    need: int = field(init=False, repr=False, compare=False)  # the limit in ticks in a row
    in_order: bool = field(init=False, repr=False, compare=False)  # the captures are every group

    def __post_init__(self) -> None:
        object.__setattr__(self, "need", ticks(self.limit_s))
        object.__setattr__(self, "in_order", self.index == tuple(range(self.regex.groups)))

    @property
    def engine(self) -> Engine:
        """``"re2"`` when RE2 takes over a runaway match, ``"re"`` when only the limit bounds it."""
        return "re" if self.linear is None else "re2"

    def captures(self, text: str) -> Sequence[str | None] | None:
        """The text of each capture (``None`` where a group took no part), or ``None``: no match.

        Raises ``GrokTimedOut`` when the match outlived the limit and no RE2 twin can take over.
        """
        match = search_within(self.regex, text, self.need)
        if match is None:
            return None
        if match is TIMED_OUT or match is UNBOUNDED:
            return self._other_way(text, timed_out=match is TIMED_OUT)
        return self._picked(match)

    def _picked(self, match: re.Match[str]) -> Sequence[str | None]:
        groups = match.groups()
        return groups if self.in_order else [groups[i] for i in self.index]

    def _other_way(self, text: str, *, timed_out: bool) -> Sequence[str | None] | None:
        if self.linear is not None:
            try:
                return self.linear.captures(text)
            except UnicodeEncodeError:  # a lone surrogate: RE2 reads UTF-8 only
                pass
        if timed_out:
            raise GrokTimedOut(f"grok: the match took longer than {self.limit_s * 1000:g} ms")
        match = self.regex.search(text)  # no limit can be set here, and no linear engine
        return None if match is None else self._picked(match)


Matcher: TypeAlias = ReMatcher
"""A compiled grok pattern."""


def compile_expansion(expansion: Expansion, limit_s: float = DEFAULT_LIMIT_S) -> Matcher | str:
    """Compile an expanded pattern on ``re`` and, when RE2 accepts it, on RE2; a message when
    ``re`` refuses it.

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
    index = tuple(names[c.group] - 1 for c in expansion.captures)
    return ReMatcher(regex, index, _linear(expansion), limit_s)


def _linear(expansion: Expansion) -> Re2Matcher | None:
    """The RE2 twin of an expansion, or ``None`` when RE2 refuses it."""
    fast = _re2.RE2(expansion.regex.encode("utf-8", "surrogatepass"), _OPTIONS)
    if not fast.ok():
        return None
    fast_names = {name.decode(): i for name, i in fast.NamedCapturingGroups()}
    index = tuple(fast_names[c.group] for c in expansion.captures)
    in_order = index == tuple(range(1, fast.NumberOfCapturingGroups() + 1))
    return Re2Matcher(fast, index, in_order)


__all__ = [
    "DEFAULT_LIMIT_S",
    "Engine",
    "GrokTimedOut",
    "Matcher",
    "Re2Matcher",
    "ReMatcher",
    "compile_expansion",
]
