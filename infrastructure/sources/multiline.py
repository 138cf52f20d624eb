"""Multiline events for the ``file`` and ``stdin`` sources (``format: lines`` with ``multiline``).

A source with ``multiline`` takes its lines from its ``LineSplitter`` as usual and hands them to a
``MultilineDecoder``, which groups them (``domain.multiline.LineGroups``) and makes decoded events
of the complete groups: such a source never sends raw lines (the runtime's fast path decodes one
line per event). ``safe_offset`` is the end of the last event handed out: the checkpoint a batch
may acknowledge, so the lines of an event still being gathered are read again after a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import final

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.multiline import Grouped, LineGroups, MultilineRule
from pipeflow.domain.ports import Clock, Rejected
from pipeflow.infrastructure.sources.lines import LineSplitter

__all__ = ["MultilineDecoder", "MultilineSettings"]


@dataclass(frozen=True, slots=True)
class MultilineSettings:
    """A source's ``multiline``: the grouping rule and how long an event waits for another line."""

    rule: MultilineRule
    timeout_s: float = 1.0


@final
class MultilineDecoder:
    """One stream's grouping: takes lines from a splitter, returns events of the groups completed.

    An event's id is ``event_id`` of the offset of its first line (a file source's line id: the
    same after a restart). Its ``message`` is its lines joined by ``\\n`` (each without a trailing
    ``\\r``); an event of blank lines only is no event. A line that is not UTF-8 is rejected with
    its own id and joins no event.
    """

    __slots__ = ("_clock", "_groups", "_last_line", "_settings", "_source")

    def __init__(self, settings: MultilineSettings, offset: int, source: str, clock: Clock) -> None:
        self._settings = settings
        self._groups = LineGroups(settings.rule, offset)
        self._source, self._clock = source, clock
        self._last_line = float("-inf")  # when a line last arrived (the caller's monotonic time)

    @property
    def safe_offset(self) -> int:
        """Where a resume starts without splitting an event (the end of the last one handed out)."""
        return self._groups.safe_offset

    def due(self, now: float, *, final: bool) -> bool:
        """Whether an event waits and should be completed now (input ended, or it timed out)."""
        timed_out = now - self._last_line >= self._settings.timeout_s
        return self._groups.pending and (final or timed_out)

    def wait_s(self, now: float) -> float | None:
        """How long until the event being gathered times out (``0`` if it has); ``None``: none waits."""
        if not self._groups.pending:
            return None
        return max(0.0, self._last_line + self._settings.timeout_s - now)

    def take(
        self, splitter: LineSplitter, n: int, event_id: Callable[[int], EventId], *, now: float, final: bool
    ) -> tuple[list[Event], list[Rejected]]:
        """Take up to ``n`` lines from ``splitter`` and return the events they complete, and rejects.

        With ``final`` (the input ended), once the splitter holds no more lines the event being
        gathered is complete too; so is it when no line came for ``timeout_s`` (``now`` is the
        time on the clock ``due`` is asked with).
        """
        lines, rejected, offset, starts = splitter.take_with_starts(n, event_id)
        if isinstance(starts, int):
            starts = list(accumulate((len(line) + 1 for line in lines), initial=starts))[:-1]
        groups = self._groups
        done: list[Grouped] = []
        limit = splitter.max_line_bytes
        for line, start in zip(lines, starts, strict=True):
            end = min(start + len(line) + 1, offset)  # a last line without newline ends at the end
            if len(line) > limit:  # as decode_lines: an over-long line is dead-lettered, not joined
                reason = f"line over max_line_bytes ({len(line)} bytes)"
                rejected.append(Rejected(line[:limit], reason, event_id(start)))
                groups.skip(end)
                continue
            try:
                text = line.decode("utf-8").rstrip("\r")
            except UnicodeDecodeError as exc:
                reason = f"invalid UTF-8: {exc.reason} at byte {exc.start}"
                rejected.append(Rejected(line, reason, event_id(start)))
                groups.skip(end)
                continue
            done.extend(groups.feed(text, start, end))
        groups.skip(offset)  # over-long lines after the last one fed
        if lines:
            self._last_line = now
        if (final and not splitter.ready) or self.due(now, final=False):
            done.extend(groups.flush())
        meta = EventMeta(self._source, self._clock.now())
        events = [
            Event(event_id(g.start), meta, {"message": g.message})
            for g in done
            if any(line.strip() for line in g.lines)
        ]
        return events, rejected
