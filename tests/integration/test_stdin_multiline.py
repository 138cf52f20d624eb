"""``StdinSource`` with ``multiline``: stack traces from a stream, whole, however the reads cut them."""

from __future__ import annotations

import io
import os
import re
import threading

import anyio

from pipeflow.domain.json import Json
from pipeflow.domain.multiline import MultilineRule
from pipeflow.infrastructure.sources.multiline import MultilineSettings
from tests.integration.test_file_source_multiline import RECORDS, STARTS, TEXT
from tests.integration.test_stdin_source import collect, make, values


class Trickle(io.RawIOBase):
    """A stream whose reads return at most ``size`` bytes (as a pipe does when lines arrive slowly)."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._size, self._at = data, size, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1, /) -> bytes:
        out = self._data[self._at : self._at + min(self._size, n if n >= 0 else self._size)]
        self._at += len(out)
        return out


async def test_stack_traces_from_stdin_are_one_event_each() -> None:
    for size in (3, 50, 1 << 20):
        batches = await collect(
            make(Trickle(TEXT.encode(), size), format="lines", multiline=STARTS, raw=True)
        )
        assert values(batches, "message") == RECORDS
        assert all(b.lines is None and b.ack is None for b in batches)


async def test_stdin_max_lines_and_a_last_line_without_newline() -> None:
    rule = MultilineRule("continuation", re.compile(r"^\s"), max_lines=2)
    stream = io.BytesIO(b"a\n b\n c\nd\n e")
    batches = await collect(make(stream, format="lines", multiline=MultilineSettings(rule), batch_size=1))
    assert values(batches, "message") == ["a\n b", " c", "d\n e"]
    assert len({e.id for b in batches for e in b.events}) == 3


async def test_an_event_is_complete_after_the_timeout_while_the_read_goes_on() -> None:
    # The writer holds the pipe open and writes the next line only once the first event came out:
    # without the timeout the source would wait for that line (and the test for the event) forever.
    rule = MultilineRule("continuation", re.compile(r"^\s"))
    read_end, write_end = os.pipe()
    released = threading.Event()

    def writer() -> None:
        with os.fdopen(write_end, "wb", buffering=0) as pipe:
            pipe.write(b"first\n  at a\n")
            released.wait(timeout=20)
            pipe.write(b"second\n")

    thread = threading.Thread(target=writer)
    thread.start()
    messages: list[Json] = []
    with os.fdopen(read_end, "rb", buffering=0) as stream, anyio.fail_after(10):
        source = make(stream, format="lines", multiline=MultilineSettings(rule, timeout_s=0.2))
        async for batch in source.batches():
            messages.extend(e.fields["message"] for e in batch.events)
            released.set()
    thread.join()
    assert released.is_set()
    assert messages == ["first\n  at a", "second"]


async def test_one_reader_thread_serves_every_read_and_ends_with_the_source() -> None:
    seen: set[threading.Thread] = set()
    source = make(Trickle(TEXT.encode(), 3), format="lines", multiline=STARTS)
    messages: list[Json] = []
    with anyio.fail_after(10):
        async for batch in source.batches():
            seen.update(t for t in threading.enumerate() if t.name == "stdin")
            messages.extend(e.fields["message"] for e in batch.events)
    assert messages == RECORDS
    assert len(seen) == 1  # hundreds of 3-byte reads, one thread
    (thread,) = seen
    thread.join(timeout=5)
    assert not thread.is_alive()
