"""``FileSink``: appends NDJSON to a file, one write and one fsync per batch.

Without ``fsync`` a write into a regular file only reaches the page cache: it runs on the event
loop while it is quick (``infrastructure.quick_calls``; W1: ~8 % less CPU than a worker thread
round trip per batch). With ``fsync``, or into a pipe or device, it runs in a worker thread.

With ``exact`` (the runtime's exactly-once mode, docs/delivery.md) the sink knows its file's length
after every write: the runtime commits it with the sources' checkpoints, and the next start cuts the
file back to the committed length (``infrastructure.sinks.file_recovery``); a write that failed
halfway is cut off before it is tried again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, final

import anyio.to_thread

from pipeflow.domain.events import Event
from pipeflow.domain.ports import Clock
from pipeflow.domain.sink_recovery import CutTo, LeaveAsIs, Recovery, SinkCommit
from pipeflow.infrastructure.ids import SystemClock
from pipeflow.infrastructure.quick_calls import QuickCalls, is_regular_file
from pipeflow.infrastructure.sinks.encode import encode_ndjson
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.file_recovery import commit_of, recover

__all__ = ["FileSink"]

_log = logging.getLogger("pipeflow.sink")


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


def _open_exact(path: Path, committed: SinkCommit | None) -> tuple[BinaryIO, Recovery]:
    """Open for appending (and reading) and cut the file back to ``committed`` when it is ours."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    handle = open(path, "ab+", buffering=0)  # noqa: SIM115 - the sink owns it until close()
    try:
        recovery = recover(handle.fileno(), committed, existed)
        if isinstance(recovery, LeaveAsIs) and _ends_torn(handle):  # not ours to cut: keep ours apart
            _write_all(handle, b"\n")
    except BaseException:
        handle.close()
        raise
    return handle, recovery


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
    """Appends each event's fields as one JSON line; creates parent folders; truncates only with ``exact``.

    Guarantees: when ``write`` returns, the whole batch was written with one write call and (unless
    ``fsync=False``) ``os.fsync``-ed, so it survives a crash of the process or the machine. When it
    raises ``SinkError``, part of the batch may be in the file: the runtime's retry appends it
    again, so a line may appear twice (at least once). A line torn by a crash mid-write is ended
    with a newline on the next open, so the lines after it stay whole.

    With ``exact``, ``open`` first cuts the file back to ``committed`` (when it is provably the file
    committed to: ``domain.sink_recovery``; ``recovery`` says what was done), a failed write is
    cut off before the next one, and ``length`` is the file's length after the last whole write.
    """

    def __init__(
        self,
        name: str,
        path: str,
        *,
        fsync: bool = True,
        clock: Clock | None = None,
        exact: bool = False,
        committed: SinkCommit | None = None,
    ) -> None:
        self.name = name
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._path = Path(path)
        self._fsync = fsync
        self._handle: BinaryIO | None = None
        self._torn = False
        self._calls = QuickCalls(False, self._clock)  # where writes run, once open
        self._exact, self._committed = exact, committed
        self.recovery: Recovery | None = None  # what the exact open did to the file
        self._length = 0  # the file's length after the last whole write
        self.opened_length = 0  # the file's length once opened (and cut back)
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file opened

    @property
    def path(self) -> str:
        """The file's path, absolute."""
        return os.path.abspath(self._path)

    @property
    def exact(self) -> bool:
        """Whether the sink keeps to its committed length (exactly-once mode)."""
        return self._exact

    @property
    def length(self) -> int:
        """The file's length after the last whole write (meaningful once open)."""
        return self._length

    def commit_at(self, length: int) -> SinkCommit | None:
        """The commit of this file at ``length`` (a length it had after a whole write), or ``None``
        was never opened, or is no longer at its path after ``close``.

        :raises OSError: the file cannot be read.
        """
        if self._handle is not None:
            return commit_of(self._handle.fileno(), length)
        if self._identity is None:
            return None
        try:
            fd = os.open(self._path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            st = os.fstat(fd)
            return commit_of(fd, length) if (st.st_dev, st.st_ino) == self._identity else None
        finally:
            os.close(fd)

    async def open(self) -> None:
        """Create the parent folders and open the file for appending.

        :raises SinkError: when the file cannot be created or opened.
        """
        if self._handle is None:
            try:
                if self._exact:
                    handle, self.recovery = await anyio.to_thread.run_sync(
                        _open_exact, self._path, self._committed
                    )
                else:
                    handle = await anyio.to_thread.run_sync(_open_append, self._path)
            except OSError as exc:
                raise SinkError(self.name, f"cannot open {self._path}: {exc}") from exc
            self._handle = handle
            st = os.fstat(handle.fileno())
            self._length = self.opened_length = st.st_size
            self._identity = (st.st_dev, st.st_ino)
            self._tell_recovery()
            self._calls = QuickCalls(not self._fsync and is_regular_file(self._handle.fileno()), self._clock)

    def _tell_recovery(self) -> None:
        match self.recovery:
            case CutTo(length=length, extra=extra) if extra > 0:
                _log.info(
                    "file sink %s: cut %d bytes written after the last commit (to %d)",
                    self.name,
                    extra,
                    length,
                )
            case LeaveAsIs(reason=str(reason)):
                _log.warning("file sink %s (%s): %s", self.name, self._path, reason)
            case _:
                pass

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
        if self._torn:  # the last write failed halfway
            if self._exact:
                os.ftruncate(handle.fileno(), self._length)  # bytes we wrote after our last whole write
            elif _ends_torn(handle):
                data = b"\n" + data
        self._torn = True  # until this write is known to be whole
        _write_all(handle, data)
        handle.flush()
        if self._fsync:
            os.fsync(handle.fileno())
        self._length += len(data)
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
