"""The committer of exactly-once file sinks: checkpoints and the sinks' lengths, saved in one transaction.

It stands between the runtime and the sources. As the topology's ``Sequencer`` it numbers batches
in dispatch order and hands their acks to the sources only in that order, once every batch before
is done (``domain.commit_ledger``); so at any moment the sources' acknowledged positions and the
ledger's sink lengths describe the same cut. As the sources' ``CheckpointStore`` it only stages
their saves; ``flush`` takes the staged checkpoints and the matching sink lengths at one instant and
writes both in one SQLite transaction, then tells each ``BrokerSource`` (Kafka) which of its
checkpoints it committed, so its broker never hears of a position before it is committed here. A
restart cuts each sink's file back to its committed length (``FileSink`` with ``exact``) and the
sources read on from the committed checkpoints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Protocol, final

import aiosqlite
import anyio

from pipeflow.domain.commit_ledger import CommitLedger
from pipeflow.domain.ports import BrokerSource, CheckpointingSource, EventSource
from pipeflow.domain.sink_recovery import SinkCommit
from pipeflow.infrastructure.sources.checkpoints import Checkpoint, CheckpointStore
from pipeflow.infrastructure.sources.file import EPOCH_PATH
from pipeflow.infrastructure.sqlite.sink_commits import SqliteSinkCommits
from pipeflow.infrastructure.sqlite.state_db import open_state_db

__all__ = ["COMMIT_EVERY_S", "CommittedSink", "Committer"]

_log = logging.getLogger("pipeflow.commit")

COMMIT_EVERY_S = 0.2
"""How often the committer saves what moved (as often as file sources saved their checkpoints)."""

_Ack = Callable[[], None] | None


class CommittedSink(Protocol):
    """A file sink whose length is committed: its path and its commit at a length it had."""

    @property
    def path(self) -> str:
        """The file's absolute path (the commit's key)."""
        ...

    @property
    def opened_length(self) -> int:
        """The file's length when it was opened (cut back), before any write of this run."""
        ...

    def commit_at(self, length: int) -> SinkCommit | None:
        """The commit of the file at ``length``, or ``None`` when it was not opened."""
        ...


@final
class Committer:
    """Sequences batches, stages checkpoints, and commits them with the sinks' lengths (see module doc)."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        checkpoints: CheckpointStore,
        sinks: Mapping[str, CommittedSink],
        committed: Mapping[str, SinkCommit | None],
    ) -> None:
        self._conn = conn
        self._store = SqliteSinkCommits(conn)
        self._checkpoints = checkpoints
        self._sinks = dict(sinks)
        self._last = {sinks[name].path: c for name, c in committed.items() if c is not None and name in sinks}
        self._ledger: CommitLedger[_Ack] = CommitLedger()
        self._staged: dict[tuple[str, str], Checkpoint] = {}
        self._lock = anyio.Lock()
        self.commits = 0

    @classmethod
    async def open(
        cls,
        db_path: str,
        checkpoints: CheckpointStore,
        sinks: Mapping[str, CommittedSink],
        committed: Mapping[str, SinkCommit | None],
    ) -> Committer:
        """A committer with a connection of its own to the state database at ``db_path``.

        :raises sqlite3.Error: the database cannot be opened.
        """
        return cls(await open_state_db(db_path), checkpoints, sinks, committed)

    async def aclose(self) -> None:
        """Close the committer's connection (even when cancelled)."""
        with anyio.CancelScope(shield=True):
            await self._conn.close()

    # -- the sources' CheckpointStore ---------------------------------------------------------

    async def load(self, source: str, path: str) -> Checkpoint | None:
        """The committed checkpoint (a staged one is not committed yet)."""
        return await self._checkpoints.load(source, path)

    async def save(self, source: str, path: str, inode: int, offset: int) -> None:
        """Stage a checkpoint for the next commit (a source's id epoch is saved at once)."""
        if path == EPOCH_PATH:  # no position: the ids of lines must survive any crash
            await self._checkpoints.save(source, path, inode, offset)
        else:
            self._staged[(source, path)] = (inode, offset)

    # -- the topology's Sequencer -------------------------------------------------------------

    def issue(self, ack: _Ack) -> int:
        """Number the next dispatched batch."""
        return self._ledger.issue(ack)

    def done(self, seq: int) -> None:
        """Batch ``seq`` is done: hand the sources the acks of the batches committed by it, in order."""
        for ack in self._ledger.done(seq):
            if ack is not None:
                ack()

    def recorder(self, seq: int, sink: str) -> Callable[[int], None] | None:
        """What records ``sink``'s length after batch ``seq`` (``None`` for sinks not committed)."""
        return partial(self._ledger.wrote, seq, sink) if sink in self._sinks else None

    # -- committing ---------------------------------------------------------------------------

    async def run(self, sources: Iterable[EventSource], every_s: float = COMMIT_EVERY_S) -> None:
        """Commit what moved every ``every_s`` seconds (until cancelled)."""
        listed = list(sources)
        while True:
            await anyio.sleep(every_s)
            await self.flush(listed)

    async def flush(self, sources: Iterable[EventSource]) -> None:
        """Commit the sources' acknowledged checkpoints with the sinks' lengths at the same cut.

        :raises sqlite3.Error: the transaction failed (nothing of it is saved).
        """
        listed = list(sources)
        with anyio.CancelScope(shield=True):  # a transaction is never left half done
            async with self._lock:
                while True:  # the checkpoints drained and the lengths must belong to one cut
                    cut = self._ledger.cut
                    for source in listed:
                        if isinstance(source, CheckpointingSource):
                            await source.save_checkpoints()
                    if self._ledger.cut == cut:
                        break
                staged, self._staged = self._staged, {}
                sinks = self._sink_commits()
                if not staged and not sinks:
                    return
                rows = [(src, path, inode, offset) for (src, path), (inode, offset) in staged.items()]
                try:
                    await self._store.commit(rows, sinks)
                except BaseException:
                    self._staged = {**staged, **self._staged}  # tried again next time
                    raise
                self._last.update(sinks)
                self.commits += 1
                for source in listed:  # now a broker may be told how far its source has read
                    if isinstance(source, BrokerSource):
                        mine = {path: at for (name, path), at in staged.items() if name == source.name}
                        if mine:
                            source.checkpoints_committed(mine)

    def _sink_commits(self) -> dict[str, SinkCommit]:
        """The commits of the sinks at the ledger's cut that differ from the last saved."""
        lengths = self._ledger.lengths
        out: dict[str, SinkCommit] = {}
        for name, sink in self._sinks.items():
            try:
                commit = sink.commit_at(lengths.get(name, sink.opened_length))
            except OSError as exc:  # the file went away: its last commit stays
                _log.warning("sink %s: cannot read its file to commit it: %s", name, exc)
                continue
            if commit is not None and commit != self._last.get(sink.path):
                out[sink.path] = commit
        return out
