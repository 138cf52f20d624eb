"""``SqliteSinkCommits``: exactly-once file sinks' committed lengths, saved with the checkpoints.

``commit`` writes the sources' checkpoints, the sinks' lengths that match them and the stateful
functions' snapshots at the same cut (``function_state``, created by ``SqliteFunctionState``) in one
transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``): give it a connection of its own, so no other
statement on a shared connection commits half of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import final

import aiosqlite

from pipeflow.domain.sink_recovery import SinkCommit
from pipeflow.infrastructure.sqlite.checkpoints import UPSERT_CHECKPOINT
from pipeflow.infrastructure.sqlite.function_state import SAVE_SNAPSHOT

__all__ = ["SqliteSinkCommits"]

_CREATE = """
CREATE TABLE IF NOT EXISTS sink_commits (
    path TEXT PRIMARY KEY NOT NULL,
    device INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    length INTEGER NOT NULL,
    digest BLOB NOT NULL
)
"""

_UPSERT = """
INSERT INTO sink_commits (path, device, inode, length, digest) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (path) DO UPDATE SET device = excluded.device, inode = excluded.inode,
    length = excluded.length, digest = excluded.digest
"""


@final
class SqliteSinkCommits:
    """Committed lengths of file sinks, keyed by the file's absolute path (the caller owns ``conn``).

    :raises sqlite3.Error: from every method, when the database fails.
    """

    __slots__ = ("_conn",)

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def ensure(self) -> None:
        """Create the ``sink_commits`` table when it does not exist."""
        await self._conn.execute(_CREATE)
        await self._conn.commit()

    async def load(self, path: str) -> SinkCommit | None:
        """The commit saved for the file at ``path``, or ``None``."""
        sql = "SELECT device, inode, length, digest FROM sink_commits WHERE path = ?"
        async with self._conn.execute(sql, (path,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else SinkCommit(int(row[0]), int(row[1]), int(row[2]), bytes(row[3]))

    async def forget(self, paths: Iterable[str]) -> None:
        """Drop the commits of these files (they are written by something that does not commit)."""
        await self._conn.executemany("DELETE FROM sink_commits WHERE path = ?", [(p,) for p in paths])
        await self._conn.commit()

    async def commit(
        self,
        checkpoints: Sequence[tuple[str, str, int, int]],
        sinks: Mapping[str, SinkCommit],
        snapshots: Sequence[tuple[str, int, bytes]] = (),
    ) -> None:
        """Save ``(source, path, inode, offset)`` checkpoints, the sinks' commits and ``(pipeline id,
        function index, snapshot JSON)`` function snapshots in one transaction."""
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            await self._conn.executemany(UPSERT_CHECKPOINT, checkpoints)
            await self._conn.executemany(
                _UPSERT, [(p, c.device, c.inode, c.length, c.digest) for p, c in sinks.items()]
            )
            if snapshots:
                await self._conn.executemany(SAVE_SNAPSHOT, snapshots)
        except BaseException:
            await self._conn.rollback()
            raise
        await self._conn.commit()
