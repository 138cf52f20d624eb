"""Multiline events: grouping a stream's lines into events (Java stack traces), incrementally.

A pure state machine: lines go in one at a time with where they start and end in the stream, whole
events come out, and ``safe_offset`` says how far a checkpoint may move (the start of the event
still being gathered, whose lines must be read again after a restart). No clock: the caller says
when an event has waited long enough (``flush``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeAlias, final

from pipeflow.domain.filter.values import regex_or_problem

__all__ = ["Grouped", "LineGroups", "MultilineMode", "MultilineRule", "multiline_rule"]

MultilineMode: TypeAlias = Literal["start", "continuation"]
"""``start``: a matching line begins an event; ``continuation``: a matching line joins the last."""


@dataclass(frozen=True, slots=True)
class MultilineRule:
    """How lines are grouped: the mode, its compiled pattern, and the most lines in one event."""

    mode: MultilineMode
    pattern: re.Pattern[str]
    max_lines: int = 500

    def begins(self, line: str) -> bool:
        """Whether ``line`` begins a new event (rather than joining the one before it)."""
        found = self.pattern.search(line) is not None
        return found if self.mode == "start" else not found


def multiline_rule(mode: MultilineMode, pattern: str, max_lines: int = 500) -> MultilineRule | str:
    """The rule, or why ``pattern`` is not a regex (``max_lines`` must be at least 1).

    >>> multiline_rule("start", "^\\\\S").mode, multiline_rule("start", "(")
    ('start', 'not a valid regex: missing ), unterminated subpattern at position 0')
    """
    compiled = regex_or_problem(pattern)
    if isinstance(compiled, str):
        return f"not a valid regex: {compiled}"
    return MultilineRule(mode, compiled, max(1, max_lines))


@dataclass(frozen=True, slots=True)
class Grouped:
    """One complete event: its lines, where its first line starts and where its last line ends."""

    lines: tuple[str, ...]
    start: int
    end: int

    @property
    def message(self) -> str:
        """The lines joined by ``\\n``."""
        return "\n".join(self.lines)


@final
class LineGroups:
    """Feeds lines in stream order, hands out complete events; ``safe_offset`` is where to resume.

    >>> groups = LineGroups(MultilineRule("start", re.compile(r"^\\S")), offset=0)
    >>> groups.feed("Error", 0, 6), groups.feed("  at a", 6, 13), groups.safe_offset
    ([], [], 0)
    >>> [g.message for g in groups.feed("Next", 13, 18)], groups.safe_offset
    (['Error\\n  at a'], 13)
    >>> [g.lines for g in groups.flush()], groups.safe_offset
    ([('Next',)], 18)
    """

    __slots__ = ("_end", "_lines", "_rule", "_start")

    def __init__(self, rule: MultilineRule, offset: int) -> None:
        self._rule = rule
        self._lines: list[str] = []  # the event being gathered
        self._start = offset  # where it starts (with no event: where the next line starts)
        self._end = offset  # where its last line ends

    @property
    def pending(self) -> bool:
        """Whether an event is being gathered (lines fed that no event handed out holds yet)."""
        return bool(self._lines)

    @property
    def safe_offset(self) -> int:
        """The stream offset after the last line of the last event handed out (or of a skipped
        line after it): resuming there reads every line of the event being gathered again."""
        return self._start

    def feed(self, line: str, start: int, end: int) -> list[Grouped]:
        """Add the line at ``[start, end)`` of the stream; return the events it completes."""
        done: list[Grouped] = []
        if self._lines and self._rule.begins(line):
            done.append(self._take())
        if not self._lines:
            self._start = start
        self._lines.append(line)
        self._end = end
        if len(self._lines) >= self._rule.max_lines:
            done.append(self._take())
        return done

    def skip(self, end: int) -> None:
        """A line that is no part of any event (rejected) ended at ``end``: with no event being
        gathered, a resume may start after it."""
        if not self._lines:
            self._start = max(self._start, end)

    def flush(self) -> list[Grouped]:
        """The event being gathered, complete now (input ended, or it waited ``timeout_ms``)."""
        return [self._take()] if self._lines else []

    def _take(self) -> Grouped:
        grouped = Grouped(tuple(self._lines), self._start, self._end)
        self._lines = []
        self._start = self._end
        return grouped
