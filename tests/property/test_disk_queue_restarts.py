"""A disk queue reopened on its folder at random points (a clean stop or a crash) loses no record
and reads again at most the group that was in flight when a crash hit."""

from __future__ import annotations

import os
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.infrastructure.actors.disk_queue import DiskQueue

_Op = tuple[str, int, bool]

_ops = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 12), st.just(False)),
        st.tuples(st.just("group"), st.integers(1, 6), st.just(False)),
        st.tuples(st.just("crash"), st.integers(0, 6), st.booleans()),
        st.tuples(st.just("stop"), st.just(0), st.just(False)),
    ),
    max_size=40,
)


def _crash(queue: DiskQueue) -> None:
    """Drop ``queue`` as a kill -9 would: no commit, no sync, the descriptors just go away."""
    os.close(queue._wfd)  # what a crash leaves
    queue._reader.close()


def _write_group(queue: DiskQueue, size: int, delivered: list[bytes]) -> int:
    """Read up to ``size`` records and write them (``done``); how many there were."""
    count = 0
    while count < size and (record := queue.read()) is not None:
        delivered.append(record.payload)
        queue.done(record)
        count += 1
    return count


@settings(max_examples=150, deadline=None)
@given(ops=_ops, segment_bytes=st.integers(40, 400))
def test_reopening_at_random_points_loses_nothing_and_repeats_at_most_the_group_in_flight(
    ops: list[_Op], segment_bytes: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        queue = DiskQueue(folder, segment_bytes=segment_bytes)
        appended: list[bytes] = []
        delivered: list[bytes] = []
        may_repeat = 0
        for op, n, written in ops:
            if op == "append":
                for _ in range(n):
                    appended.append(b"record-%06d" % len(appended))
                    queue.append(appended[-1])
                queue.sync()
            elif op == "group":
                _write_group(queue, n, delivered)
                queue.commit()
            elif op == "crash":  # a group read, perhaps written, and the crash before its commit
                if written:
                    may_repeat += _write_group(queue, n, delivered)
                else:
                    for _ in range(n):
                        queue.read()
                _crash(queue)
                queue = DiskQueue(folder, segment_bytes=segment_bytes)
            else:
                queue.close()
                queue = DiskQueue(folder, segment_bytes=segment_bytes)
        while _write_group(queue, 5, delivered):
            queue.commit()
        assert queue.skipped == 0
        assert queue.size_bytes == 0
        queue.close()
    assert list(dict.fromkeys(delivered)) == appended  # nothing lost, in order
    assert len(delivered) - len(appended) <= may_repeat
