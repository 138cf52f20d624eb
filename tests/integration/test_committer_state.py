"""The committer keeping functions' state (``window``, ``dedupe``, ``throttle``) on a real SQLite file.

A snapshot is taken right after a batch is issued (as the router issues it after planning it); the
cut then stops after that batch, and once every batch up to it is done the snapshot is committed
with the checkpoints of exactly that cut. Nothing waits for anything: a batch still being written
only delays the commit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from pipeflow.domain.json import Json
from pipeflow.domain.ports import SourceBatch
from pipeflow.infrastructure.actors.committer import Committer
from pipeflow.infrastructure.sqlite.checkpoints import SqliteCheckpointStore
from pipeflow.infrastructure.sqlite.function_state import SqliteFunctionState
from pipeflow.infrastructure.sqlite.sink_commits import SqliteSinkCommits
from pipeflow.infrastructure.sqlite.state_db import open_state_db


class Source:
    """A file source as the committer sees it: acks move its position, saves stage it."""

    name = "app"

    def __init__(self) -> None:
        self.acked = 0
        self.committer: Committer

    def ack_to(self, offset: int) -> Callable[[], None]:
        """The ack of the batch that ends at ``offset``."""
        return lambda: setattr(self, "acked", max(self.acked, offset))

    async def save_checkpoints(self) -> None:
        """Stage the acknowledged position."""
        if self.acked:
            await self.committer.save(self.name, "/in.ndjson", 7, self.acked)

    async def batches(self) -> AsyncIterator[SourceBatch]:
        """Not read here."""
        return
        yield

    def stop(self) -> None:
        """Nothing to stop."""


class Run:
    """The state database, a committer keeping ``state``, and its one source."""

    def __init__(self, conn: aiosqlite.Connection, committer: Committer, state: dict[str, Any]) -> None:
        self.conn = conn
        self.committer = committer
        self.state = state
        self.source = Source()
        self.source.committer = committer
        self.checkpoints = SqliteCheckpointStore(conn)
        self.snapshots = SqliteFunctionState(conn)

    def plan(self, seen: int, offset: int) -> int:
        """Plan a batch (the state moves) and issue it, as the router does; its number."""
        self.state["seen"] = seen
        return self.committer.issue(self.source.ack_to(offset))

    async def committed(self) -> tuple[Json | None, tuple[int, int] | None]:
        """The committed state and checkpoint."""
        return await self.snapshots.load("keep", 0), await self.checkpoints.load("app", "/in.ndjson")


@pytest.fixture
async def run(tmp_path: Path) -> AsyncIterator[Run]:
    db = str(tmp_path / "state.db")
    conn = await open_state_db(db)
    await SqliteCheckpointStore(conn).ensure()
    await SqliteSinkCommits(conn).ensure()
    await SqliteFunctionState(conn).ensure()
    state: dict[str, Any] = {"seen": 0}

    def states() -> list[tuple[str, int, Json]]:
        return [("keep", 0, dict(state))]

    committer = await Committer.open(db, SqliteCheckpointStore(conn), {}, {}, states)
    try:
        yield Run(conn, committer, state)
    finally:
        await committer.aclose()
        await conn.close()


async def test_a_snapshot_is_committed_with_the_checkpoint_of_exactly_its_batch(run: Run) -> None:
    c = run.committer
    assert c.keeps_state
    first = run.plan(seen=1, offset=100)  # the snapshot is taken here: {"seen": 1}, after batch 0
    second = run.plan(seen=2, offset=200)
    c.done(second)
    await c.flush([run.source])
    assert await run.committed() == (None, None)  # batch 0 is still being written
    c.done(first)
    assert run.source.acked == 100  # batch 1 is done, but the cut stops at the snapshot's batch
    await c.flush([run.source])
    assert await run.committed() == ({"seen": 1}, (7, 100))
    assert run.source.acked == 200  # then the cut moves on
    third = run.plan(seen=3, offset=300)  # the next snapshot: {"seen": 3}, after batch 2
    c.done(third)
    await c.flush([run.source])
    assert await run.committed() == ({"seen": 3}, (7, 300))


async def test_at_rest_a_snapshot_taken_now_covers_every_batch(run: Run) -> None:
    c = run.committer
    first = run.plan(seen=1, offset=100)
    c.done(first)
    await c.flush([run.source])
    assert await run.committed() == ({"seen": 1}, (7, 100))
    run.state["seen"] = 5  # (a state that moved with no batch: taken as it is, at rest)
    await c.flush([run.source])
    assert await run.committed() == ({"seen": 5}, (7, 100))


async def test_a_last_commit_with_a_batch_left_undone_keeps_to_the_snapshot_it_reached(run: Run) -> None:
    c = run.committer
    first = run.plan(seen=1, offset=100)
    second = run.plan(seen=2, offset=200)
    c.done(first)
    run.plan(seen=3, offset=300)  # cancelled with the run: never done
    c.done(second)
    await c.flush([run.source], final=True)
    assert await run.committed() == ({"seen": 1}, (7, 100))  # not 200: the state holds batch 2 too


async def test_a_last_commit_with_every_batch_done_commits_all_of_it(run: Run) -> None:
    c = run.committer
    first = run.plan(seen=1, offset=100)
    second = run.plan(seen=2, offset=200)
    c.done(second)
    c.done(first)
    await c.flush([run.source], final=True)
    assert await run.committed() == ({"seen": 2}, (7, 200))


async def test_a_state_unchanged_since_the_last_commit_is_not_written_again(run: Run) -> None:
    c = run.committer
    await c.flush([run.source])
    assert c.commits == 1  # the state as restored, once
    await c.flush([run.source])
    assert c.commits == 1
    run.state["seen"] = 5
    await c.flush([run.source])
    assert c.commits == 2
    assert await run.snapshots.load("keep", 0) == {"seen": 5}
