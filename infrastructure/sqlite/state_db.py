"""The SQLite state database: opened in WAL mode, with named migrations applied once each.

Each adapter owns the migrations of its tables and applies them with ``migrate`` when it starts;
the ``migrations`` table records the names applied, so running them again changes nothing.
Migrations are applied under ``BEGIN IMMEDIATE``, so two processes opening the same file at
once do not both apply one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from typing import final

import aiosqlite
import anyio

__all__ = ["Migration", "applied_migrations", "migrate", "open_state_db"]

_LEDGER = "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY NOT NULL)"
_BUSY_TIMEOUT_MS = 5000


@final
@dataclass(frozen=True, slots=True)
class Migration:
    """A named schema change: its statements run in one transaction, once per database."""

    name: str
    statements: tuple[str, ...]


async def open_state_db(
    path: str | PathLike[str], migrations: Sequence[Migration] = ()
) -> aiosqlite.Connection:
    """Open (creating it and its folder) the state database in WAL mode and apply ``migrations``.

    The caller owns the connection and closes it.

    :raises sqlite3.Error: the file cannot be opened or a migration fails (the connection is closed).
    :raises OSError: the folder cannot be created.
    """
    where = str(path)
    if where != ":memory:":
        await anyio.Path(where).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(where)
    try:
        # A writer waits for another instead of failing at once; WAL lets readers run beside it.
        await conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await migrate(conn, migrations)
    except BaseException:
        await conn.close()
        raise
    return conn


async def migrate(conn: aiosqlite.Connection, migrations: Sequence[Migration]) -> tuple[str, ...]:
    """Apply the migrations not applied yet, in order; return the names applied now.

    :raises sqlite3.Error: a statement fails (that migration is rolled back).
    """
    await conn.execute(_LEDGER)
    await conn.commit()
    done: list[str] = []
    for migration in migrations:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            async with conn.execute("SELECT 1 FROM migrations WHERE name = ?", (migration.name,)) as cur:
                applied = await cur.fetchone() is not None
            if not applied:
                for statement in migration.statements:
                    await conn.execute(statement)
                await conn.execute("INSERT INTO migrations (name) VALUES (?)", (migration.name,))
                done.append(migration.name)
        except BaseException:
            await conn.rollback()
            raise
        await conn.commit()
    return tuple(done)


async def applied_migrations(conn: aiosqlite.Connection) -> tuple[str, ...]:
    """The names of the migrations applied to this database, in the order they were applied."""
    async with conn.execute("SELECT name FROM migrations ORDER BY rowid") as cur:
        return tuple(str(row[0]) for row in await cur.fetchall())
