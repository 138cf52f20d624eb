"""``SqliteFunctionState``: the snapshots of stateful functions (``window``), in the state database.

A snapshot is keyed by the pipeline id and the function's index in that pipeline; ``save`` is
an upsert followed by a commit, so what ``save`` returned from survives a crash.
"""

from __future__ import annotations

from typing import final

import aiosqlite
import orjson

from pipeflow.domain.json import Json
from pipeflow.infrastructure.sqlite.state_db import Migration, migrate

__all__ = ["MIGRATIONS", "SAVE_SNAPSHOT", "SqliteFunctionState"]

MIGRATIONS = (
    Migration(
        "function_state.create",
        (
            """
            CREATE TABLE IF NOT EXISTS function_state (
                pipeline_id TEXT NOT NULL,
                fn_index INTEGER NOT NULL,
                snapshot BLOB NOT NULL,
                PRIMARY KEY (pipeline_id, fn_index)
            )
            """,
        ),
    ),
)

_LOAD = "SELECT snapshot FROM function_state WHERE pipeline_id = ? AND fn_index = ?"
SAVE_SNAPSHOT = """
INSERT INTO function_state (pipeline_id, fn_index, snapshot) VALUES (?, ?, ?)
ON CONFLICT (pipeline_id, fn_index) DO UPDATE SET snapshot = excluded.snapshot
"""
"""Saves one snapshot: parameters ``(pipeline_id, fn_index, snapshot)`` (the snapshot as JSON bytes)."""
_DELETE = "DELETE FROM function_state WHERE pipeline_id = ?"


@final
class SqliteFunctionState:
    """Function snapshots on an open state database connection (the caller owns the connection).

    :raises sqlite3.Error: from every method, when the database fails.
    """

    __slots__ = ("_conn",)

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def ensure(self) -> None:
        """Apply this store's migrations (creates the ``function_state`` table once)."""
        await migrate(self._conn, MIGRATIONS)

    async def load(self, pipeline_id: str, index: int) -> Json | None:
        """The last snapshot saved for this function, or ``None``."""
        async with self._conn.execute(_LOAD, (pipeline_id, index)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        snapshot: Json = orjson.loads(row[0])
        return snapshot

    async def save(self, pipeline_id: str, index: int, snapshot: Json) -> None:
        """Store the snapshot (replacing the previous one) and commit."""
        await self._conn.execute(SAVE_SNAPSHOT, (pipeline_id, index, orjson.dumps(snapshot)))
        await self._conn.commit()

    async def forget(self, pipeline_id: str) -> None:
        """Remove every snapshot of a pipeline (when it is deleted) and commit."""
        await self._conn.execute(_DELETE, (pipeline_id,))
        await self._conn.commit()
