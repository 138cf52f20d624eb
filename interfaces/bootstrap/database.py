"""The management database of ``pipeflow serve``: a SQLite file, or PostgreSQL shared by every worker.

``--database`` is a SQLite path by default; a ``postgresql://`` (or ``postgres://``) URL selects the
PostgreSQL repositories instead (``database_postgres``, imported only then). A ``schema`` query
parameter (``...?schema=team_a``) keeps the tables, and the change channel, in that schema. With
PostgreSQL, ``follow_changes`` listens for
the changes any worker commits and reloads the engine after each, so every worker runs the same
versions; after a lost connection it reconnects (after a short pause) and reloads everything,
since what changed meanwhile was not heard.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from returns.result import Failure, Result, Success

from pipeflow.domain.repositories import IdempotencyStore, PipelineRepository, RouteTableRepository
from pipeflow.infrastructure.sqlite.management_db import ManagementDb
from pipeflow.infrastructure.sqlite.repositories import (
    SqliteIdempotencyStore,
    SqlitePipelineRepository,
    SqliteRouteTableRepository,
)

if TYPE_CHECKING:  # the driver is the ``postgres`` extra: imported by ``database_postgres`` only
    from pipeflow.infrastructure.postgres.db import PostgresDb

__all__ = [
    "RECONNECT_PAUSE_S",
    "CannotOpen",
    "Stores",
    "is_postgres",
    "open_stores",
    "redacted",
    "split_schema",
]

RECONNECT_PAUSE_S = 1.0
"""The pause before listening again after the change connection failed."""


def is_postgres(database: str) -> bool:
    """Whether ``--database`` names a PostgreSQL server rather than a SQLite file.

    >>> is_postgres("postgresql://db1/pipeflow"), is_postgres("postgres://db1"), is_postgres("pf.db")
    (True, True, False)
    """
    return database.startswith(("postgresql://", "postgres://"))


def split_schema(url: str) -> tuple[str, str | None]:
    """The URL without its ``schema`` query parameter, and that schema (``None`` without one).

    >>> split_schema("postgresql://u@db1/pf?schema=team_a&sslmode=require")
    ('postgresql://u@db1/pf?sslmode=require', 'team_a')
    >>> split_schema("postgresql://u@db1/pf")
    ('postgresql://u@db1/pf', None)
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), (schemas[-1] or None) if schemas else None


@final
@dataclass(frozen=True, slots=True)
class Stores:
    """The three repositories of ``serve`` on one database; ``postgres`` is set for PostgreSQL."""

    pipelines: PipelineRepository
    routes: RouteTableRepository
    idempotency: IdempotencyStore
    close: Callable[[], Awaitable[None]]
    postgres: PostgresDb | None = None


@final
@dataclass(frozen=True, slots=True)
class CannotOpen:
    """The database could not be opened: ``message`` names it (without a password) and says why."""

    message: str


def redacted(database: str) -> str:
    """``database`` as it may be shown: a URL's password becomes ``***``.

    >>> redacted("postgresql://pf:s3cret@db1/pf"), redacted("pf.db")
    ('postgresql://pf:***@db1/pf', 'pf.db')
    """
    return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", database)


async def open_stores(database: str) -> Result[Stores, CannotOpen]:
    """Open ``database`` (a SQLite path or a PostgreSQL URL) and create its tables when missing.

    PostgreSQL's driver is imported only for a PostgreSQL URL (it is the ``postgres`` extra).
    """
    if is_postgres(database):
        try:
            from pipeflow.interfaces.bootstrap.database_postgres import open_postgres_stores
        except ImportError as exc:
            hint = "install it with: pip install 'pipeflow[postgres]'"
            return Failure(CannotOpen(f"{redacted(database)} needs PostgreSQL's driver ({exc}): {hint}"))
        return await open_postgres_stores(database)
    try:
        db = await ManagementDb.open(database)
    except (OSError, sqlite3.Error) as exc:
        return Failure(CannotOpen(f"cannot open the database {redacted(database)}: {exc}"))
    return Success(
        Stores(
            SqlitePipelineRepository(db),
            SqliteRouteTableRepository(db),
            SqliteIdempotencyStore(db),
            db.close,
        )
    )
