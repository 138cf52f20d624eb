"""SQLite adapters of the repository ports: ``SqlitePipelineRepository``, ``SqliteRouteTableRepository``,
``SqliteIdempotencyStore``, all on one ``ManagementDb``.

Documents are stored and read back through ``infrastructure.stored_documents``.

:raises sqlite3.Error: from every method, when the database fails.
:raises StoredDocumentInvalid: a stored document no longer decodes (the file was edited by hand).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import final

import aiosqlite
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import ConcurrencyConflict, NotFound
from pipeflow.domain.pipeline import Pipeline, PipelineId
from pipeflow.domain.repositories import (
    ABANDONED_AFTER_S,
    KEY_KEPT_S,
    KEYS_PURGED_PER_CLAIM,
    InProgress,
    StoredAnswer,
)
from pipeflow.domain.routes import RouteTable
from pipeflow.infrastructure.sqlite.management_db import ManagementDb, one
from pipeflow.infrastructure.stored_documents import dump_document, load_pipeline, load_route_table


@final
class SqlitePipelineRepository:
    """``PipelineRepository`` on SQLite: one row per version, a tombstone row per delete."""

    def __init__(self, db: ManagementDb) -> None:
        self._db = db

    async def get(self, pipeline_id: PipelineId) -> Result[Pipeline, NotFound]:
        """The current version of a live pipeline."""
        rows = await self._db.fetch(
            "SELECT doc FROM pipelines WHERE id = ? AND current = 1 AND deleted = 0", (pipeline_id,)
        )
        return Success(load_pipeline(rows[0][0])) if rows else Failure(NotFound("pipeline", pipeline_id))

    async def get_version(self, pipeline_id: PipelineId, version: int) -> Result[Pipeline, NotFound]:
        """One stored version (tombstones are not versions)."""
        rows = await self._db.fetch(
            "SELECT doc FROM pipelines WHERE id = ? AND version = ? AND deleted = 0", (pipeline_id, version)
        )
        if not rows:
            return Failure(NotFound("pipeline version", f"{pipeline_id}@{version}"))
        return Success(load_pipeline(rows[0][0]))

    async def history(self, pipeline_id: PipelineId) -> Sequence[Pipeline]:
        """Every stored version, oldest first."""
        rows = await self._db.fetch(
            "SELECT doc FROM pipelines WHERE id = ? AND deleted = 0 ORDER BY version", (pipeline_id,)
        )
        return [load_pipeline(r[0]) for r in rows]

    async def list_page(self, after: PipelineId | None, limit: int) -> Sequence[Pipeline]:
        """Up to ``limit`` live pipelines with ids greater than ``after``, by id."""
        rows = await self._db.fetch(
            "SELECT doc FROM pipelines WHERE current = 1 AND deleted = 0 AND id > ? ORDER BY id LIMIT ?",
            (after or "", limit),
        )
        return [load_pipeline(r[0]) for r in rows]

    async def add(self, pipeline: Pipeline) -> Result[Pipeline, ConcurrencyConflict]:
        """Store version 1, or the next version after a tombstone; a live id is a conflict."""
        async with self._db.transaction() as conn:
            head = await one(
                conn, "SELECT version, deleted FROM pipelines WHERE id = ? AND current = 1", (pipeline.id,)
            )
            if head is None:
                version = 1
            elif not head[1]:
                return Failure(ConcurrencyConflict("pipeline", pipeline.id, 0, int(head[0])))
            else:
                await conn.execute(
                    "UPDATE pipelines SET current = 0 WHERE id = ? AND current = 1", (pipeline.id,)
                )
                version = int(head[0]) + 1
            stored = replace(pipeline, version=version)
            await conn.execute(
                "INSERT INTO pipelines (id, version, doc, deleted, current) VALUES (?, ?, ?, 0, 1)",
                (stored.id, version, dump_document(stored.to_json())),
            )
            return Success(stored)

    async def update(
        self, pipeline: Pipeline, expected: int
    ) -> Result[Pipeline, ConcurrencyConflict | NotFound]:
        """Compare-and-set: store version ``expected + 1`` if the head is live at ``expected``."""
        async with self._db.transaction() as conn:
            lost = await _supersede(conn, pipeline.id, expected)
            if lost is not None:
                return Failure(lost)
            stored = replace(pipeline, version=expected + 1)
            await conn.execute(
                "INSERT INTO pipelines (id, version, doc, deleted, current) VALUES (?, ?, ?, 0, 1)",
                (stored.id, stored.version, dump_document(stored.to_json())),
            )
            return Success(stored)

    async def delete(
        self, pipeline_id: PipelineId, expected: int
    ) -> Result[Pipeline, ConcurrencyConflict | NotFound]:
        """Compare-and-set a tombstone as version ``expected + 1``; returns the last live version."""
        async with self._db.transaction() as conn:
            last = await one(
                conn, "SELECT doc FROM pipelines WHERE id = ? AND version = ?", (pipeline_id, expected)
            )
            lost = await _supersede(conn, pipeline_id, expected)
            if lost is not None:
                return Failure(lost)
            assert last is not None  # the compare-and-set just matched this row
            await conn.execute(
                "INSERT INTO pipelines (id, version, doc, deleted, current) VALUES (?, ?, ?, 1, 1)",
                (pipeline_id, expected + 1, last[0]),
            )
            return Success(load_pipeline(last[0]))


async def _supersede(
    conn: aiosqlite.Connection, pipeline_id: str, expected: int
) -> ConcurrencyConflict | NotFound | None:
    cur = await conn.execute(
        "UPDATE pipelines SET current = 0 WHERE id = ? AND version = ? AND current = 1 AND deleted = 0",
        (pipeline_id, expected),
    )
    if cur.rowcount == 1:
        return None
    head = await one(
        conn, "SELECT version, deleted FROM pipelines WHERE id = ? AND current = 1", (pipeline_id,)
    )
    if head is None or head[1]:
        return NotFound("pipeline", pipeline_id)
    return ConcurrencyConflict("pipeline", pipeline_id, expected, int(head[0]))


@final
class SqliteRouteTableRepository:
    """``RouteTableRepository`` on SQLite: one row per version of the table."""

    def __init__(self, db: ManagementDb) -> None:
        self._db = db

    async def get(self) -> RouteTable:
        """The current table (empty at version 0 before the first write)."""
        rows = await self._db.fetch("SELECT doc FROM route_tables WHERE current = 1")
        return load_route_table(rows[0][0]) if rows else RouteTable((), 0)

    async def get_version(self, version: int) -> Result[RouteTable, NotFound]:
        """One stored version."""
        rows = await self._db.fetch("SELECT doc FROM route_tables WHERE version = ?", (version,))
        if not rows:
            return Failure(NotFound("routes version", str(version)))
        return Success(load_route_table(rows[0][0]))

    async def history(self) -> Sequence[RouteTable]:
        """Every stored version, oldest first."""
        rows = await self._db.fetch("SELECT doc FROM route_tables ORDER BY version")
        return [load_route_table(r[0]) for r in rows]

    async def put(self, table: RouteTable, expected: int) -> Result[RouteTable, ConcurrencyConflict]:
        """Compare-and-set: store version ``expected + 1`` if the head is at ``expected``."""
        async with self._db.transaction() as conn:
            if expected == 0:
                won = await one(conn, "SELECT version FROM route_tables WHERE current = 1", ()) is None
            else:
                cur = await conn.execute(
                    "UPDATE route_tables SET current = 0 WHERE version = ? AND current = 1", (expected,)
                )
                won = cur.rowcount == 1
            if not won:
                head = await one(conn, "SELECT version FROM route_tables WHERE current = 1", ())
                return Failure(
                    ConcurrencyConflict("routes", "routes", expected, None if head is None else int(head[0]))
                )
            stored = replace(table, version=expected + 1)
            await conn.execute(
                "INSERT INTO route_tables (version, doc, current) VALUES (?, ?, 1)",
                (stored.version, dump_document(stored.to_json())),
            )
            return Success(stored)


@final
class SqliteIdempotencyStore:
    """``IdempotencyStore`` on SQLite: a row per key; ``status`` is null while the request runs."""

    def __init__(self, db: ManagementDb) -> None:
        self._db = db

    async def claim(self, key: str, at: float) -> Result[None, StoredAnswer | InProgress]:
        """Reserve ``key``; a claim left unanswered for ``ABANDONED_AFTER_S`` is taken over, a key
        claimed ``KEY_KEPT_S`` or more ago is free, and a few such keys are deleted (by the index)."""
        async with self._db.transaction() as conn:
            old = at - KEY_KEPT_S
            await conn.execute(
                "DELETE FROM idempotency WHERE rowid IN "
                "(SELECT rowid FROM idempotency WHERE created_at <= ? LIMIT ?)",
                (old, KEYS_PURGED_PER_CLAIM),
            )
            await conn.execute("DELETE FROM idempotency WHERE key = ? AND created_at <= ?", (key, old))
            row = await one(conn, "SELECT status, body, created_at FROM idempotency WHERE key = ?", (key,))
            if row is not None and row[0] is not None:
                return Failure(StoredAnswer(int(row[0]), str(row[1])))
            if row is not None and float(row[2]) > at - ABANDONED_AFTER_S:
                return Failure(InProgress(key))
            await conn.execute(
                "INSERT INTO idempotency (key, status, body, created_at) VALUES (?, NULL, NULL, ?) "
                "ON CONFLICT (key) DO UPDATE SET created_at = excluded.created_at",
                (key, at),
            )
            return Success(None)

    async def complete(self, key: str, answer: StoredAnswer) -> None:
        """Record the first answer for ``key``."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE idempotency SET status = ?, body = ? WHERE key = ? AND status IS NULL",
                (answer.status, answer.body, key),
            )

    async def release(self, key: str) -> None:
        """Drop an unanswered claim."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM idempotency WHERE key = ? AND status IS NULL", (key,))

    async def expire(self, before: float) -> int:
        """Forget keys created at or before ``before`` (epoch seconds); returns how many."""
        async with self._db.transaction() as conn:
            cur = await conn.execute("DELETE FROM idempotency WHERE created_at <= ?", (before,))
            return int(cur.rowcount)


__all__ = [
    "SqliteIdempotencyStore",
    "SqlitePipelineRepository",
    "SqliteRouteTableRepository",
]
