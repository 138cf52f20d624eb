"""The default dead-letter queue: a table in the SQLite state database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import final

import aiosqlite
import orjson

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.infrastructure.sinks.encode import record_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dead_letters (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    at REAL NOT NULL,
    source TEXT NOT NULL,
    route TEXT,
    record TEXT NOT NULL
)
"""


@final
class SqliteDeadLetterStore:
    """Appends dead-letter records to ``dead_letters``; lists and removes them for replay."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def ensure(self) -> None:
        """Create the table if it is not there."""
        await self.db.execute(_SCHEMA)
        await self.db.commit()

    async def write(self, records: Sequence[DeadLetter]) -> None:
        """Store the records in one transaction."""
        await self.db.executemany(
            "INSERT INTO dead_letters (id, at, source, route, record) VALUES (?, ?, ?, ?, ?)",
            [(r.id, r.at, r.source, r.route, record_json(r.to_json()).decode()) for r in records],
        )
        await self.db.commit()

    async def list(
        self, *, route: str | None = None, limit: int = 1000
    ) -> list[tuple[int, dict[str, object]]]:
        """Stored records, oldest first, with their sequence number."""
        sql = "SELECT seq, record FROM dead_letters"
        args: tuple[object, ...] = ()
        if route is not None:
            sql += " WHERE route = ?"
            args = (route,)
        sql += " ORDER BY seq LIMIT ?"
        async with self.db.execute(sql, (*args, limit)) as cur:
            return [(int(seq), orjson.loads(rec)) async for seq, rec in cur]

    async def remove(self, seqs: Sequence[int]) -> None:
        """Delete replayed records."""
        await self.db.executemany("DELETE FROM dead_letters WHERE seq = ?", [(s,) for s in seqs])
        await self.db.commit()

    async def count(self) -> int:
        """How many records are stored."""
        async with self.db.execute("SELECT COUNT(*) FROM dead_letters") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        """Nothing to release: the connection belongs to the caller."""


__all__ = ["SqliteDeadLetterStore"]
