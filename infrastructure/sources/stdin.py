"""``StdinSource``: NDJSON or plain lines from standard input (or any binary stream), until EOF."""

from __future__ import annotations

import math
import queue
import sys
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from typing import Protocol, TypeAlias, final

import anyio
import anyio.from_thread
import anyio.lowlevel

from pipeflow.domain.ports import Clock, IdFactory, SourceBatch
from pipeflow.infrastructure.sources.decode import DEFAULT_MAX_LINE_BYTES, Format, decode_lines
from pipeflow.infrastructure.sources.lines import LineSplitter
from pipeflow.infrastructure.sources.multiline import MultilineDecoder, MultilineSettings

__all__ = ["ByteStream", "StdinSource"]


class ByteStream(Protocol):
    """A blocking binary stream: ``sys.stdin.buffer``, a pipe, a ``BytesIO``."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes; ``b""`` at end of stream."""
        ...


@final
class StdinSource:
    """Reads a binary stream in a worker thread and yields batches of up to ``batch_size`` lines.

    Reads return what is available (``read1`` when the stream has it) and each read's complete
    lines are yielded at once, so lines arriving slowly on a pipe are not held back; under load
    reads are large and so are batches. The source ends at EOF; a last line without
    newline is still an event.

    Guarantees: none beyond the process. Standard input cannot be read again, so batches carry no
    ``ack`` and events read but not yet written when the process is killed are lost. On ``stop``
    the lines already read are still yielded, then the source ends.

    With ``raw`` batches carry the lines undecoded (``SourceBatch.lines``, ``text`` for ``lines``) for
    the runtime's fast path (a batch holding an over-long line is decoded here, as without).

    With ``multiline`` (``format: lines``) lines are grouped into events (``sources.multiline``),
    decoded here whatever ``raw`` says; an event is complete when the next begins, at
    ``max_lines``, at EOF, or when ``timeout_s`` passes with no new line (the read in flight goes
    on meanwhile: ``_Reader``), as for a followed file.
    """

    def __init__(
        self,
        name: str,
        *,
        ids: IdFactory,
        clock: Clock,
        stream: ByteStream | None = None,
        format: Format = "ndjson",
        batch_size: int = 1024,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        chunk_bytes: int = 1 << 20,
        raw: bool = False,
        multiline: MultilineSettings | None = None,
    ) -> None:
        self.name = name
        self._ids, self._clock = ids, clock
        self._stream: ByteStream = stream if stream is not None else sys.stdin.buffer
        self._format, self._batch_size, self._chunk = format, batch_size, chunk_bytes
        self._max_line_bytes = max_line_bytes
        self._raw = raw and multiline is None
        self._multiline = multiline
        self._stopping = False
        self._read_scope: anyio.CancelScope | None = None

    def stop(self) -> None:
        """Stop reading: the lines already read are yielded, then the source ends."""
        self._stopping = True
        if self._read_scope is not None:
            self._read_scope.cancel()

    async def batches(self) -> AsyncIterator[SourceBatch]:
        """Yield batches until EOF (or ``stop``): after each read, the complete lines it brought."""
        read: Callable[[int], bytes] = getattr(self._stream, "read1", self._stream.read)
        reader = _Reader(read, self._chunk)
        try:
            async with aclosing(self._batches(reader)) as batches:
                async for batch in batches:
                    yield batch
        finally:
            reader.close()  # its thread ends (one blocked in a read ends with the process)

    async def _batches(self, reader: _Reader) -> AsyncGenerator[SourceBatch, None]:
        splitter = LineSplitter(0, self._max_line_bytes)
        ended = False
        grouped = (
            None if self._multiline is None else MultilineDecoder(self._multiline, 0, self.name, self._clock)
        )
        new_id = self._ids.new_id
        while not ended:
            wait = None if grouped is None else grouped.wait_s(anyio.current_time())
            chunk = await self._read(reader, wait)
            if chunk is None:  # an event waited its timeout for a line: it is complete
                pass
            elif chunk:
                splitter.feed(chunk)
            else:
                ended = True
                splitter.finish()
            while grouped is not None and (splitter.ready or grouped.due(anyio.current_time(), final=ended)):
                events, rejected = grouped.take(
                    splitter, self._batch_size, lambda _: new_id(), now=anyio.current_time(), final=ended
                )
                if events or rejected:
                    yield SourceBatch(self.name, events, rejected)
            while splitter.ready:
                lines, rejected, _ = splitter.take(self._batch_size)
                # Raw unless a line is over-long (rare): decoding keeps the rejects in line order.
                if self._raw and not (lines and max(map(len, lines)) > self._max_line_bytes):
                    if lines or rejected:
                        yield SourceBatch(self.name, [], rejected, lines=lines, text=self._format == "lines")
                    continue
                events, bad = decode_lines(
                    lines, self._format, self.name, self._ids, self._clock, self._max_line_bytes
                )
                rejected.extend(bad)
                if events or rejected:
                    yield SourceBatch(self.name, events, rejected)

    async def _read(self, reader: _Reader, wait: float | None) -> bytes | None:
        """The next chunk; ``b""`` at EOF or once stopped (a blocked read is abandoned then);
        ``None`` when ``wait`` seconds passed first (the read goes on, for the next call)."""
        chunk: bytes | None = b""
        if not self._stopping:
            with anyio.CancelScope() as self._read_scope:
                chunk = await reader.next(wait)
            self._read_scope = None
        return b"" if self._stopping else chunk


_Request: TypeAlias = tuple[anyio.Event, anyio.lowlevel.EventLoopToken]
"""A read asked of the reader's thread: the event to set once it is done, and the loop to set it on."""


@final
class _Reader:
    """Reads a blocking stream one read at a time in one daemon thread, which a waiter may stop
    waiting for and wait for again later: the read in flight is never lost to a timeout. The thread
    lives as long as the stream is read (a read a line, on a slow pipe, costs no new thread)."""

    __slots__ = ("_done", "_read", "_requests", "_result", "_size")

    def __init__(self, read: Callable[[int], bytes], size: int) -> None:
        self._read, self._size = read, size
        self._done: anyio.Event | None = None  # a read is in flight (or done, not yet taken)
        self._result: bytes | BaseException = b""
        self._requests: queue.SimpleQueue[_Request | None] | None = None  # None: the thread ends

    def close(self) -> None:
        """End the thread once it is done with the read in flight, if any."""
        if self._requests is not None:
            self._requests.put(None)

    async def next(self, wait: float | None) -> bytes | None:
        """The next chunk (``b""``: end of stream), or ``None`` when ``wait`` seconds passed first."""
        if self._done is None:
            if self._requests is None:
                self._requests = queue.SimpleQueue()
                threading.Thread(target=self._work, args=(self._requests,), daemon=True, name="stdin").start()
            self._done = anyio.Event()
            self._requests.put((self._done, anyio.lowlevel.current_token()))
        with anyio.move_on_after(math.inf if wait is None else wait):
            await self._done.wait()
        if not self._done.is_set():
            return None
        self._done, result = None, self._result
        if isinstance(result, BaseException):
            raise result
        return result

    def _work(self, requests: queue.SimpleQueue[_Request | None]) -> None:
        while (request := requests.get()) is not None:  # a read at the end of the stream is b"" again
            done, token = request
            try:
                self._result = self._read(self._size)
            except Exception as exc:  # noqa: BLE001 - not swallowed: handed to the waiter, raised there
                self._result = exc
            try:
                anyio.from_thread.run_sync(done.set, token=token)
            except RuntimeError:  # the loop is gone (the run ended while this read blocked)
                return
