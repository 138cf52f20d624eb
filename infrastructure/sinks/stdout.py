"""``StdoutSink``: NDJSON to standard output (or any binary stream), flushed per batch."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Sequence
from typing import BinaryIO, final

import anyio
import anyio.to_thread

from pipeflow.domain.events import Event
from pipeflow.infrastructure.sinks.encode import encode_ndjson
from pipeflow.infrastructure.sinks.errors import SinkError

__all__ = ["StdoutSink"]


@final
class StdoutSink:
    """Writes each event's fields as one JSON line to ``stream`` (default: ``sys.stdout.buffer``).

    The write and flush run in a worker thread, so a slow reader of a pipe does not block the
    event loop; a write that takes longer than ``timeout_s`` is given up (``SinkError``), and a
    lock keeps a late write from interleaving with the next one. The stream is never closed.
    """

    def __init__(self, name: str, *, stream: BinaryIO | None = None, timeout_s: float = 30.0) -> None:
        self.name = name
        self._stream = stream
        self._timeout_s = timeout_s
        self._lock = threading.Lock()

    async def open(self) -> None:
        """Resolve the stream (standard output unless one was injected)."""
        if self._stream is None:
            self._stream = sys.stdout.buffer

    async def write(self, events: Sequence[Event]) -> None:
        """Write and flush the batch.

        :raises SinkError: when the stream failed (a closed pipe is not retryable) or timed out.
        :raises RuntimeError: when the sink is not open (a bug in the caller).
        """
        await self.write_encoded(encode_ndjson(events))

    async def write_encoded(self, data: bytes) -> None:
        """Write and flush bytes already encoded as NDJSON (whole lines), as ``write`` does.

        :raises SinkError: when the stream failed (a closed pipe is not retryable) or timed out.
        :raises RuntimeError: when the sink is not open (a bug in the caller).
        """
        stream = self._stream
        if stream is None:
            raise RuntimeError(f"stdout sink {self.name!r} written before open()")
        if not data:
            return
        try:
            with anyio.fail_after(self._timeout_s):
                await anyio.to_thread.run_sync(self._write_sync, stream, data, abandon_on_cancel=True)
        except TimeoutError:
            raise SinkError(self.name, f"write timed out after {self._timeout_s}s") from None
        except BrokenPipeError as exc:
            raise SinkError(self.name, f"output closed: {exc}", retryable=False) from exc
        except OSError as exc:
            raise SinkError(self.name, f"write failed: {exc}") from exc

    def _write_sync(self, stream: BinaryIO, data: bytes) -> None:
        with self._lock:
            stream.write(data)
            stream.flush()

    async def close(self) -> None:
        """Flush what the stream holds (it stays open: it is not ours)."""
        stream = self._stream
        if stream is not None:
            with contextlib.suppress(OSError):  # nothing left to do for a reader that went away
                await anyio.to_thread.run_sync(self._flush_sync, stream)

    def _flush_sync(self, stream: BinaryIO) -> None:
        with self._lock:
            stream.flush()
