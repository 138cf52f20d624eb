"""The committer keeping functions' state (``window``, ``dedupe``, ``throttle``) on a real SQLite file:
a commit holds the router until the batches it dispatched are done, then saves their state with
the checkpoints that cover them; a last commit with batches left undone saves nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import anyio
import pytest
from anyio.lowlevel import checkpoint

from pipeflow.domain.json import Json
from pipeflow.infrastructure.actors.committer import Committer
from pipeflow.infrastructure.sqlite.checkpoints import SqliteCheckpointStore
from pipeflow.infrastructure.sqlite.function_state import SqliteFunctionState
from pipeflow.infrastructure.sqlite.sink_commits import SqliteSinkCommits
from pipeflow.infrastructure.sqlite.state_db import open_state_db


class Stores:
    """The state database's stores and a committer whose state is ``self.state``."""

    def __init__(self, checkpoints: SqliteCheckpointStore, snapshots: SqliteFunctionState) -> None:
        self.checkpoints = checkpoints
        self.snapshots = snapshots
        self.state: dict[str, Any] = {"seen": 0}
        self.committer: Committer

    def states(self) -> list[tuple[str, int, Json]]:
        """What the run hands the committer: each stateful function's snapshot now."""
        return [("keep", 0, dict(self.state))]


async def _database(db: str) -> tuple[aiosqlite.Connection, Stores]:
    """The state database at ``db`` with its tables, and its stores (no committer yet)."""
    conn = await open_state_db(db)
    checkpoints = SqliteCheckpointStore(conn)
    await checkpoints.ensure()
    await SqliteSinkCommits(conn).ensure()
    snapshots = SqliteFunctionState(conn)
    await snapshots.ensure()
    return conn, Stores(checkpoints, snapshots)


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[Stores]:
    db = str(tmp_path / "state.db")
    conn, found = await _database(db)
    found.committer = await Committer.open(db, found.checkpoints, {}, {}, found.states)
    try:
        yield found
    finally:
        await found.committer.aclose()
        await conn.close()


async def _held(committer: Committer) -> bool:
    """Whether the router would wait before planning its next batch."""
    with anyio.move_on_after(0.05) as scope:
        await committer.admit()
    return scope.cancelled_caught


async def test_a_commit_waits_for_the_batches_dispatched_then_saves_their_state_with_the_checkpoint(
    stores: Stores,
) -> None:
    committer = stores.committer
    assert committer.keeps_state
    seq = committer.issue(None)
    stores.state["seen"] = 1  # batch 0 was planned: the state holds it, its sink has not written it yet
    async with anyio.create_task_group() as group:
        group.start_soon(committer.flush, [])
        await anyio.wait_all_tasks_blocked()
        assert await _held(committer)  # no batch is planned while the commit waits
        assert await stores.snapshots.load("keep", 0) is None
        await committer.save("app", "/in.ndjson", 7, 120)  # batch 0's ack moves its source
        committer.done(seq)
    assert await stores.snapshots.load("keep", 0) == {"seen": 1}
    assert await stores.checkpoints.load("app", "/in.ndjson") == (7, 120)
    assert not await _held(committer)


async def test_a_last_commit_with_a_batch_left_undone_saves_neither_its_state_nor_any_checkpoint(
    stores: Stores,
) -> None:
    committer = stores.committer
    done = committer.issue(None)
    stores.state["seen"] = 1
    await committer.save("app", "/in.ndjson", 7, 120)
    committer.done(done)
    committer.issue(None)  # cancelled with the run: never done
    stores.state["seen"] = 2
    await committer.flush([], final=True)
    assert await stores.snapshots.load("keep", 0) is None
    assert await stores.checkpoints.load("app", "/in.ndjson") is None


async def test_a_commit_cancelled_while_it_waits_lets_the_router_go_and_saves_nothing(stores: Stores) -> None:
    committer = stores.committer
    committer.issue(None)
    stores.state["seen"] = 1
    with anyio.move_on_after(0.05) as scope:
        await committer.flush([])
    assert scope.cancelled_caught
    await checkpoint()
    assert not await _held(committer)
    assert await stores.snapshots.load("keep", 0) is None


async def test_a_state_unchanged_since_the_last_commit_is_not_written_again(stores: Stores) -> None:
    committer = stores.committer
    await committer.flush([])
    assert committer.commits == 1  # the state as restored, once
    await committer.flush([])
    assert committer.commits == 1
    stores.state["seen"] = 5
    await committer.flush([])
    assert committer.commits == 2
    assert await stores.snapshots.load("keep", 0) == {"seen": 5}


async def test_a_commit_that_waits_past_its_bound_lets_the_router_go_and_saves_nothing(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "state.db")
    conn, stores = await _database(db)
    for hold_s in (0.05, 0.0):  # a sink that never finishes in time; a run whose sinks gather (0)
        committer = await Committer.open(db, stores.checkpoints, {}, {}, stores.states, hold_s)
        try:
            committer.issue(None)
            stores.state["seen"] = 1
            with anyio.fail_after(1):
                await committer.flush([])
            assert committer.commits == 0
            assert not await _held(committer)
            assert await stores.snapshots.load("keep", 0) is None
        finally:
            await committer.aclose()
    await conn.close()
