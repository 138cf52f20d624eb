"""A disk buffer on a full disk (``ENOSPC``): no partial record left behind, no position that skips
records, and ``when_full`` decides: ``block`` waits for room, the other policies refuse."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from pipeflow.infrastructure.actors.disk_buffer import DiskBuffer
from pipeflow.infrastructure.actors.disk_files import POSITION_FILE, FileOps
from pipeflow.infrastructure.actors.disk_queue import DiskQueue, QueuedRecord
from pipeflow.infrastructure.actors.messages import Delivery
from tests.unit.test_disk_queue import drain


class FullDisk(FileOps):
    """Fails writes (after letting part of the first through) and creations while ``full``, only
    creations while ``no_files``, and the next ``failures`` writes."""

    def __init__(self, *, failures: int = 0, error: int = errno.ENOSPC) -> None:
        self.full = False
        self.no_files = False
        self.failures = failures  # writes still to fail (then the disk has room again)
        self.error = error
        self.partial = True

    def _refuse(self) -> bool:
        if self.failures:
            self.failures -= 1
            return True
        return self.full

    def open(self, path: str, flags: int, mode: int = 0o644) -> int:
        if flags & os.O_CREAT and (self.full or self.no_files):
            raise OSError(self.error, os.strerror(self.error), path)
        return super().open(path, flags, mode)

    def write(self, fd: int, data: memoryview | bytes) -> int:
        if self.partial and self.full and len(data) > 1:
            self.partial = False
            return super().write(fd, data[: len(data) // 2])  # part of the record, then no room
        if self._refuse():
            raise OSError(self.error, os.strerror(self.error))
        return super().write(fd, data)


def _take(queue: DiskQueue) -> QueuedRecord:
    """The next record, marked done."""
    record = queue.read()
    assert record is not None
    queue.done(record)
    return record


def _crash(queue: DiskQueue) -> None:
    os.close(queue._wfd)  # a kill -9: no commit, no sync
    queue._reader.close()


def test_an_append_that_fails_leaves_no_partial_record(tmp_path: Path) -> None:
    disk = FullDisk()
    queue = DiskQueue(str(tmp_path), segment_bytes=1 << 20, files=disk)
    queue.append(b"one")
    size = queue.size_bytes
    disk.full = True
    with pytest.raises(OSError, match=os.strerror(errno.ENOSPC)) as failed:
        queue.append(b"two" * 20)  # half of it reaches the file, then ENOSPC
    assert failed.value.errno == errno.ENOSPC
    assert queue.size_bytes == size == os.path.getsize(tmp_path / "0000000001.seg")
    disk.full = False
    queue.append(b"three")
    assert drain(queue) == [b"one", b"three"]
    assert queue.skipped == 0
    queue.close()


def test_a_segment_that_cannot_be_started_keeps_its_records_in_the_current_one(tmp_path: Path) -> None:
    disk = FullDisk()
    queue = DiskQueue(str(tmp_path), segment_bytes=40, files=disk)
    disk.no_files = True  # room for data, none for a new file
    for i in range(4):
        queue.append(b"record %d" % i)  # 24 bytes framed: every other one would start a segment
    assert sorted(os.listdir(tmp_path)) == ["0000000001.seg"]
    disk.no_files = False
    queue.append(b"record 4")
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith(".seg")) == [
        "0000000001.seg",
        "0000000002.seg",
    ]
    queue.sync()
    _crash(queue)
    again = DiskQueue(str(tmp_path), segment_bytes=40)
    assert drain(again) == [b"record %d" % i for i in range(5)]
    again.close()


def test_a_position_that_cannot_be_saved_keeps_the_last_one_saved(tmp_path: Path) -> None:
    disk = FullDisk()
    queue = DiskQueue(str(tmp_path), segment_bytes=1 << 20, files=disk)
    for payload in (b"a", b"b", b"c"):
        queue.append(payload)
    _take(queue)
    assert queue.commit()
    saved = (tmp_path / POSITION_FILE).read_bytes()
    _take(queue)
    disk.full = True
    assert not queue.commit()  # a restart reads "b" again: more than needed, never less
    assert (tmp_path / POSITION_FILE).read_bytes() == saved
    disk.full = False
    _crash(queue)
    again = DiskQueue(str(tmp_path), segment_bytes=1 << 20)
    assert drain(again) == [b"b", b"c"]
    again.close()


def test_a_position_not_saved_after_a_cut_is_removed_so_new_records_are_not_skipped(tmp_path: Path) -> None:
    disk = FullDisk()
    queue = DiskQueue(str(tmp_path), segment_bytes=1 << 20, files=disk)
    for payload in (b"a", b"b", b"c"):
        queue.append(payload)
    for _ in range(2):
        _take(queue)
    assert queue.commit()  # saved: segment 1, offset 34 (after "a" and "b")
    last = queue.read()
    assert last is not None
    disk.full = True
    queue.done(last)  # all done: the segment is cut back to nothing, and the position cannot be saved
    assert not (tmp_path / POSITION_FILE).exists()
    disk.full = False
    queue.append(b"x" * 40)
    queue.append(b"y" * 40)
    queue.sync()
    _crash(queue)  # a stale offset 34 would land inside "x" and skip both
    again = DiskQueue(str(tmp_path), segment_bytes=1 << 20)
    assert drain(again) == [b"x" * 40, b"y" * 40]
    assert again.skipped == 0
    again.close()


async def _inline(fn: Callable[[], None]) -> None:
    fn()  # the fsync on the event loop's thread


def _delivery(acks: list[str], name: str) -> Delivery:
    return Delivery([], "src", None, None, lambda: acks.append(name))


async def test_block_waits_for_room_on_disk_then_appends_and_acknowledges(tmp_path: Path) -> None:
    disk = FullDisk(failures=3)
    buffer = DiskBuffer(
        DiskQueue(str(tmp_path), segment_bytes=1 << 20, files=disk),
        max_bytes=1 << 20,
        block=True,
        group_bytes=0,
        run_sync=_inline,
    )
    acks: list[str] = []
    with anyio.fail_after(5):
        assert await buffer.put(_delivery(acks, "one"))  # three refusals: 0.05 + 0.1 + 0.2 s of pauses
    assert not buffer.disk_full
    assert buffer.queue.size_bytes > 0
    assert acks == []  # not before the fsync
    await buffer._sync_now()
    assert acks == ["one"]
    buffer.queue.close()


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EDQUOT])
async def test_other_policies_refuse_a_delivery_the_full_disk_cannot_take(tmp_path: Path, error: int) -> None:
    disk = FullDisk(failures=1, error=error)
    buffer = DiskBuffer(
        DiskQueue(str(tmp_path), segment_bytes=1 << 20, files=disk),
        max_bytes=1 << 20,
        block=False,
        group_bytes=0,
        run_sync=_inline,
    )
    acks: list[str] = []
    assert not await buffer.put(_delivery(acks, "refused"))  # dropped or dead-lettered by the sink actor
    assert buffer.disk_full
    assert buffer.queue.size_bytes == 0
    assert await buffer.put(_delivery(acks, "taken"))
    await buffer._sync_now()
    assert acks == ["taken"]
    buffer.queue.close()


async def test_a_write_error_that_is_not_a_full_disk_is_raised(tmp_path: Path) -> None:
    buffer = DiskBuffer(
        DiskQueue(str(tmp_path), segment_bytes=1 << 20, files=FullDisk(failures=1, error=errno.EIO)),
        max_bytes=1 << 20,
        block=True,
        group_bytes=0,
        run_sync=_inline,
    )
    with pytest.raises(OSError, match=os.strerror(errno.EIO)) as failed:
        await buffer.put(_delivery([], "lost"))
    assert failed.value.errno == errno.EIO
    buffer.queue.close()
