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
also holds the functions' state at the same cut. State moves when a batch is planned, so a flush
holds the router (``admit``) and waits, a bounded while, until every batch it dispatched is done:
the state then covers exactly the batches the checkpoints cover, and a restart after ``kill -9``
neither replays into the state what it holds nor misses what it does not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Protocol, final

import aiosqlite
import anyio
import orjson

from pipeflow.domain.commit_ledger import CommitLedger
from pipeflow.domain.json import Json
from pipeflow.domain.ports import BrokerSource, CheckpointingSource, EventSource
from pipeflow.domain.sink_recovery import SinkCommit
from pipeflow.infrastructure.sources.checkpoints import Checkpoint, CheckpointStore
from pipeflow.infrastructure.sources.file import EPOCH_PATH
from pipeflow.infrastructure.sqlite.sink_commits import SqliteSinkCommits
from pipeflow.infrastructure.sqlite.state_db import open_state_db

__all__ = ["COMMIT_EVERY_S", "HOLD_S", "CommittedSink", "Committer", "States"]

_log = logging.getLogger("pipeflow.commit")

COMMIT_EVERY_S = 0.2
"""How often the committer saves what moved (as often as file sources saved their checkpoints)."""

_Ack = Callable[[], None] | None

HOLD_S = 2.0
"""How long a commit of functions' state holds the router for the batches in flight to be done
(a few milliseconds for file sinks; past it, this commit is skipped and the next one tries again)."""

States = Callable[[], list[tuple[str, int, Json]]]
"""The stateful functions' snapshots now: ``(pipeline id, function index, snapshot)`` each."""


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
        hold_s: float = HOLD_S,
    ) -> None:
        self._conn = conn
        self._states = states
        self._hold_s = hold_s
        self._held: anyio.Event | None = None  # set when a flush that held the router is over
        self._drained: anyio.Event | None = None  # set by ``done`` once every dispatched batch is done
        self._last_states: dict[tuple[str, int], bytes] = {}  # the snapshots the last commits saved
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
        hold_s: float = HOLD_S,
    ) -> Committer:
        """A committer with a connection of its own to the state database at ``db_path``; with
        ``states``, each commit holds the stateful functions' snapshots too (see the module's doc),
        the router held up to ``hold_s`` for the batches in flight (0: never held for them).

        :raises sqlite3.Error: the database cannot be opened.
        """
        return cls(await open_state_db(db_path), checkpoints, sinks, committed, states, hold_s)

    @property
    def keeps_state(self) -> bool:
        """Whether commits hold the stateful functions' snapshots (the run need not save them)."""
        return self._states is not None

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
        if self._drained is not None and self._ledger.cut == self._ledger.issued:
            self._drained.set()

    async def admit(self) -> None:
        """Return once the router may plan its next batch (at once, unless a flush holds it)."""
        while self._held is not None:
            await self._held.wait()

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

        Keeping state, the functions' snapshots go with them, taken when every batch dispatched is
        done and the router is held (see ``_at_rest``); when no such moment comes, nothing is
        committed this time and the last commit stands. A ``final`` flush, after the run, does not
        wait: with batches left undone (the run was cancelled) it commits nothing.

        :raises sqlite3.Error: the transaction failed (nothing of it is saved).
        """
        listed = list(sources)
        async with self._lock:
            if self._states is None:
                await self._commit(listed, [])
                return
            self._held = held = anyio.Event()
            try:
                if await self._at_rest(final):
                    await self._commit(listed, self._snapshots())
            finally:
                self._held = self._drained = None
                held.set()

    async def _at_rest(self, final: bool) -> bool:
        """Whether every batch dispatched is done, waiting up to ``hold_s`` for it (the router is
        held meanwhile) unless this is the ``final`` flush or the run has sinks that gather (their
        parts are done only when a group is written, by size or age: holding the router would stall
        it for that long, so only a moment at rest that comes by itself is taken)."""
        if self._ledger.cut == self._ledger.issued:
            return True
        if final or not self._hold_s:
            if final:
                _log.warning("batches left undone: the last commit stands, their input is read again")
            return False
        self._drained = anyio.Event()
        with anyio.move_on_after(self._hold_s):
            await self._drained.wait()
        return self._ledger.cut == self._ledger.issued

    def _snapshots(self) -> list[tuple[str, int, bytes]]:
        """The stateful functions' snapshots now, encoded (only those that changed since the last commit)."""
        assert self._states is not None
        encoded = [(pid, index, orjson.dumps(snapshot)) for pid, index, snapshot in self._states()]
        return [row for row in encoded if self._last_states.get(row[:2]) != row[2]]

    async def _commit(self, listed: list[EventSource], states: list[tuple[str, int, bytes]]) -> None:
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
            self._last_states.update(((pid, index), data) for pid, index, data in states)
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
