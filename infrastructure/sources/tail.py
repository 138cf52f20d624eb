"""One file being read by a file source: its handle, inode, line splitter and what became of its path.

Every blocking call (open, stat, close) runs in a worker thread, off the event loop. Reads of a
regular file run on the loop while they are quick (``infrastructure.quick_calls``): the router
waited for a read through a worker thread at every batch (W1: ~0.4 s of 3).
"""

from __future__ import annotations

import enum
import os
from typing import BinaryIO, final

import anyio.to_thread

from pipeflow.domain.ports import Clock
from pipeflow.infrastructure.ids import LineKey, read_line_key
from pipeflow.infrastructure.quick_calls import QuickCalls, is_regular_file
from pipeflow.infrastructure.sources.lines import LineSplitter

__all__ = ["HEAD_BYTES", "FileTail", "PathChange", "open_file", "read_head"]

HEAD_BYTES = 256
"""How many leading bytes identify a file we already read, should its inode be reused."""


class PathChange(enum.Enum):
    """What a tail at end of file finds at its path."""

    SAME = "same"  # the file it reads, no shorter than what was read
    TRUNCATED = "truncated"  # the same file, now shorter than what was read (copytruncate)
    MOVED = "moved"  # another file, or none (rotated by rename, or deleted)


def _open_sync(path: str) -> tuple[BinaryIO, int, int]:
    handle = open(path, "rb")  # noqa: SIM115 - the tail owns it until close()
    st = os.fstat(handle.fileno())
    return handle, st.st_ino, st.st_size


async def open_file(path: str) -> tuple[BinaryIO, int, int] | None:
    """Open ``path`` for reading: ``(handle, inode, size)``, or ``None`` when it cannot be opened."""
    try:
        return await anyio.to_thread.run_sync(_open_sync, path)
    except OSError:
        return None


def read_head(path: str, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of a file (blocking; call it in a worker thread)."""
    with open(path, "rb") as handle:
        return handle.read(size)


@final
class FileTail:
    """An open file read from an offset; lines come out of ``splitter``, their ids from ``line_key``."""

    __slots__ = ("_calls", "_handle", "_key", "at_eof", "inode", "path", "read_pos", "splitter")

    def __init__(
        self, path: str, handle: BinaryIO, inode: int, offset: int, max_line_bytes: int, clock: Clock
    ) -> None:
        handle.seek(offset)
        self.path = path
        self.inode = inode
        self._handle = handle
        self.read_pos = offset  # where the next read starts
        self.splitter = LineSplitter(offset, max_line_bytes)
        self.at_eof = False
        self._key: LineKey | None = None
        self._calls = QuickCalls(is_regular_file(handle.fileno()), clock)  # reads on the loop, while quick

    async def line_key(self, epoch_ms: int, source: str) -> LineKey:
        """The key of this file's line ids (read once a line is complete: its head is fixed then)."""
        if self._key is None:
            fd = self._handle.fileno()
            self._key = await anyio.to_thread.run_sync(read_line_key, epoch_ms, source, fd)
        return self._key

    async def fill(self, lines: int, chunk_bytes: int, *, blocks: bool = False) -> None:
        """Read chunks until ``lines`` complete lines are ready or the end of the file (``at_eof``);
        with ``blocks``, also once a block of lines is ready (a chunk's worth, taken as it is)."""
        self.at_eof = False
        while self.splitter.ready < lines and not (blocks and self.splitter.block_ready):
            chunk = await self._read(chunk_bytes)
            if not chunk:
                self.at_eof = True
                return
            self.read_pos += len(chunk)
            self.splitter.feed(chunk)

    async def _read(self, size: int) -> bytes:
        return await self._calls.run(self._handle.read, size)

    @property
    def reads_inline(self) -> bool:
        """Whether reads run on the event loop (a regular file whose reads have stayed quick)."""
        return self._calls.inline

    async def change(self) -> PathChange:
        """What is at this tail's path now (call it at end of file)."""
        return await anyio.to_thread.run_sync(self._change_sync)

    def _change_sync(self) -> PathChange:
        try:
            at_path = os.stat(self.path)
        except OSError:
            return PathChange.MOVED
        if at_path.st_ino != self.inode:
            return PathChange.MOVED
        if os.fstat(self._handle.fileno()).st_size < self.read_pos:
            return PathChange.TRUNCATED
        return PathChange.SAME

    def rewind(self) -> None:
        """Start again from offset 0 (the file was truncated); an unfinished line is dropped."""
        self._handle.seek(0)
        self.read_pos = 0
        self.splitter = LineSplitter(0, self.splitter.max_line_bytes)
        self._key = None  # new content: its head, read again, tells it from what was there

    async def close(self) -> bytes:
        """Close the file; return its first bytes (to recognize it if it turns up at another path)."""
        return await anyio.to_thread.run_sync(self._close_sync)

    def discard(self) -> None:
        """Close the file now (on the way out; closing a file opened for reading does not block)."""
        self._handle.close()

    def _close_sync(self) -> bytes:
        try:
            return os.pread(self._handle.fileno(), HEAD_BYTES, 0)
        finally:
            self._handle.close()
