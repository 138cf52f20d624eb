"""``serve``'s management database on PostgreSQL: its stores, and the changes every worker hears.

Imported only when ``--database`` is a PostgreSQL URL: the driver (psycopg) is the ``postgres``
extra, so a SQLite ``serve`` runs without it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio
import psycopg
from returns.result import Failure, Result, Success

from pipeflow.infrastructure.postgres.db import PostgresDb
from pipeflow.infrastructure.postgres.repositories import (
    PostgresIdempotencyStore,
    PostgresPipelineRepository,
    PostgresRouteTableRepository,
)
from pipeflow.interfaces.bootstrap.database import (
    RECONNECT_PAUSE_S,
    CannotOpen,
    Stores,
    redacted,
    split_schema,
)

__all__ = ["follow_changes", "open_postgres_stores"]

_log = logging.getLogger("pipeflow.serve")


async def open_postgres_stores(database: str) -> Result[Stores, CannotOpen]:
    """Open the PostgreSQL database of ``database`` (a URL, maybe with ``?schema=``), tables made."""
    try:
        pg = await _open_postgres(*split_schema(database))
    except (psycopg.Error, OSError) as exc:
        return Failure(CannotOpen(f"cannot open the database {redacted(database)}: {exc}"))
    return Success(
        Stores(
            PostgresPipelineRepository(pg),
            PostgresRouteTableRepository(pg),
            PostgresIdempotencyStore(pg),
            pg.close,
            pg,
        )
    )


async def _open_postgres(url: str, schema: str | None) -> PostgresDb:
    try:
        return await PostgresDb.open(url, schema=schema)
    except psycopg.errors.UniqueViolation:
        # Workers started together raced to create the schema (``CREATE SCHEMA IF NOT EXISTS`` is not
        # safe against a concurrent create): it exists now, so the second attempt finds it.
        return await PostgresDb.open(url, schema=schema)


async def follow_changes(
    db: PostgresDb, reload: Callable[[str], Awaitable[object]], *, pause_s: float = RECONNECT_PAUSE_S
) -> None:
    """Call ``reload`` after each change any worker commits, until cancelled.

    ``reload`` is also called each time listening (re)starts: what changed before was not heard.
    A database error (on the listening connection or while reloading) is logged, then, after
    ``pause_s``, listening starts again.
    """
    while True:
        try:
            async with db.changes() as changes:
                await reload("listening for changes")
                async for change in changes:
                    await reload(f"{change.kind} {change.id} version {change.version} (notified)")
        except psycopg.Error as exc:
            _log.warning("change notifications lost (%s): listening again in %.1fs", exc, pause_s)
        await anyio.sleep(pause_s)
