"""Reading a file one chunk ahead in a worker thread: the same bytes as reading it in order, the
errors of the read, no descriptor left open, and a file tail and source that read ahead."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.sources.file import FileSource
from pipeflow.infrastructure.sources.read_ahead import ReadAhead
from pipeflow.infrastructure.sources.tail import FileTail


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def _lines(n: int) -> bytes:
    return b"".join(b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * (i % 37)) for i in range(n))


async def test_chunks_read_ahead_are_the_file_from_the_offset_in_order(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    data = _lines(2000)
    path.write_bytes(data)
    with path.open("rb") as handle:
        ahead = ReadAhead(handle.fileno(), 100, 4096)
        chunks = []
        while chunk := await ahead.take():
            chunks.append(chunk)
            assert ahead.offset == 100 + sum(map(len, chunks))
        ahead.close()
    assert b"".join(chunks) == data[100:]
    assert all(len(c) == 4096 for c in chunks[:-1])
    assert await ahead.take() == b""  # the end stays the end


async def test_a_failed_read_raises_from_take(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY)  # a folder: pread fails with EISDIR
    try:
        ahead = ReadAhead(fd, 0, 4096)
        with pytest.raises(IsADirectoryError):
            await ahead.take()
        ahead.close()
    finally:
        os.close(fd)


def test_closing_leaves_no_descriptor_open_even_with_a_read_in_flight(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    path.write_bytes(_lines(50_000))
    before = _open_fds()
    with path.open("rb") as handle:
        for _ in range(20):  # closed at once: the first read is queued, running or done
            ReadAhead(handle.fileno(), 0, 1 << 20).close()
        ahead = ReadAhead(handle.fileno(), 0, 1 << 20)
        assert ahead.take_now()
        ahead.close()  # the next read is in flight
        assert ahead.take_now() == b""  # nothing more after close
    deadline = time.monotonic() + 5
    while _open_fds() - before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _open_fds() - before


async def test_a_tail_reading_ahead_splits_the_same_lines_and_can_rewind(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    data = _lines(3000)
    path.write_bytes(data)
    with path.open("rb") as handle:
        tail = FileTail(str(path), handle, os.fstat(handle.fileno()).st_ino, 0, 1 << 20, SystemClock())
        tail.read_ahead(1000)  # chunks that end mid-line
        await tail.fill(10**6, 1000)
        assert tail.at_eof
        lines, _, offset = tail.splitter.take(10**6)
        assert (b"\n".join(lines) + b"\n", offset) == (data, len(data))
        tail.rewind()  # reads through the handle again, from 0
        await tail.fill(10**6, 1000)
        assert tail.splitter.take(10**6)[0] == lines
        tail.discard()


async def test_a_file_source_reads_a_file_of_many_chunks_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    data = _lines(5000)
    path.write_bytes(data)
    source = FileSource("app", str(path), ids=UlidFactory(), clock=SystemClock(), chunk_bytes=4096, raw=True)
    seen: list[bytes] = []
    async for batch in source.batches():
        assert batch.lines is not None
        lines = batch.lines
        seen.extend(lines if isinstance(lines, list) else lines.lines())
        assert batch.ack is not None
        batch.ack()
    assert seen == data.splitlines()


def test_a_forked_child_reads_ahead_with_threads_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    data = _lines(3000)
    path.write_bytes(data)
    with path.open("rb") as handle:
        for _ in range(3):  # the parent's pool is made, and busy
            ahead = ReadAhead(handle.fileno(), 0, 1 << 20)
            assert ahead.take_now()
            ahead.close()
        pid = os.fork()
        if pid == 0:  # the child: its reads must complete (the parent's threads are not here)
            code = 1
            try:
                child = ReadAhead(handle.fileno(), 0, 4096)
                got = b"".join(iter(child.take_now, b""))
                child.close()
                code = 0 if got == data else 2
            finally:
                os._exit(code)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                assert os.waitstatus_to_exitcode(status) == 0
                return
            time.sleep(0.02)
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise AssertionError("the forked child's read never completed")
