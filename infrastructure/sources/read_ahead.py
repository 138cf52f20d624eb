"""Reading a file one chunk ahead, in a worker thread, while the event loop routes the chunk before.

A source that reads a file to its end asks for the next chunk only once the last one is routed:
read on the event loop, the copy out of the page cache (~0.5 ms per 2 MiB, W1: ~3 % of a run)
stops the routing for its whole length. ``ReadAhead`` keeps the next chunk's ``pread`` running in
a worker thread instead: CPython lets go of the GIL for the system call, so the copy runs on
another core while the loop routes, and the chunk is ready by the time it is asked for.

Only one read is in flight per file, on a descriptor of its own (``os.dup``): closing the file
while a read runs cannot make that read land on a descriptor number the process has reused.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import final

import anyio.to_thread

__all__ = ["ReadAhead"]

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _forget_pool() -> None:
    """In a forked child: the parent's reading threads do not exist here, so make new ones."""
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_pool)


def _reader_pool() -> ThreadPoolExecutor:
    """The threads every ``ReadAhead`` reads in (made on first use; a read in flight per file)."""
    global _pool  # one pool for the process, made when a file is first read ahead
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pipeflow-read-ahead")
        return _pool


@final
class ReadAhead:
    """Chunks of ``size`` bytes of the file ``fd`` from ``offset`` on, each read while the one
    before is used; an empty chunk is the end of the file (as ``read`` says it).

    >>> import tempfile
    >>> with tempfile.TemporaryFile() as f:
    ...     _ = f.write(b"abcdefg"); f.flush()
    ...     ahead = ReadAhead(f.fileno(), 2, 3)
    ...     chunks = [ahead.take_now() for _ in range(3)]
    ...     ahead.close()
    >>> chunks
    [b'cde', b'fg', b'']
    """

    __slots__ = ("_closed", "_fd", "_next", "_offset", "_size")

    def __init__(self, fd: int, offset: int, size: int) -> None:
        self._fd = os.dup(fd)
        self._offset = offset  # where the chunk in flight starts
        self._size = size
        self._closed = False
        self._next: Future[bytes] | None = _reader_pool().submit(os.pread, self._fd, size, offset)

    @property
    def offset(self) -> int:
        """Where the next chunk taken starts."""
        return self._offset

    async def take(self) -> bytes:
        """The next chunk (waited for in a worker thread when it is not read yet).

        :raises OSError: as the read raised it.
        """
        pending = self._next
        if pending is not None and not pending.done():
            await anyio.to_thread.run_sync(pending.exception)  # waits for the read, raises nothing
        return self.take_now()

    def take_now(self) -> bytes:
        """The next chunk, waiting here for its read if need be (the blocking form of ``take``)."""
        pending = self._next
        if pending is None:  # the end was reached (or the file closed): nothing more to read
            return b""
        self._next = None
        data = pending.result()
        self._offset += len(data)
        if data and not self._closed:
            self._next = _reader_pool().submit(os.pread, self._fd, self._size, self._offset)
        return data

    def close(self) -> None:
        """Stop reading ahead; the descriptor is closed once no read is in flight on it."""
        if self._closed:
            return
        self._closed = True
        pending, self._next = self._next, None
        if pending is None or pending.cancel():
            os.close(self._fd)
            return
        fd = self._fd
        pending.add_done_callback(lambda _: os.close(fd))
