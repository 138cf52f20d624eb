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

With ``states`` (the snapshots of stateful functions: ``window``, ``dedupe``, ``throttle``) a commit
also holds the functions' state at the same cut: a snapshot is taken right after a batch is issued,
and committed once the cut reaches that batch, with the checkpoints and lengths of exactly that cut
(``state_points``). The state then covers exactly the batches the checkpoints cover, and a restart
after ``kill -9`` neither replays into the state what it holds nor misses what it does not.
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
from pipeflow.infrastructure.actors.state_points import Snapshots, StatePoints, States
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
        states: States | None = None,
    ) -> None:
        self._conn = conn
        self._points = StatePoints(states) if states is not None else None
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
        states: States | None = None,
    ) -> Committer:
        """A committer with a connection of its own to the state database at ``db_path``; with
        ``states``, each commit holds the stateful functions' snapshots too (see the module's doc).

        :raises sqlite3.Error: the database cannot be opened.
        """
        return cls(await open_state_db(db_path), checkpoints, sinks, committed, states)

    @property
    def keeps_state(self) -> bool:
        """Whether commits hold the stateful functions' snapshots (the run need not save them)."""
        return self._points is not None

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
        """Number the next dispatched batch (called right after it is planned: keeping state, a
        snapshot may be taken here, and the cut then stops after this batch until it is committed)."""
        seq = self._ledger.issue(ack)
        if self._points is not None and self._points.take_after(seq):
            _release(self._ledger.hold_at(seq))
        return seq

    def done(self, seq: int) -> None:
        """Batch ``seq`` is done: hand the sources the acks of the batches committed by it, in order."""
        _release(self._ledger.done(seq))

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

    async def flush(self, sources: Iterable[EventSource], *, final: bool = False) -> None:
        """Commit the sources' acknowledged checkpoints with the sinks' lengths at the same cut.

        Keeping state: the pending snapshot once the cut has reached it, or, with every batch done
        (and no snapshot pending), one taken now. A ``final`` flush, after the run, with every batch
        done commits all of it; with batches left undone (the run was cancelled) at most the pending
        snapshot's cut.

        :raises sqlite3.Error: the transaction failed (nothing of it is saved).
        """
        listed = list(sources)
        async with self._lock:
            points = self._points
            if points is None:
                await self._commit(listed, [])
                return
            if final and self._ledger.all_done:
                points.pending = None  # everything is done: the state now covers all of it
                _release(self._ledger.hold_at(None))
            pending = points.pending
            if pending is not None and self._ledger.cut > pending[0]:  # the cut is the snapshot's
                await self._commit(listed, points.changed(pending[1]))
                points.pending = None
                _release(self._ledger.hold_at(None))
            elif pending is None and self._ledger.cut == self._ledger.issued:  # at rest: take one now
                _release(self._ledger.hold_at(self._ledger.issued - 1))  # none joins while committing
                try:
                    await self._commit(listed, points.changed(points.take()))
                finally:
                    _release(self._ledger.hold_at(None))
            elif final:
                _log.warning("batches left undone: the last commit stands, their input is read again")

    async def _commit(self, listed: list[EventSource], states: Snapshots) -> None:
        with anyio.CancelScope(shield=True):  # a transaction is never left half done
            while True:  # the checkpoints drained and the lengths must belong to one cut
                cut = self._ledger.cut
                for source in listed:
                    if isinstance(source, CheckpointingSource):
                        await source.save_checkpoints()
                if self._ledger.cut == cut:
                    break
            staged, self._staged = self._staged, {}
            sinks = self._sink_commits()
            if not staged and not sinks and not states:
                return
            rows = [(src, path, inode, offset) for (src, path), (inode, offset) in staged.items()]
            try:
                await self._store.commit(rows, sinks, states)
            except BaseException:
                self._staged = {**staged, **self._staged}  # tried again next time
                raise
            self._last.update(sinks)
            if self._points is not None:
                self._points.saved(states)
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


def _release(acks: list[_Ack]) -> None:
    """Hand the sources the acks of batches the cut took in, in order."""
    for ack in acks:
        if ack is not None:
            ack()
