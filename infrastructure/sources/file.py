"""``FileSource``: NDJSON or plain lines from the files matching a glob, read once or followed."""

from __future__ import annotations

import glob
import os
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import TYPE_CHECKING, Literal, TypeAlias, final

import anyio
import anyio.to_thread

from pipeflow.domain.ports import Clock, IdFactory, SourceBatch
from pipeflow.infrastructure.sources.acks import AckLedger
from pipeflow.infrastructure.sources.checkpoints import CheckpointStore, MemoryCheckpointStore
from pipeflow.infrastructure.sources.decode import DEFAULT_MAX_LINE_BYTES, Format
from pipeflow.infrastructure.sources.rotated import open_rotated
from pipeflow.infrastructure.sources.spans import file_spans
from pipeflow.infrastructure.sources.tail import FileTail, PathChange, open_file, read_head
from pipeflow.infrastructure.sources.tail_batches import TailBatches

if TYPE_CHECKING:  # a source with ``multiline`` imports it (start-up time)
    from pipeflow.infrastructure.sources.multiline import MultilineSettings

__all__ = ["EPOCH_PATH", "FileSource", "StartAt"]

StartAt: TypeAlias = Literal["beginning", "end"]
"""Where a file without checkpoint is read from (``end``: only files present at start)."""

_BATCHES_PER_ROUND = 16  # while following, a busy file yields to the others after this many batches
_RAW_READ = 2  # raw batches are read this many chunks at a time: about 2 MiB (1 or 4 were slower on W1)

EPOCH_PATH = "pipeflow:line-id-epoch"
"""The checkpoint entry (never an absolute path) whose ``inode`` holds the source's id epoch (ms)."""


def _glob(pattern: str) -> list[str]:
    return sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))


