"""PostgreSQL adapters of the repository ports: ``PostgresPipelineRepository``,
``PostgresRouteTableRepository``, ``PostgresIdempotencyStore``, all on one ``PostgresDb``.

The same contract as the SQLite adapters, shared by every worker: a write is a compare-and-set on
the version under an advisory lock, and each pipeline or route-table write notifies the others.

:raises psycopg.Error: from every method, when the database fails.
:raises StoredDocumentInvalid: a stored document no longer decodes (it was edited by hand).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, final

import psycopg
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
from pipeflow.infrastructure.postgres.changes import Change
from pipeflow.infrastructure.postgres.db import PostgresDb
from pipeflow.infrastructure.stored_documents import dump_document, load_pipeline, load_route_table

__all__ = ["PostgresIdempotencyStore", "PostgresPipelineRepository", "PostgresRouteTableRepository"]

_Cursor = psycopg.AsyncCursor[tuple[Any, ...]]


@final
class PostgresPipelineRepository:
    """``PipelineRepository`` on PostgreSQL: one row per version, a tombstone row per delete."""

    def __init__(self, db: PostgresDb) -> None:
        self._db = db

    async def get(self, pipeline_id: PipelineId) -> Result[Pipeline, NotFound]:
        """The current version of a live pipeline."""
        rows = await self._db.fetch(
            "SELECT doc FROM pipeflow_pipelines WHERE id = %s AND current AND NOT deleted", (pipeline_id,)
        )
        return Success(load_pipeline(rows[0][0])) if rows else Failure(NotFound("pipeline", pipeline_id))

    async def get_version(self, pipeline_id: PipelineId, version: int) -> Result[Pipeline, NotFound]:
        """One stored version (tombstones are not versions)."""
        rows = await self._db.fetch(
            "SELECT doc FROM pipeflow_pipelines WHERE id = %s AND version = %s AND NOT deleted",
            (pipeline_id, version),
        )
        if not rows:
            return Failure(NotFound("pipeline version", f"{pipeline_id}@{version}"))
        return Success(load_pipeline(rows[0][0]))

    async def history(self, pipeline_id: PipelineId) -> Sequence[Pipeline]:
        """Every stored version, oldest first."""
        rows = await self._db.fetch(
            "SELECT doc FROM pipeflow_pipelines WHERE id = %s AND NOT deleted ORDER BY version",
            (pipeline_id,),
        )
        return [load_pipeline(r[0]) for r in rows]

    async def list_page(self, after: PipelineId | None, limit: int) -> Sequence[Pipeline]:
        """Up to ``limit`` live pipelines with ids greater than ``after``, by id (byte order)."""
        rows = await self._db.fetch(
            'SELECT doc FROM pipeflow_pipelines WHERE current AND NOT deleted AND id COLLATE "C" > %s '
            'ORDER BY id COLLATE "C" LIMIT %s',
            (after or "", limit),
        )
        return [load_pipeline(r[0]) for r in rows]

    async def add(self, pipeline: Pipeline) -> Result[Pipeline, ConcurrencyConflict]:
        """Store version 1, or the next version after a tombstone; a live id is a conflict."""
        async with self._db.transaction(_lock(pipeline.id)) as cur:
            head = await _head(cur, pipeline.id)
            if head is None:
                version = 1
            elif not head[1]:
                return Failure(ConcurrencyConflict("pipeline", pipeline.id, 0, head[0]))
            else:
                await cur.execute(
                    "UPDATE pipeflow_pipelines SET current = false WHERE id = %s AND current", (pipeline.id,)
                )
                version = head[0] + 1
            stored = replace(pipeline, version=version)
            await _insert(cur, stored.id, version, dump_document(stored.to_json()), deleted=False)
            await self._db.notify(cur, Change("pipeline", stored.id, version))
            return Success(stored)

    async def update(
        self, pipeline: Pipeline, expected: int
    ) -> Result[Pipeline, ConcurrencyConflict | NotFound]:
        """Compare-and-set: store version ``expected + 1`` if the head is live at ``expected``."""
        async with self._db.transaction(_lock(pipeline.id)) as cur:
            lost = await _supersede(cur, pipeline.id, expected)
            if lost is not None:
                return Failure(lost)
            stored = replace(pipeline, version=expected + 1)
            await _insert(cur, stored.id, stored.version, dump_document(stored.to_json()), deleted=False)
            await self._db.notify(cur, Change("pipeline", stored.id, stored.version))
            return Success(stored)

    async def delete(
        self, pipeline_id: PipelineId, expected: int
    ) -> Result[Pipeline, ConcurrencyConflict | NotFound]:
        """Compare-and-set a tombstone as version ``expected + 1``; returns the last live version."""
        async with self._db.transaction(_lock(pipeline_id)) as cur:
            await cur.execute(
                "SELECT doc FROM pipeflow_pipelines WHERE id = %s AND version = %s", (pipeline_id, expected)
            )
            last = await cur.fetchone()
            lost = await _supersede(cur, pipeline_id, expected)
            if lost is not None:
                return Failure(lost)
            assert last is not None  # the compare-and-set just matched this row
            await _insert(cur, pipeline_id, expected + 1, str(last[0]), deleted=True)
            await self._db.notify(cur, Change("pipeline", pipeline_id, expected + 1))
            return Success(load_pipeline(last[0]))


def _lock(pipeline_id: str) -> str:
    return f"pipeflow.pipeline:{pipeline_id}"


async def _head(cur: _Cursor, pipeline_id: str) -> tuple[int, bool] | None:
    await cur.execute(
        "SELECT version, deleted FROM pipeflow_pipelines WHERE id = %s AND current", (pipeline_id,)
    )
    row = await cur.fetchone()
    return None if row is None else (int(row[0]), bool(row[1]))


async def _insert(cur: _Cursor, pipeline_id: str, version: int, doc: str, *, deleted: bool) -> None:
    await cur.execute(
        "INSERT INTO pipeflow_pipelines (id, version, doc, deleted, current) VALUES (%s, %s, %s, %s, true)",
        (pipeline_id, version, doc, deleted),
    )


async def _supersede(cur: _Cursor, pipeline_id: str, expected: int) -> ConcurrencyConflict | NotFound | None:
    await cur.execute(
        "UPDATE pipeflow_pipelines SET current = false "
        "WHERE id = %s AND version = %s AND current AND NOT deleted",
        (pipeline_id, expected),
    )
    if cur.rowcount == 1:
        return None
    head = await _head(cur, pipeline_id)
    if head is None or head[1]:
        return NotFound("pipeline", pipeline_id)
    return ConcurrencyConflict("pipeline", pipeline_id, expected, head[0])


@final
class PostgresRouteTableRepository:
    """``RouteTableRepository`` on PostgreSQL: one row per version of the table."""

    def __init__(self, db: PostgresDb) -> None:
        self._db = db

    async def get(self) -> RouteTable:
        """The current table (empty at version 0 before the first write)."""
        rows = await self._db.fetch("SELECT doc FROM pipeflow_route_tables WHERE current")
        return load_route_table(rows[0][0]) if rows else RouteTable((), 0)

    async def get_version(self, version: int) -> Result[RouteTable, NotFound]:
        """One stored version."""
        rows = await self._db.fetch("SELECT doc FROM pipeflow_route_tables WHERE version = %s", (version,))
        if not rows:
            return Failure(NotFound("routes version", str(version)))
        return Success(load_route_table(rows[0][0]))

    async def history(self) -> Sequence[RouteTable]:
        """Every stored version, oldest first."""
        rows = await self._db.fetch("SELECT doc FROM pipeflow_route_tables ORDER BY version")
        return [load_route_table(r[0]) for r in rows]

    async def put(self, table: RouteTable, expected: int) -> Result[RouteTable, ConcurrencyConflict]:
        """Compare-and-set: store version ``expected + 1`` if the head is at ``expected``."""
        async with self._db.transaction("pipeflow.routes") as cur:
            if expected == 0:
                await cur.execute("SELECT version FROM pipeflow_route_tables WHERE current")
                won = await cur.fetchone() is None
            else:
                await cur.execute(
                    "UPDATE pipeflow_route_tables SET current = false WHERE version = %s AND current",
                    (expected,),
                )
                won = cur.rowcount == 1
            if not won:
                await cur.execute("SELECT version FROM pipeflow_route_tables WHERE current")
                head = await cur.fetchone()
                return Failure(
                    ConcurrencyConflict("routes", "routes", expected, None if head is None else int(head[0]))
                )
            stored = replace(table, version=expected + 1)
            await cur.execute(
                "INSERT INTO pipeflow_route_tables (version, doc, current) VALUES (%s, %s, true)",
                (stored.version, dump_document(stored.to_json())),
            )
            await self._db.notify(cur, Change("routes", "routes", stored.version))
            return Success(stored)


@final
class PostgresIdempotencyStore:
    """``IdempotencyStore`` on PostgreSQL: a row per key; ``status`` is null while the request runs."""

    def __init__(self, db: PostgresDb) -> None:
        self._db = db

    async def claim(self, key: str, at: float) -> Result[None, StoredAnswer | InProgress]:
        """Reserve ``key``; a claim left unanswered for ``ABANDONED_AFTER_S`` is taken over, a key
        claimed ``KEY_KEPT_S`` or more ago is free, and a few such keys are deleted: by the index,
        skipping rows another claim holds (two claims never wait on each other's old keys)."""
        async with self._db.transaction(f"pipeflow.idempotency:{key}") as cur:
            old = at - KEY_KEPT_S
            await cur.execute(
                "DELETE FROM pipeflow_idempotency WHERE key IN (SELECT key FROM pipeflow_idempotency "
                "WHERE created_at <= %s LIMIT %s FOR UPDATE SKIP LOCKED)",
                (old, KEYS_PURGED_PER_CLAIM),
            )
            await cur.execute(
                "DELETE FROM pipeflow_idempotency WHERE key = %s AND created_at <= %s", (key, old)
            )
            await cur.execute(
                "SELECT status, body, created_at FROM pipeflow_idempotency WHERE key = %s", (key,)
            )
            row = await cur.fetchone()
            if row is not None and row[0] is not None:
                return Failure(StoredAnswer(int(row[0]), str(row[1])))
            if row is not None and float(row[2]) > at - ABANDONED_AFTER_S:
                return Failure(InProgress(key))
            await cur.execute(
                "INSERT INTO pipeflow_idempotency (key, status, body, created_at) "
                "VALUES (%s, NULL, NULL, %s) "
                "ON CONFLICT (key) DO UPDATE SET created_at = excluded.created_at",
                (key, at),
            )
            return Success(None)

    async def complete(self, key: str, answer: StoredAnswer) -> None:
        """Record the first answer for ``key``."""
        async with self._db.transaction() as cur:
            await cur.execute(
                "UPDATE pipeflow_idempotency SET status = %s, body = %s WHERE key = %s AND status IS NULL",
                (answer.status, answer.body, key),
            )

    async def release(self, key: str) -> None:
        """Drop an unanswered claim."""
        async with self._db.transaction() as cur:
            await cur.execute("DELETE FROM pipeflow_idempotency WHERE key = %s AND status IS NULL", (key,))

    async def expire(self, before: float) -> int:
        """Forget keys created at or before ``before`` (epoch seconds); returns how many."""
        async with self._db.transaction() as cur:
            await cur.execute("DELETE FROM pipeflow_idempotency WHERE created_at <= %s", (before,))
            return int(cur.rowcount)
