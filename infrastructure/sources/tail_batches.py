"""What a file tail has read, made into batches: raw blocks or lines, decoded events, or the
events of multiline groups, each batch with the ack that moves its file's checkpoint.

``FileSource`` decides which files are read and when; ``TailBatches`` turns the lines a tail's
splitter holds into ``SourceBatch``es, the same way for every file of the source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

import anyio

from pipeflow.domain.ports import Clock, SourceBatch
from pipeflow.infrastructure.ids import LineIds
from pipeflow.infrastructure.sources.acks import AckLedger
from pipeflow.infrastructure.sources.decode import Format, decode_identified
from pipeflow.infrastructure.sources.lines import LineSplitter
from pipeflow.infrastructure.sources.tail import FileTail

if TYPE_CHECKING:  # a source with ``multiline`` imports it (start-up time)
    from pipeflow.infrastructure.sources.multiline import MultilineDecoder, MultilineSettings

__all__ = ["TailBatches"]


@final
class TailBatches:
    """Batches of up to ``batch_size`` lines (or multiline events) from the tails of one source.

    With ``raw``, whole lines as read (``SourceBatch.lines``; ``text`` for ``format: lines``),
    unless a line is over-long: that batch is decoded here, to keep its rejects in line order.
    With ``multiline``, lines are grouped into events and batches carry them decoded.
    """

    __slots__ = (
        "_batch_size",
        "_clock",
        "_format",
        "_grouping",
        "_ledger",
        "_max",
        "_multiline",
        "_name",
        "_raw",
        "_text",
    )

    def __init__(
        self,
        name: str,
        ledger: AckLedger,
        clock: Clock,
        *,
        format: Format,
        raw: bool,
        batch_size: int,
        max_line_bytes: int,
        multiline: MultilineSettings | None,
    ) -> None:
        self._name, self._ledger, self._clock = name, ledger, clock
        self._format, self._raw, self._text = format, raw, format == "lines"
        self._batch_size, self._max = batch_size, max_line_bytes
        self._multiline = multiline
        self._grouping: dict[FileTail, tuple[LineSplitter, MultilineDecoder]] = {}

    def forget(self, tail: FileTail) -> None:
        """Drop what is held for ``tail`` (it is closed)."""
        self._grouping.pop(tail, None)

    async def take(self, tail: FileTail, epoch: int, *, final: bool = False) -> SourceBatch | None:
        """The next batch of ``tail``'s ready lines, or ``None`` when they make none (yet)."""
        if self._multiline is not None:
            return await self._take_grouped(tail, self._multiline, epoch, final=final)
        if not tail.splitter.ready:
            return None
        key = await tail.line_key(epoch, self._name)  # a line is complete: its head is fixed
        if self._raw:  # whole lines as read, when none is over-long: never cut into a list here
            taken = tail.splitter.take_block(self._batch_size)
            if taken is not None:
                block, start, end = taken
                ack = self._ledger.issue(tail.path, tail.inode, end)
                ids = LineIds(key, start, block)
                return SourceBatch(self._name, [], [], ack, lines=block, line_ids=ids, text=self._text)
        lines, rejected, offset, starts = tail.splitter.take_with_starts(self._batch_size, key.id_at)
        line_ids = LineIds(key, starts, lines)
        # Raw unless a line is over-long (rare): decoding then keeps the rejects in line order.
        if self._raw and not (lines and max(map(len, lines)) > self._max):
            ack = self._ledger.issue(tail.path, tail.inode, offset)
            if not lines and not rejected:
                ack()
                return None
            return SourceBatch(self._name, [], rejected, ack, lines=lines, line_ids=line_ids, text=self._text)
        events, bad = decode_identified(lines, line_ids, self._format, self._name, self._clock, self._max)
        rejected.extend(bad)
        ack = self._ledger.issue(tail.path, tail.inode, offset)
        if not events and not rejected:  # only blank lines: nothing to deliver
            ack()
            return None
        return SourceBatch(self._name, events, rejected, ack)

    async def _take_grouped(
        self, tail: FileTail, settings: MultilineSettings, epoch: int, *, final: bool
    ) -> SourceBatch | None:
        """The multiline events the ready lines complete (or the end of input, or a timeout)."""
        from pipeflow.infrastructure.sources.multiline import MultilineDecoder

        held = self._grouping.get(tail)
        if held is None or held[0] is not tail.splitter:  # a new tail, or one read again from 0
            decoder = MultilineDecoder(settings, tail.splitter.offset, self._name, self._clock)
            held = self._grouping[tail] = (tail.splitter, decoder)
        decoder, now = held[1], anyio.current_time()
        if not tail.splitter.ready and not decoder.due(now, final=final):
            return None
        key = await tail.line_key(epoch, self._name)
        events, rejected = decoder.take(tail.splitter, self._batch_size, key.id_at, now=now, final=final)
        ack = self._ledger.issue(tail.path, tail.inode, decoder.safe_offset)
        if not events and not rejected:
            ack()
            return None
        return SourceBatch(self._name, events, rejected, ack)
