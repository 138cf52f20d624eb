"""Splitting a byte stream read in large chunks into lines, with the stream offset after each line.

Sources read 1 MiB at a time and split the lines themselves: the bytes after the last newline of a
chunk wait for the next chunk. A line that grows past ``max_line_bytes`` without a newline is not
buffered: its first ``max_line_bytes`` are kept for the reject, the rest is skipped up to the next
newline, so memory stays bounded whatever the input.

Complete lines are kept as they were read, back to back in one block (``LineBlock``), as long as
none of them can be over-long (cheap to know: see ``feed``); ``take_block`` hands such a block out
without ever cutting it into lines, and ``take`` cuts it when it is asked for lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import final

from pipeflow.domain.events import EventId
from pipeflow.domain.line_block import LineBlock, count_newlines
from pipeflow.domain.ports import Rejected

__all__ = ["LineSplitter", "Taken", "TakenAt", "TakenBlock"]

Taken = tuple[list[bytes], list[Rejected], int]
"""What ``take`` returns: the lines (without newline), the overlong rejects, the offset after them."""

TakenAt = tuple[list[bytes], list[Rejected], int, int | list[int]]
"""What ``take_with_starts`` returns: ``Taken`` and the lines' start (one offset) or starts (each)."""

TakenBlock = tuple[LineBlock, int, int]
"""What ``take_block`` returns: the block, the offset where it starts and the offset after it."""


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

    __slots__ = (
        "_adjust",
        "_block",
        "_block_n",
        "_block_open",
        "_max",
        "_offset",
        "_pending",
        "_ready",
        "_seq",
        "_skip_prefix",
        "_skipped",
    )

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
        # Complete lines after ``_ready``, not yet cut: none over-long, each with its newline but
        # the last when ``_block_open`` (a last line without newline, at the end of the input).
        self._block = b""
        self._block_n = 0
        self._block_open = False

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
        return len(self._ready) + self._block_n

    @property
    def block_ready(self) -> bool:
        """Whether ``take_block`` has lines to hand out."""
        return not self._ready and self._block_n > 0

    @property
    def has_partial(self) -> bool:
        """Whether bytes after the last newline are held (an unfinished last line)."""
        return bool(self._pending) or self._skip_prefix is not None

    def feed(self, chunk: bytes) -> None:
        """Add the next bytes of the stream."""
        if self._block_open:  # lines after a last line: it becomes a line like the others
            self._materialize()
        if self._skip_prefix is not None:
            newline = chunk.find(b"\n")
            if newline < 0:
                self._skipped += len(chunk)
                return
            self._push_overlong(self._skipped + newline, newline=True)
            chunk = chunk[newline + 1 :]
        last = chunk.rfind(b"\n")
        first = chunk.find(b"\n")
        # Whole lines can stay one block when none can be over-long: the first is the pending
        # bytes and the chunk's head, and the others all lie between the first and last newline.
        if last >= 0 and len(self._pending) + first <= self._max and self._short(chunk, first, last):
            if self._block or self._pending or last + 1 < len(chunk):  # one copy, not one per part
                chunk_lines = memoryview(chunk)[: last + 1]
                self._block = b"".join((self._block, self._pending, chunk_lines))
            else:
                self._block = chunk
            self._block_n += count_newlines(chunk)  # all of them lie in [first, last]
            self._pending = chunk[last + 1 :]
        else:
            self._materialize()
            data = self._pending + chunk if self._pending else chunk
            parts = data.split(b"\n")
            self._pending = parts.pop()
            self._ready.extend(parts)
        if len(self._pending) > self._max:
            self._skip_prefix = self._pending[: self._max]
            self._skipped = len(self._pending)
            self._pending = b""

    def _short(self, chunk: bytes, first: int, last: int) -> bool:
        """Whether every line between the newlines at ``first`` and ``last`` is at most ``_max``.

        A few ``find`` calls, not a pass over the lines: when each stretch of ``s`` bytes holds a
        newline, no line is longer than ``2 * s - 2``, so ``s = (max + 2) // 2`` is enough.
        """
        if last - first - 1 <= self._max:
            return True
        stride = (self._max + 2) // 2
        find = chunk.find
        return all(find(b"\n", k, min(k + stride, last + 1)) >= 0 for k in range(first + 1, last, stride))

    def finish(self) -> None:
        """The stream ended: an unfinished last line becomes a line (it has no newline)."""
        if self._skip_prefix is not None:
            self._push_overlong(self._skipped, newline=False)
        elif self._pending:
            self._block += self._pending
            self._block_n += 1
            self._block_open = True
            self._pending = b""

    def take_block(self, n: int) -> TakenBlock | None:
        """Up to ``n`` (at least one) lines as one block, or ``None`` when the next lines are not
        a block (nothing ready, or lines already cut or rejected: ``take`` them)."""
        if self._ready or not self._block_n:
            return None
        data, count = self._block, self._block_n
        cut, k = len(data), count
        if count > n:  # cut at a newline, estimating where the n-th line ends from the mean length
            pos = len(data) * n // count
            while True:
                cut = data.rfind(b"\n", 0, pos) + 1
                if not cut:
                    cut, k = data.find(b"\n") + 1, 1
                    break
                k = data.count(b"\n", 0, cut)
                if k <= n:
                    break
                pos = cut * n // k
        head = data if cut == len(data) else data[:cut]
        self._block = b"" if cut == len(data) else data[cut:]
        self._block_n -= k
        self._block_open = self._block_open and self._block_n > 0
        start = self._offset
        self._offset += len(head)
        self._seq += k
        return LineBlock(head, k), start, self._offset

    def take(self, n: int) -> Taken:
        """Up to ``n`` lines in stream order, the overlong ones as ``Rejected``, and the new offset."""
        lines, rejected, offset, _ = self.take_with_starts(n)
        return lines, rejected, offset

    def take_with_starts(self, n: int, id_at: Callable[[int], EventId] | None = None) -> TakenAt:
        """As ``take``, plus where the lines start: one offset when they lie back to back, else each.

        ``id_at`` (a file's ``LineKey.id_at``) gives each over-long reject the id of the offset its
        line starts at, so its dead letter keeps one id however often the line is read; without it
        the rejects have none (a fresh id each time).

        >>> s = LineSplitter(offset=4, max_line_bytes=2)
        >>> s.feed(b'a\\nbbb\\nc\\n')
        >>> s.take_with_starts(10)
        ([b'a', b'bbb', b'c'], [], 12, 4)
        >>> s.feed(b'dddd')
        >>> s.feed(b'dd\\ne\\n')
        >>> s.take_with_starts(10)
        ([b'e'], [Rejected(raw=b'dd', reason='line over max_line_bytes (6 bytes)', id=None)], 21, [19])
        """
        self._materialize()
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
                reason = f"line over max_line_bytes ({length} bytes)"
                rejected.append(Rejected(line, reason, None if id_at is None else id_at(at)))
            else:
                kept.append(line)
                starts.append(at)
            at += len(line) + 1 + correction
        self._offset = at
        return kept, rejected, self._offset, starts

    def _materialize(self) -> None:
        """Cut the block into ``_ready`` lines (a last line without newline gets its correction)."""
        if not self._block_n:
            return
        parts = self._block.split(b"\n")
        if self._block_open:
            self._adjust[self._seq + len(self._ready) + len(parts) - 1] = (-1, -1)
        else:
            parts.pop()
        self._ready.extend(parts)
        self._block, self._block_n, self._block_open = b"", 0, False

    def _push_overlong(self, length: int, *, newline: bool) -> None:
        """Queue the overlong line of ``length`` bytes (plus its newline, when it has one)."""
        self._materialize()
        prefix = self._skip_prefix or b""
        consumed = length + 1 if newline else length
        self._adjust[self._seq + len(self._ready)] = (consumed - len(prefix) - 1, length)
        self._ready.append(prefix)
        self._skip_prefix = None
        self._skipped = 0
