"""The disk buffer's queue of segment files: order, restarts, damage skipped and counted, deletion."""

from __future__ import annotations

import os
from pathlib import Path

from pipeflow.infrastructure.actors.disk_queue import DiskQueue, QueuedRecord


def drain(queue: DiskQueue) -> list[bytes]:
    """Every record left in ``queue``, each read and marked done."""
    out: list[bytes] = []
    while (record := queue.read()) is not None:
        out.append(record.payload)
        queue.done(record)
    return out


def _segments(path: Path) -> list[str]:
    return sorted(f for f in os.listdir(path) if f.endswith(".seg"))


def test_records_come_back_in_order_across_segments_and_restarts(tmp_path: Path) -> None:
    queue = DiskQueue(str(tmp_path), segment_bytes=100)
    for i in range(10):
        queue.append(b"record %d" % i)
    queue.sync()
    first = queue.read()
    assert first == QueuedRecord(b"record 0", 1, 0)
    queue.close()  # the first was read but never done: it comes back
    again = DiskQueue(str(tmp_path), segment_bytes=100)
    again.append(b"after restart")
    assert drain(again) == [b"record %d" % i for i in range(10)] + [b"after restart"]
    assert again.size_bytes == 0
    assert again.skipped == 0
    again.close()
    assert [os.path.getsize(tmp_path / s) for s in _segments(tmp_path)] == [0]


def test_a_flipped_byte_is_skipped_and_counted_and_the_rest_is_read(tmp_path: Path) -> None:
    queue = DiskQueue(str(tmp_path), segment_bytes=1 << 20)
    for i in range(5):
        queue.append(b"payload-%d" % i)
    queue.close()
    segment = tmp_path / _segments(tmp_path)[0]
    data = bytearray(segment.read_bytes())
    record = len(data) // 5
    data[2 * record + 20] ^= 0x40  # inside the third record's payload
    segment.write_bytes(bytes(data))
    reopened = DiskQueue(str(tmp_path), segment_bytes=1 << 20)
    assert drain(reopened) == [b"payload-0", b"payload-1", b"payload-3", b"payload-4"]
    assert reopened.skipped == 1
    reopened.close()


def test_a_torn_tail_is_skipped_and_counted_never_a_hang(tmp_path: Path) -> None:
    queue = DiskQueue(str(tmp_path), segment_bytes=1 << 20)
    queue.append(b"whole")
    queue.append(b"x" * 1000)
    queue.close()
    segment = tmp_path / _segments(tmp_path)[0]
    segment.write_bytes(segment.read_bytes()[:-500])  # a crash in the middle of the second record
    reopened = DiskQueue(str(tmp_path), segment_bytes=1 << 20)
    assert drain(reopened) == [b"whole"]
    assert reopened.skipped == 1
    assert reopened.read() is None
    reopened.close()


def test_a_segment_is_deleted_once_every_record_of_it_is_done(tmp_path: Path) -> None:
    queue = DiskQueue(str(tmp_path), segment_bytes=64)
    for i in range(6):
        queue.append(b"%040d" % i)  # 56 bytes framed: two make a segment
    read = [queue.read() for _ in range(3)]
    assert [r.segment for r in read if r is not None] == [1, 1, 2]
    assert len(_segments(tmp_path)) == 4
    for r in reversed(read):
        assert r is not None
        queue.done(r)
    assert len(_segments(tmp_path)) == 3  # the first: read past and done; the second is being read
    assert queue.size_bytes == 4 * 56
    queue.close()


def test_a_restart_resumes_after_the_last_committed_record(tmp_path: Path) -> None:
    queue = DiskQueue(str(tmp_path), segment_bytes=1 << 20)
    for i in range(6):
        queue.append(b"record %d" % i)
    queue.sync()
    for _ in range(3):
        record = queue.read()
        assert record is not None
        queue.done(record)
    queue.commit()
    in_flight = queue.read()  # read, written perhaps, but the crash comes before the commit
    assert in_flight is not None
    queue.done(in_flight)
    os.close(queue._wfd)  # a kill -9: no close, no commit
    queue._reader.close()
    assert (tmp_path / "read.pos").read_bytes() == b"1 %d\n" % in_flight.offset
    again = DiskQueue(str(tmp_path), segment_bytes=1 << 20)
    assert drain(again) == [b"record 3", b"record 4", b"record 5"]
    again.close()


def test_an_unreadable_position_file_reads_everything_again(tmp_path: Path) -> None:
    queue = DiskQueue(str(tmp_path), segment_bytes=1 << 20)
    queue.append(b"one")
    queue.append(b"two")
    record = queue.read()
    assert record is not None
    queue.done(record)
    queue.close()
    (tmp_path / "read.pos").write_bytes(b"garbage")
    again = DiskQueue(str(tmp_path), segment_bytes=1 << 20)
    assert drain(again) == [b"one", b"two"]  # at least once: never a record lost to a bad file
    again.close()
