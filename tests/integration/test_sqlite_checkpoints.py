from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from pipeflow.infrastructure.sources.checkpoints import CheckpointStore, MemoryCheckpointStore
from pipeflow.infrastructure.sqlite.checkpoints import SqliteCheckpointStore


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CheckpointStore]:
    if request.param == "memory":
        yield MemoryCheckpointStore()
        return
    async with aiosqlite.connect(tmp_path / "state.db") as conn:
        sqlite = SqliteCheckpointStore(conn)
        await sqlite.ensure()
        yield sqlite


async def test_nothing_saved_loads_none(store: CheckpointStore) -> None:
    assert await store.load("app", "/var/log/a.log") is None


async def test_save_then_load_and_overwrite(store: CheckpointStore) -> None:
    await store.save("app", "/a.log", 11, 100)
    assert await store.load("app", "/a.log") == (11, 100)
    await store.save("app", "/a.log", 12, 5)  # rotated: another inode, a smaller offset
    assert await store.load("app", "/a.log") == (12, 5)


async def test_checkpoints_are_kept_per_source_and_path(store: CheckpointStore) -> None:
    await store.save("app", "/a.log", 1, 10)
    await store.save("app", "/b.log", 2, 20)
    await store.save("web", "/a.log", 3, 30)
    assert [await store.load(s, p) for s, p in [("app", "/a.log"), ("app", "/b.log"), ("web", "/a.log")]] == [
        (1, 10),
        (2, 20),
        (3, 30),
    ]
    assert await store.load("web", "/b.log") is None


async def test_offsets_past_two_gib_round_trip(store: CheckpointStore) -> None:
    await store.save("app", "/big.log", 2**40, 2**33 + 7)
    assert await store.load("app", "/big.log") == (2**40, 2**33 + 7)


async def test_sqlite_checkpoints_survive_a_new_connection_and_ensure_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    async with aiosqlite.connect(db) as conn:
        store = SqliteCheckpointStore(conn)
        await store.ensure()
        await store.ensure()
        await store.save("app", "/a.log", 7, 70)
    async with aiosqlite.connect(db) as conn:  # committed: another connection sees it
        store = SqliteCheckpointStore(conn)
        await store.ensure()
        assert await store.load("app", "/a.log") == (7, 70)
        async with conn.execute('SELECT source, path, inode, "offset" FROM checkpoints') as cursor:
            assert list(await cursor.fetchall()) == [("app", "/a.log", 7, 70)]
