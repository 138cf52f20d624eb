"""Splitting a byte stream read in large chunks into lines, with the stream offset after each line.

Sources read 1 MiB at a time and split the lines themselves: the bytes after the last newline of a
chunk wait for the next chunk. A line that grows past ``max_line_bytes`` without a newline is not
buffered: its first ``max_line_bytes`` are kept for the reject, the rest is skipped up to the next
newline, so memory stays bounded whatever the input.
"""

from __future__ import annotations

from typing import final

from domain.ports import Rejected

__all__ = ["LineSplitter", "Taken", "TakenAt"]

Taken = tuple[list[bytes], list[Rejected], int]
"""What ``take`` returns: the lines (without newline), the overlong rejects, the offset after them."""

TakenAt = tuple[list[bytes], list[Rejected], int, int | list[int]]
"""What ``take_with_starts`` returns: ``Taken`` and the lines' start (one offset) or starts (each)."""


@final
class LineSplitter:
    """Cuts fed chunks into lines; ``take`` hands them out in order with the offset reached.

    >>> s = LineSplitter(offset=0, max_line_bytes=100)
    >>> s.feed(b'a\\nbb\\nc')
    >>> s.take(10)
    ([b'a', b'bb'], [], 5)
    >>> s.finish()
    >>> s.take(10)
    ([b'c'], [], 6)
    """

    __slots__ = ("_adjust", "_max", "_offset", "_pending", "_ready", "_seq", "_skip_prefix", "_skipped")

    def __init__(self, offset: int, max_line_bytes: int) -> None:
        self._offset = offset  # stream offset after the last line taken
        self._max = max_line_bytes
        self._ready: list[bytes] = []  # complete lines not yet taken
        self._pending = b""  # bytes after the last newline fed
        self._skip_prefix: bytes | None = None  # inside an overlong line: its first max bytes
        self._skipped = 0  # inside an overlong line: its length so far
        self._seq = 0  # sequence number of ``_ready[0]``
        # Lines whose stored bytes are not their length plus a newline: sequence -> (offset
        # correction, length of an overlong line or -1). Overlong lines (stored truncated) and a
        # last line without newline are rare, so the common case pays one ``if`` per take.
        self._adjust: dict[int, tuple[int, int]] = {}

    @property
    def offset(self) -> int:
        """The stream offset after the last line taken (where a resume would start)."""
        return self._offset

    @property
    def max_line_bytes(self) -> int:
        """The longest line that is not rejected."""
        return self._max

    @property
    def ready(self) -> int:
        """How many complete lines wait to be taken."""
        return len(self._ready)

    @property
    def has_partial(self) -> bool:
        """Whether bytes after the last newline are held (an unfinished last line)."""
        return bool(self._pending) or self._skip_prefix is not None

    def feed(self, chunk: bytes) -> None:
        """Add the next bytes of the stream."""
        if self._skip_prefix is not None:
            newline = chunk.find(b"\n")
            if newline < 0:
                self._skipped += len(chunk)
                return
            self._push_overlong(self._skipped + newline, newline=True)
            chunk = chunk[newline + 1 :]
        data = self._pending + chunk if self._pending else chunk
        parts = data.split(b"\n")
        self._pending = parts.pop()
        self._ready.extend(parts)
        if len(self._pending) > self._max:
            self._skip_prefix = self._pending[: self._max]
            self._skipped = len(self._pending)
            self._pending = b""

    def finish(self) -> None:
        """The stream ended: an unfinished last line becomes a line (it has no newline)."""
        if self._skip_prefix is not None:
            self._push_overlong(self._skipped, newline=False)
        elif self._pending:
            self._adjust[self._seq + len(self._ready)] = (-1, -1)
            self._ready.append(self._pending)
            self._pending = b""

    def take(self, n: int) -> Taken:
        """Up to ``n`` lines in stream order, the overlong ones as ``Rejected``, and the new offset."""
        lines, rejected, offset, _ = self.take_with_starts(n)
        return lines, rejected, offset

    def take_with_starts(self, n: int) -> TakenAt:
        """As ``take``, plus where the lines start: one offset when they lie back to back, else each.

        >>> s = LineSplitter(offset=4, max_line_bytes=2)
        >>> s.feed(b'a\\nbbb\\nc\\n')
        >>> s.take_with_starts(10)
        ([b'a', b'bbb', b'c'], [], 12, 4)
        >>> s.feed(b'dddd')
        >>> s.feed(b'dd\\ne\\n')
        >>> s.take_with_starts(10)
        ([b'e'], [Rejected(raw=b'dd', reason='line over max_line_bytes (6 bytes)')], 21, [19])
        """
        lines = self._ready[:n]
        del self._ready[:n]
        first = self._seq
        self._seq += len(lines)
        start = self._offset
        self._offset += sum(map(len, lines)) + len(lines)
        if not self._adjust:
            return lines, [], self._offset, start
        rejected: list[Rejected] = []
        kept: list[bytes] = []
        starts: list[int] = []
        at = start
        for i, line in enumerate(lines, first):
            adjust = self._adjust.pop(i, None)
            correction, length = (0, -1) if adjust is None else adjust
            if length >= 0:
                rejected.append(Rejected(line, f"line over max_line_bytes ({length} bytes)"))
            else:
                kept.append(line)
                starts.append(at)
            at += len(line) + 1 + correction
        self._offset = at
        return kept, rejected, self._offset, starts

    def _push_overlong(self, length: int, *, newline: bool) -> None:
        """Queue the overlong line of ``length`` bytes (plus its newline, when it has one)."""
        prefix = self._skip_prefix or b""
        consumed = length + 1 if newline else length
        self._adjust[self._seq + len(self._ready)] = (consumed - len(prefix) - 1, length)
        self._ready.append(prefix)
        self._skip_prefix = None
        self._skipped = 0
