"""Where a file tail reads: on the event loop while reads of a regular file are quick, in a worker
thread once one is slow (a network file system) or when the file is not a regular file."""

from __future__ import annotations

import os
import time
from pathlib import Path

from pipeflow.infrastructure.ids import SystemClock
from pipeflow.infrastructure.quick_calls import SLOW_CALL_S, SLOW_CALLS
from pipeflow.infrastructure.sources.tail import FileTail


class _SlowReads:
    """A real file whose first ``slow`` reads each take longer than ``SLOW_CALL_S``."""

    def __init__(self, path: Path, slow: int) -> None:
        self._file = path.open("rb")
        self._slow = slow

    def fileno(self) -> int:
        return self._file.fileno()

    def seek(self, offset: int) -> int:
        return self._file.seek(offset)

    def read(self, size: int) -> bytes:
        if self._slow:
            self._slow -= 1
            time.sleep(SLOW_CALL_S * 1.5)
        return self._file.read(size)

    def close(self) -> None:
        self._file.close()


async def test_a_regular_file_is_read_on_the_loop_while_reads_are_quick(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"".join(b"line %d\n" % i for i in range(100)))
    with path.open("rb") as handle:
        tail = FileTail(str(path), handle, os.fstat(handle.fileno()).st_ino, 0, 1 << 20, SystemClock())
        assert tail.reads_inline
        await tail.fill(1000, 64)
        assert tail.at_eof
        assert tail.reads_inline
        assert tail.splitter.ready == 100


async def _read_all(path: Path, slow: int) -> bool:
    """Read ``path`` in small chunks, its first ``slow`` reads slow; whether reads stayed inline."""
    handle = _SlowReads(path, slow)
    try:
        inode = os.fstat(handle.fileno()).st_ino
        tail = FileTail(str(path), handle, inode, 0, 1 << 20, SystemClock())  # type: ignore[arg-type]
        await tail.fill(1000, 64)  # many reads
        lines, _, offset = tail.splitter.take(1000)
        assert (len(lines), offset) == (100, os.fstat(handle.fileno()).st_size)  # read all the same
        return tail.reads_inline
    finally:
        handle.close()


async def test_slow_reads_in_a_row_send_later_reads_to_a_worker_thread(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"".join(b"line %d\n" % i for i in range(100)))
    assert await _read_all(path, SLOW_CALLS - 1)  # fewer slow reads may be the machine's noise
    assert not await _read_all(path, SLOW_CALLS)


def test_a_file_that_is_not_a_regular_file_is_never_read_on_the_loop() -> None:
    with Path("/dev/zero").open("rb") as handle:  # a device: reads may block however quick they look
        tail = FileTail("/dev/zero", handle, os.fstat(handle.fileno()).st_ino, 0, 1 << 20, SystemClock())
        assert not tail.reads_inline
