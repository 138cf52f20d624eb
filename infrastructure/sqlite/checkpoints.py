"""``SqliteCheckpointStore``: file-source checkpoints in the SQLite state database.

Each ``save`` is an upsert followed by a commit, so a checkpoint that ``save`` returned from
survives a crash (``kill -9``). File sources coalesce their saves, so this is not per batch.
"""

from __future__ import annotations

from typing import final

import aiosqlite

from pipeflow.infrastructure.sources.checkpoints import Checkpoint

__all__ = ["UPSERT_CHECKPOINT", "SqliteCheckpointStore"]

_CREATE = """
CREATE TABLE IF NOT EXISTS checkpoints (
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    inode INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    PRIMARY KEY (source, path)
)
"""

_LOAD = 'SELECT inode, "offset" FROM checkpoints WHERE source = ? AND path = ?'

UPSERT_CHECKPOINT = """
INSERT INTO checkpoints (source, path, inode, "offset") VALUES (?, ?, ?, ?)
ON CONFLICT (source, path) DO UPDATE SET inode = excluded.inode, "offset" = excluded."offset"
"""
"""Saves one checkpoint: parameters ``(source, path, inode, offset)``."""


@final
class SqliteCheckpointStore:
    """A ``CheckpointStore`` on an open aiosqlite connection (the caller owns the connection).

    :raises sqlite3.Error: from every method, when the database fails.
    """

    __slots__ = ("_conn",)

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def ensure(self) -> None:
        """Create the ``checkpoints`` table when it does not exist."""
        await self._conn.execute(_CREATE)
        await self._conn.commit()

    async def load(self, source: str, path: str) -> Checkpoint | None:
        """The saved ``(inode, offset)``, or ``None``."""
        async with self._conn.execute(_LOAD, (source, path)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    async def save(self, source: str, path: str, inode: int, offset: int) -> None:
        """Upsert the checkpoint and commit."""
        await self._conn.execute(UPSERT_CHECKPOINT, (source, path, inode, offset))
        await self._conn.commit()
