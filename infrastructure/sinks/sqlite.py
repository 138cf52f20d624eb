"""``SqliteSink``: one row per event, keyed by its id, so a resent event is stored once."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import final

import aiosqlite
import orjson

from pipeflow.domain.events import Event
from pipeflow.domain.ports import Clock
from pipeflow.infrastructure.sinks.errors import SinkError

__all__ = ["SqliteSink"]

_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


@final
class SqliteSink:
    """Stores each event as ``(id TEXT PRIMARY KEY, at REAL, event TEXT)`` in ``table``.

    ``at`` is when the row was written (from the Clock), ``event`` the event's fields as JSON.
    Each batch is one transaction (``INSERT OR IGNORE``, then commit), so a batch is stored
    whole or not at all, and a batch the runtime resends after a failure adds only what is new.
    ``timeout_s`` is SQLite's busy timeout: how long a write waits for another writer's lock.
    """

    def __init__(
        self, name: str, path: str, *, table: str = "events", clock: Clock, timeout_s: float = 10.0
    ) -> None:
        if _TABLE_NAME.fullmatch(table) is None:
            raise ValueError(f"invalid table name {table!r}: letters, digits and _ only")
        self.name = name
        self._path = Path(path)
        self._table = table
        self._clock = clock
        self._timeout_s = timeout_s
        self._db: aiosqlite.Connection | None = None

    async def open(self) -> None:
        """Create the parent folders, the database and the table.

        :raises SinkError: when the database cannot be opened or the table created.
        """
        if self._db is not None:
            return
        if self._path.is_dir():
            # Refused here: aiosqlite's worker thread can outlive a failed connect and then report
            # into an event loop that is gone.
            raise SinkError(self.name, f"cannot open {self._path}: it is a directory")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(self._path, timeout=self._timeout_s)
        except (OSError, sqlite3.Error) as exc:
            raise SinkError(self.name, f"cannot open {self._path}: {exc}") from exc
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute(
                f'CREATE TABLE IF NOT EXISTS "{self._table}" (id TEXT PRIMARY KEY, at REAL, event TEXT)'
            )
            await db.commit()
        except sqlite3.Error as exc:
            await db.close()
            raise SinkError(self.name, f"cannot create table {self._table!r}: {exc}") from exc
        self._db = db

    async def write(self, events: Sequence[Event]) -> None:
        """Insert the batch in one transaction; events already stored (same id) are left as they are.

        :raises SinkError: when the transaction failed (nothing of the batch is stored).
        :raises RuntimeError: when the sink is not open (a bug in the caller).
        """
        db = self._db
        if db is None:
            raise RuntimeError(f"sqlite sink {self.name!r} written before open()")
        if not events:
            return
        at = self._clock.now()
        try:
            rows = [(e.id, at, orjson.dumps(e.fields).decode()) for e in events]
        except orjson.JSONEncodeError as exc:
            raise SinkError(self.name, f"event not encodable as JSON: {exc}", retryable=False) from exc
        try:
            await db.executemany(
                f'INSERT OR IGNORE INTO "{self._table}" (id, at, event) VALUES (?, ?, ?)', rows
            )
            await db.commit()
        except sqlite3.Error as exc:
            await _rollback(db)
            raise SinkError(self.name, f"insert failed: {exc}") from exc

    async def close(self) -> None:
        """Close the database (every batch was already committed)."""
        db, self._db = self._db, None
        if db is not None:
            await db.close()


async def _rollback(db: aiosqlite.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):  # a broken connection: the next write reports it
        await db.rollback()
