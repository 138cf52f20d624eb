"""The management store: the tables of pipelines, route tables and idempotency keys, on one connection.

Every version of a pipeline and of the route table is a row; ``current = 1`` marks the head.
A write is a compare-and-set on the head (``UPDATE ... SET current = 0 WHERE id = ? AND
version = ? AND current = 1``, then the rowcount), inside ``BEGIN IMMEDIATE``, so two writers
(tasks or processes) that expected the same version cannot both win. The connection is shared
by the three repositories; a lock keeps one task's transaction from seeing another's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from os import PathLike
from typing import Any, final

import aiosqlite
import anyio

from pipeflow.infrastructure.sqlite.state_db import Migration, open_state_db

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "management.0001_pipelines_routes_idempotency",
        (
            """CREATE TABLE IF NOT EXISTS pipelines (
                id TEXT NOT NULL,
                version INTEGER NOT NULL,
                doc TEXT NOT NULL,
                deleted INTEGER NOT NULL DEFAULT 0,
                current INTEGER NOT NULL DEFAULT 1,
                PRIMARY KEY (id, version)
            )""",
            "CREATE UNIQUE INDEX IF NOT EXISTS pipelines_head ON pipelines (id) WHERE current = 1",
            """CREATE TABLE IF NOT EXISTS route_tables (
                version INTEGER PRIMARY KEY,
                doc TEXT NOT NULL,
                current INTEGER NOT NULL DEFAULT 1
            )""",
            "CREATE UNIQUE INDEX IF NOT EXISTS route_tables_head ON route_tables (current) WHERE current = 1",
            """CREATE TABLE IF NOT EXISTS idempotency (
                key TEXT PRIMARY KEY,
                status INTEGER,
                body TEXT,
                created_at REAL NOT NULL
            )""",
        ),
    ),
    Migration(
        "management.0002_idempotency_created_at",
        ("CREATE INDEX IF NOT EXISTS idempotency_created_at ON idempotency (created_at)",),
    ),
)
"""The management tables' migrations, applied once each through ``state_db.migrate``."""


@final
class ManagementDb:
    """One aiosqlite connection with the management tables, and the lock that serializes its use.

    :raises sqlite3.Error: from every method, when the database fails.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = anyio.Lock()

    @staticmethod
    async def open(path: str | PathLike[str]) -> ManagementDb:
        """Open (or create) the database at ``path`` in WAL mode, with its own connection, migrated."""
        return ManagementDb(await open_state_db(path, MIGRATIONS))

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read and return every row."""
        async with self._lock, self._conn.execute(sql, params) as cur:
            return [tuple(r) for r in await cur.fetchall()]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed on exit, rolled back on an exception."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.rollback()
                raise
            await self._conn.commit()


async def one(conn: aiosqlite.Connection, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The first row of a query inside a transaction, or ``None``."""
    async with conn.execute(sql, params) as cur:
        row = await cur.fetchone()
    return None if row is None else tuple(row)


__all__ = ["MIGRATIONS", "ManagementDb", "one"]
