"""A file cut into spans of whole lines for worker processes (``run --workers N``), never read here.

Each span is about ``span_bytes`` long and ends just after a newline (or at the end of the file);
a worker reads and routes it, and its ack moves the file's checkpoint to the span's end. The file
must not be rotated while it is cut this way.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Callable

import anyio
import anyio.to_thread

from pipeflow.domain.ports import SourceBatch
from pipeflow.infrastructure.ids import LineIds
from pipeflow.infrastructure.sources.acks import AckLedger
from pipeflow.infrastructure.sources.tail import FileTail

__all__ = ["cut_after_newline", "file_spans"]


async def file_spans(
    source: str,
    tail: FileTail,
    ledger: AckLedger,
    epoch: int,
    span_bytes: int,
    stopping: Callable[[], bool],
) -> AsyncGenerator[SourceBatch, None]:
    """Cut ``tail``'s file from its resume offset to its end into spans (until it stops growing)."""
    start = tail.splitter.offset
    while not stopping():
        size = await anyio.to_thread.run_sync(os.path.getsize, tail.path)
        if start >= size:
            return
        while start < size and not stopping():
            end = await anyio.to_thread.run_sync(cut_after_newline, tail.path, start + span_bytes, size)
            ack = ledger.issue(tail.path, tail.inode, end)
            ids = LineIds(await tail.line_key(epoch, source), start, [])
            yield SourceBatch(source, [], ack=ack, span=(tail.path, start, end), line_ids=ids)
            start = end


def cut_after_newline(path: str, at: int, size: int) -> int:
    """The offset just after the first newline at or after ``at`` (``size`` when there is none).

    Blocking: call it in a worker thread.
    """
    if at >= size:
        return size
    with open(path, "rb") as handle:
        handle.seek(at)
        pos = at
        while pos < size:
            chunk = handle.read(min(1 << 16, size - pos))
            if not chunk:
                return size
            newline = chunk.find(b"\n")
            if newline >= 0:
                return pos + newline + 1
            pos += len(chunk)
    return size