@final
class FileSource:
    """Reads the files matching ``path`` (a glob) in batches of up to ``batch_size`` lines.

    Without ``follow`` every matching file is read once, in sorted order, and the source ends (a
    last line without newline is still an event). With ``follow`` it tails them: files that appear
    are read from the start, a file rotated by rename is read to its end through the open handle
    before the new file at its path is opened, and a truncated file is read again from offset 0.

    Every line's event id comes from its place in its file and the source's epoch, the time the
    checkpoint store first saw the source (``infrastructure.ids.LineKey``; the epoch is kept as
    the checkpoint of ``EPOCH_PATH``), so a line read again gets the id it had: sinks that key by
    id store it once. A new checkpoint store (state lost) is a new epoch: new ids.

    Guarantees: at least once, in file order. Each batch's ``ack`` acknowledges its lines; the
    checkpoint ``(path, inode, offset)`` only moves over acknowledged batches, in reading order, and
    is saved at most every ``checkpoint_interval_s`` and when the source ends. A restart resumes at
    the saved checkpoint (another inode there: the file was rotated, so the new one is read from 0),
    so lines acknowledged after the last save are read again: duplicates are possible after a crash,
    losses are not. Not covered: a file rotated away twice between two polls, a truncation followed
    by a rewrite past the old size between two polls, and data appended while a file is not read
    with ``start_at: end`` and no checkpoint.

    With ``raw`` batches carry the lines undecoded (``SourceBatch.lines``; ``text`` for
    ``format: lines``) for the runtime's fast path (a batch holding an over-long line is decoded
    here, to keep its rejects in line order); acks work the same way. With ``span_bytes`` as well
    (``ndjson`` only, without ``follow``), batches are not even read: each is a ``span`` of about
    that many bytes, cut after a newline (or at the end of the file), for worker processes to
    read; its ack moves the checkpoint to
    its end. The file must not be rotated while it is read this way.

    With ``multiline`` (``format: lines``) lines are grouped into events (``sources.multiline``)
    and batches carry decoded events, never raw lines; a batch acknowledges the end of its last
    complete event, so a restart reads an event being gathered again, whole, with the same id.
    An event is complete when the next begins, at ``max_lines``, at the end of a file read once
    or rotated away, or, while following, after ``timeout_s`` without a new line.
    """

    def __init__(
        self,
        name: str,
        path: str,
        *,
        ids: IdFactory,
        clock: Clock,
        checkpoints: CheckpointStore | None = None,
        format: Format = "ndjson",
        follow: bool = False,
        start_at: StartAt = "beginning",
        batch_size: int = 1024,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        poll_interval_s: float = 0.25,
        checkpoint_interval_s: float = 0.2,
        chunk_bytes: int = 1 << 20,
        raw: bool = False,
        span_bytes: int = 0,
        multiline: MultilineSettings | None = None,
    ) -> None:
        self.name = name
        self._pattern = os.path.abspath(path)
        self._ids, self._clock = ids, clock
        self._store: CheckpointStore = checkpoints if checkpoints is not None else MemoryCheckpointStore()
        self._follow, self._start_at = follow, start_at
        self._raw = raw and multiline is None  # multiline events are decoded here
        self._span_bytes = span_bytes if self._raw and format == "ndjson" and not follow else 0
        self._batch_size, self._max_line_bytes = batch_size, max_line_bytes
        # Raw batches: one larger read is one block, not two glued together (one copy fewer).
        self._read_size = chunk_bytes * _RAW_READ if self._raw else chunk_bytes
        self._poll, self._save_every = poll_interval_s, checkpoint_interval_s
        self._ledger = AckLedger()
        self._batches = TailBatches(
            name,
            self._ledger,
            clock,
            format=format,
            raw=self._raw,
            batch_size=batch_size,
            max_line_bytes=max_line_bytes,
            multiline=multiline,
        )
        self._tails: dict[str, FileTail] = {}
        self._done: dict[int, tuple[int, bytes]] = {}  # inode -> (offset read to, first bytes)
        self._stopping = False
        self._sleep_scope: anyio.CancelScope | None = None
        self._last_save = float("-inf")
        self._saving = anyio.Lock()
        self._epoch = 0  # set from the checkpoint store when reading starts

    def _stopped(self) -> bool:
        return self._stopping

    def stop(self) -> None:
        """Finish the batch in hand and end (checkpoints acknowledged so far are saved)."""
        self._stopping = True
        if self._sleep_scope is not None:
            self._sleep_scope.cancel()

    async def save_checkpoints(self) -> None:
        """Save the acknowledged positions that moved (the runtime may call it after the last ack).

        Saves are taken one at a time: the runtime's periodic save may run while the source saves
        its own, and the older of two interleaved saves must not land last (a checkpoint moving back).
        A save is not cancelled halfway: the positions it took from the ledger are no longer there
        for the next save (a periodic save cancelled at shutdown lost the last positions).
        """
        with anyio.CancelScope(shield=True):
            async with self._saving:
                self._last_save = anyio.current_time()
                for path, (inode, offset) in self._ledger.take_changed().items():
                    await self._store.save(self.name, path, inode, offset)

    async def batches(self) -> AsyncIterator[SourceBatch]:
        """Yield batches until every file is read (or, with ``follow``, until ``stop``)."""
        try:
            self._epoch = await self._line_epoch()
            await self._discover(initial=True)
            if self._follow:
                async with aclosing(self._follow_files()) as followed:
                    async for batch in followed:
                        yield batch
            else:
                for path in list(self._tails):  # glob order, a rotated file before its successor
                    tail = self._tails[path]
                    drain = (
                        file_spans(
                            self.name, tail, self._ledger, self._epoch, self._span_bytes, self._stopped
                        )
                        if self._span_bytes
                        else self._drain(tail)
                    )
                    async with aclosing(drain) as rest:
                        async for batch in rest:
                            yield batch
                            # A long file keeps its progress too: a crash re-reads seconds, not all.
                            if (
                                self._ledger.has_changes
                                and anyio.current_time() - self._last_save >= self._save_every
                            ):
                                await self.save_checkpoints()
            await self.save_checkpoints()
        finally:
            for tail in self._tails.values():
                tail.discard()
            self._tails.clear()

    async def _follow_files(self) -> AsyncGenerator[SourceBatch, None]:
        while not self._stopping:
            progressed = False
            for tail in list(self._tails.values()):
                for _ in range(_BATCHES_PER_ROUND):
                    if self._stopping:
                        return
                    await tail.fill(self._batch_size, self._read_size, blocks=self._raw)
                    batch = await self._batches.take(tail, self._epoch)
                    if batch is not None:
                        progressed = True
                        yield batch
                    if tail.at_eof and not tail.splitter.ready:
                        break
                if not (tail.at_eof and not tail.splitter.ready):
                    continue
                match await tail.change():
                    case PathChange.SAME:
                        pass
                    case PathChange.TRUNCATED:
                        tail.rewind()
                        # The checkpoint goes back to 0 too (after what is still in flight): else a
                        # restart would resume at the old offset of the new content.
                        self._ledger.issue(tail.path, tail.inode, 0)()
                        progressed = True
                    case PathChange.MOVED:
                        async with aclosing(self._drain(tail)) as rest:
                            async for batch in rest:
                                yield batch
                        if self._stopping:
                            return
                        await self._retire(tail)
                        progressed = True
            await self._discover(initial=False)
            if self._ledger.has_changes and anyio.current_time() - self._last_save >= self._save_every:
                await self.save_checkpoints()
            if not progressed:
                await self._sleep()

    async def _drain(self, tail: FileTail) -> AsyncGenerator[SourceBatch, None]:
        """Read ``tail`` to its end; its last line counts even without a newline."""
        while not self._stopping:
            await tail.fill(self._batch_size, self._read_size, blocks=self._raw)
            if tail.at_eof:
                tail.splitter.finish()
            batch = await self._batches.take(tail, self._epoch, final=tail.at_eof)
            if batch is not None:
                yield batch
            if tail.at_eof and not tail.splitter.ready:
                return

    async def _line_epoch(self) -> int:
        """The source's id epoch: the one saved, or now (saved before any line gets an id)."""
        saved = await self._store.load(self.name, EPOCH_PATH)
        if saved is not None:
            return saved[0]
        epoch = int(self._clock.now() * 1000)
        await self._store.save(self.name, EPOCH_PATH, epoch, 0)
        return epoch

    async def _retire(self, tail: FileTail) -> None:
        """Close a file rotated away or deleted (read to its end) and open what is now at its path."""
        head = await tail.close()
        self._done[tail.inode] = (tail.splitter.offset, head)
        del self._tails[tail.path]
        self._batches.forget(tail)
        await self._open(tail.path, rotated=True)

    async def _discover(self, *, initial: bool) -> None:
        for path in await anyio.to_thread.run_sync(_glob, self._pattern):
            if path not in self._tails:
                await self._open(path, initial=initial)

    async def _open(self, path: str, *, initial: bool = False, rotated: bool = False) -> None:
        """Open ``path`` from 0 when it replaced a rotated file, else from where ``_resume`` says."""
        opened = await open_file(path)
        if opened is None:
            return
        handle, inode, size = opened
        if any(t.inode == inode for t in self._tails.values()):  # still read at its old path
            handle.close()
            return
        offset = 0 if rotated else await self._resume(path, inode, size, initial=initial)
        self._tails[path] = FileTail(path, handle, inode, offset, self._max_line_bytes, self._clock)

    async def _resume(self, path: str, inode: int, size: int, *, initial: bool) -> int:
        """The checkpoint's offset (same inode), 0 (another inode), or where ``start_at`` says."""
        saved = await self._store.load(self.name, path)
        if saved is not None:
            saved_inode, saved_offset = saved
            if saved_inode == inode:
                return saved_offset if saved_offset <= size else 0
            await self._open_rotated(path, saved_inode, saved_offset)  # rotated while we were down
            return 0
        done = self._done.get(inode)
        if done is not None and done[0] <= size:
            offset, head = done
            if await anyio.to_thread.run_sync(read_head, path, len(head)) == head:
                self._ledger.issue(path, inode, offset)()  # a file we read, renamed into the glob
                return offset
        return size if initial and self._start_at == "end" else 0

    async def _open_rotated(self, path: str, inode: int, offset: int) -> None:
        """Read the rest of ``path``'s old inode, found in its folder under another name, first."""
        tail = await open_rotated(path, inode, offset, self._tails, self._max_line_bytes, self._clock)
        if tail is not None:
            self._tails[tail.path] = tail

    async def _sleep(self) -> None:
        with anyio.CancelScope() as scope:
            self._sleep_scope = scope
            if self._stopping:
                scope.cancel()
            await anyio.sleep(self._poll)
        self._sleep_scope = None
