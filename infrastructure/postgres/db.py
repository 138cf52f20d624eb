"""``PostgresDb``: the management tables in PostgreSQL, one connection, and change notifications.

Every version of a pipeline and of the route table is a row; ``current`` marks the head. A write
takes a transaction-scoped advisory lock on what it changes (so two writers of the same pipeline,
in any process on any machine, take turns) and is then a compare-and-set on the head
(``UPDATE ... SET current = false WHERE id = %s AND version = %s AND current``, then the rowcount).
Each committed write sends ``NOTIFY`` on the database's change channel; ``changes()`` listens.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, LiteralString, final

import anyio
import psycopg
from psycopg import sql

from pipeflow.infrastructure.postgres.changes import Change, decode_change

__all__ = ["DEFAULT_CHANNEL", "SCHEMA", "PostgresDb"]

DEFAULT_CHANNEL = "pipeflow_changes"
"""The ``LISTEN``/``NOTIFY`` channel of the management tables (``_<schema>`` appended with a schema)."""

SCHEMA: tuple[LiteralString, ...] = (
    """CREATE TABLE IF NOT EXISTS pipeflow_pipelines (
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL,
        deleted BOOLEAN NOT NULL DEFAULT false,
        current BOOLEAN NOT NULL DEFAULT true,
        PRIMARY KEY (id, version)
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS pipeflow_pipelines_head ON pipeflow_pipelines (id) WHERE current",
    """CREATE TABLE IF NOT EXISTS pipeflow_route_tables (
        version INTEGER PRIMARY KEY,
        doc TEXT NOT NULL,
        current BOOLEAN NOT NULL DEFAULT true
    )""",
    """CREATE UNIQUE INDEX IF NOT EXISTS pipeflow_route_tables_head
        ON pipeflow_route_tables (current) WHERE current""",
    """CREATE TABLE IF NOT EXISTS pipeflow_idempotency (
        key TEXT PRIMARY KEY,
        status INTEGER,
        body TEXT,
        created_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS pipeflow_idempotency_created_at ON pipeflow_idempotency (created_at)",
)
"""The management tables, created when missing (under an advisory lock: workers may start together)."""

_SCHEMA_LOCK = 0x70697065  # the advisory lock key taken while creating the tables


@final
class PostgresDb:
    """One psycopg connection to the management tables, and the lock that serializes its use.

    A connection found broken is replaced on the next call. With ``schema`` the tables live in that
    schema (created when missing) and the change channel is ``pipeflow_changes_<schema>``.

    :raises psycopg.Error: from every method, when the database fails.
    """

    def __init__(self, url: str, conn: psycopg.AsyncConnection[tuple[Any, ...]], schema: str | None) -> None:
        self._url, self._conn, self._schema = url, conn, schema
        self._lock = anyio.Lock()
        self.channel = DEFAULT_CHANNEL if schema is None else f"{DEFAULT_CHANNEL}_{schema}"

    @staticmethod
    async def open(url: str, *, schema: str | None = None) -> PostgresDb:
        """Connect to ``url`` (``postgresql://...``) and create the tables when missing."""
        conn = await _connect(url, schema)
        try:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                for statement in SCHEMA:
                    await conn.execute(statement)
        except BaseException:
            await conn.close()
            raise
        return PostgresDb(url, conn, schema)

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    async def _connection(self) -> psycopg.AsyncConnection[tuple[Any, ...]]:
        if self._conn.closed or self._conn.broken:
            self._conn = await _connect(self._url, self._schema)
        return self._conn

    async def fetch(self, query: LiteralString, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read and return every row."""
        async with self._lock:
            conn = await self._connection()
            async with conn.cursor() as cur:
                await cur.execute(query, params)
                return await cur.fetchall()

    @asynccontextmanager
    async def transaction(self, *locks: str) -> AsyncIterator[psycopg.AsyncCursor[tuple[Any, ...]]]:
        """A transaction holding the advisory locks named ``locks``: committed on exit, else rolled back."""
        async with self._lock:
            conn = await self._connection()
            async with conn.transaction(), conn.cursor() as cur:
                for name in locks:
                    await cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (name,))
                yield cur

    async def notify(self, cur: psycopg.AsyncCursor[tuple[Any, ...]], change: Change) -> None:
        """Queue ``change`` on the channel; listeners get it when the transaction commits."""
        await cur.execute("SELECT pg_notify(%s, %s)", (self.channel, change.to_payload()))

    @asynccontextmanager
    async def changes(self) -> AsyncIterator[AsyncIterator[Change]]:
        """Listen on the change channel (on a connection of its own) and iterate the changes.

        Listening has begun when the block is entered, so a change committed after that is seen.
        The iterator raises ``psycopg.OperationalError`` when the connection is lost: a listener
        then reconnects and reads everything again, since changes made meanwhile were not seen.
        """
        conn = await _connect(self._url, self._schema)
        try:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            yield _changes(conn)
        finally:
            with anyio.CancelScope(shield=True):
                await conn.close()


async def _changes(conn: psycopg.AsyncConnection[tuple[Any, ...]]) -> AsyncIterator[Change]:
    async for notify in conn.notifies():
        change = decode_change(notify.payload)
        if change is not None:
            yield change


async def _connect(url: str, schema: str | None) -> psycopg.AsyncConnection[tuple[Any, ...]]:
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    if schema is not None:
        try:
            # Another worker may create it at the same moment: IF NOT EXISTS is not atomic.
            with contextlib.suppress(psycopg.errors.UniqueViolation):
                await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            await conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        except BaseException:
            await conn.close()
            raise
    return conn
