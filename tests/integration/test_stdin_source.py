from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import anyio
import anyio.to_thread

from pipeflow.domain.json import Json
from pipeflow.domain.ports import SourceBatch
from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.sources.stdin import StdinSource


def make(stream: Any, **kw: Any) -> StdinSource:
    return StdinSource("in", ids=UlidFactory(), clock=SystemClock(), stream=stream, **kw)


async def collect(source: StdinSource) -> list[SourceBatch]:
    with anyio.fail_after(5):
        return [batch async for batch in source.batches()]


def values(batches: list[SourceBatch], key: str = "n") -> list[Json]:
    return [e.fields[key] for b in batches for e in b.events]


class Reads:
    """A pipe's read end that counts the reads that have returned.

    A count, not an event: the source starts its next read at once, so an event cleared at the
    start of each read could be cleared again before a waiting test sees it set.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self._returned = 0
        self._changed = threading.Condition()

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the source reads with read1 when the stream has it")

    def read1(self, size: int) -> bytes:
        data = self.stream.read1(size)  # type: ignore[attr-defined]
        with self._changed:
            self._returned += 1
            self._changed.notify_all()
        assert isinstance(data, bytes)
        return data

    def wait_returned(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` reads have returned (False on timeout)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._returned >= count, timeout)


@contextmanager
def pipe() -> Iterator[tuple[Reads, BinaryIO]]:
    r, w = os.pipe()
    with os.fdopen(r, "rb") as reader, os.fdopen(w, "wb", buffering=0) as writer:
        yield Reads(reader), writer


async def test_ndjson_until_eof_in_batches_with_a_last_line_without_newline() -> None:
    body = b"".join(b'{"n": %d}\n' % n for n in range(5)) + b'{"n": 5}'
    batches = await collect(make(io.BytesIO(body), batch_size=2))
    assert values(batches) == [0, 1, 2, 3, 4, 5]
    assert all(len(b.events) <= 2 for b in batches)
    assert all(b.ack is None and b.source == "in" for b in batches)


async def test_lines_format_and_rejects_with_reasons() -> None:
    body = b"hello\n\n\xffbad\n" + b"y" * 50 + b"\nbye\n"
    batches = await collect(make(io.BytesIO(body), format="lines", max_line_bytes=20, chunk_bytes=8))
    assert values(batches, "message") == ["hello", "bye"]
    reasons = sorted(r.reason for b in batches for r in b.rejected)
    assert reasons[0].startswith("invalid UTF-8")
    assert reasons[1] == "line over max_line_bytes (50 bytes)"


async def test_lines_arriving_on_a_pipe_come_out_before_eof() -> None:
    with pipe() as (reads, writer):
        source = make(reads)
        with anyio.fail_after(5):
            batches = source.batches()
            writer.write(b'{"n": 1}\n{"n"')
            first = await batches.__anext__()
            assert values([first]) == [1]
            writer.write(b': 2}\n{"n": 3}\n')
            writer.close()
            rest = [b async for b in batches]
    assert values(rest) == [2, 3]


async def test_stop_abandons_a_blocked_read_and_yields_what_was_read() -> None:
    with pipe() as (reads, writer):
        source = make(reads)
        got: list[SourceBatch] = []

        async def consume() -> None:
            got.extend([b async for b in source.batches()])

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(consume)
                writer.write(b'{"n": 1}\n{"n": 2}')
                await anyio.to_thread.run_sync(reads.wait_returned, 1, 5)  # the read of that write
                await anyio.sleep(0.05)  # the source is blocked in its next read
                source.stop()
        writer.close()  # lets the abandoned read return before the pipe is closed
        await anyio.to_thread.run_sync(reads.wait_returned, 2, 5)
    assert values(got) == [1, 2]
