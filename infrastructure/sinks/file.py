"""``FileSink``: appends NDJSON to a file, one write and one fsync per batch.

Without ``fsync`` a write into a regular file only reaches the page cache: it runs on the event
loop while it is quick (``infrastructure.quick_calls``; W1: ~8 % less CPU than a worker thread
round trip per batch). With ``fsync``, or into a pipe or device, it runs in a worker thread.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, final

import anyio.to_thread

from pipeflow.domain.events import Event
from pipeflow.domain.ports import Clock
from pipeflow.infrastructure.ids import SystemClock
from pipeflow.infrastructure.quick_calls import QuickCalls, is_regular_file
from pipeflow.infrastructure.sinks.encode import encode_ndjson
from pipeflow.infrastructure.sinks.errors import SinkError

__all__ = ["FileSink"]


def _open_append(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "ab", buffering=0)  # noqa: SIM115 - the sink owns it until close()
    try:
        if _ends_torn(handle):  # a previous run died in the middle of a line: keep ours apart
            _write_all(handle, b"\n")
    except BaseException:
        handle.close()
        raise
    return handle


def _ends_torn(handle: BinaryIO) -> bool:
    """Whether the file does not end with a newline (the handle is write-only: read another)."""
    if os.fstat(handle.fileno()).st_size == 0:
        return False
    with open(handle.name, "rb") as reader:
        reader.seek(-1, os.SEEK_END)
        return reader.read(1) != b"\n"


def _write_all(handle: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:  # one write call; repeated only when the OS takes less than all
        written = handle.write(view)
        if not written:
            raise OSError(f"write to {handle.name!r} made no progress")
        view = view[written:]


@final
class FileSink:
    """Appends each event's fields as one JSON line; never truncates; creates parent folders.

    Guarantees: when ``write`` returns, the whole batch was written with one write call and (unless
    ``fsync=False``) ``os.fsync``-ed, so it survives a crash of the process or the machine. When it
    raises ``SinkError``, part of the batch may be in the file: the runtime's retry appends it
    again, so a line may appear twice (at least once). A line torn by a crash mid-write is ended
    with a newline on the next open, so the lines after it stay whole.
    """

    def __init__(self, name: str, path: str, *, fsync: bool = True, clock: Clock | None = None) -> None:
        self.name = name
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._path = Path(path)
        self._fsync = fsync
        self._handle: BinaryIO | None = None
        self._torn = False
        self._calls = QuickCalls(False, self._clock)  # where writes run, once open

    async def open(self) -> None:
        """Create the parent folders and open the file for appending.

        :raises SinkError: when the file cannot be created or opened.
        """
        if self._handle is None:
            try:
                self._handle = await anyio.to_thread.run_sync(_open_append, self._path)
            except OSError as exc:
                raise SinkError(self.name, f"cannot open {self._path}: {exc}") from exc
            self._calls = QuickCalls(not self._fsync and is_regular_file(self._handle.fileno()), self._clock)

    async def write(self, events: Sequence[Event]) -> None:
        """Append the batch, flushed and fsync-ed (off the event loop, unless quick and not fsync-ed).

        :raises SinkError: when the batch was not (wholly) written.
        :raises RuntimeError: when the sink is not open (a bug in the caller).
        """
        if self._handle is None:
            raise RuntimeError(f"file sink {self.name!r} written before open()")
        await self.write_encoded(encode_ndjson(events))

    @property
    def writes_inline(self) -> bool:
        """Whether writes run on the event loop (no fsync, a regular file, writes quick so far)."""
        return self._calls.inline

    async def write_encoded(self, data: bytes) -> None:
        """Append bytes already encoded as NDJSON (whole lines), as ``write`` does.

        :raises SinkError: when the bytes were not (wholly) written.
        :raises RuntimeError: when the sink is not open (a bug in the caller).
        """
        if self._handle is None:
            raise RuntimeError(f"file sink {self.name!r} written before open()")
        if not data:
            return
        try:
            await self._calls.run(self._write_sync, self._handle, data)
        except OSError as exc:
            raise SinkError(self.name, f"cannot write {self._path}: {exc}") from exc

    def _write_sync(self, handle: BinaryIO, data: bytes) -> None:
        if self._torn and _ends_torn(handle):  # the last write failed halfway
            data = b"\n" + data
        self._torn = True  # until this write is known to be whole
        _write_all(handle, data)
        handle.flush()
        if self._fsync:
            os.fsync(handle.fileno())
        self._torn = False

    async def close(self) -> None:
        """Flush, fsync and close the file.

        :raises SinkError: when the final flush or fsync fails (the file is closed all the same).
        """
        handle, self._handle = self._handle, None
        if handle is None:
            return
        try:
            await anyio.to_thread.run_sync(self._close_sync, handle)
        except OSError as exc:
            raise SinkError(self.name, f"cannot close {self._path}: {exc}") from exc

    def _close_sync(self, handle: BinaryIO) -> None:
        try:
            handle.flush()
            if self._fsync:
                os.fsync(handle.fileno())
        finally:
            handle.close()
