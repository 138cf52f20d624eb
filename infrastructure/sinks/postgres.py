"""``PostgresSink``: one row per event, keyed by its id; a batch is one transaction (COPY, then INSERT).

A batch is copied into a temporary table and moved into the events table with
``INSERT ... SELECT ... ON CONFLICT (id) DO NOTHING`` in the same transaction: it is stored whole
or not at all, and an id already in the table (a retry, a replay, lines read again after a crash)
is skipped, so no row is ever stored twice.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, final

import orjson
import psycopg
from psycopg import sql

from pipeflow.domain.events import Event
from pipeflow.domain.ports import Clock
from pipeflow.infrastructure.sinks.errors import SinkError

__all__ = ["TABLE_NAME", "PostgresSink", "copy_text"]

TABLE_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$"
"""A table name, optionally schema-qualified (``logs.events``): letters, digits and ``_``."""

_STAGE = "pipeflow_stage"
# SQLSTATE classes a retry can help: connection exceptions, transaction rollbacks (serialization
# failures, deadlocks), insufficient resources, operator intervention (a restarting server),
# system errors. Anything else (an undefined column, a data error) fails again the same way.
_RETRYABLE_CLASSES = frozenset({"08", "40", "53", "57", "58"})


def copy_text(events: Sequence[Event], at: str) -> bytes:
    """The rows ``id, at, event`` of ``events`` in COPY's text format.

    orjson escapes every control character, so only backslashes need doubling for COPY.

    >>> from pipeflow.domain.events import Event, EventId, EventMeta
    >>> copy_text([Event(EventId("E1"), EventMeta("s", 0.0), {"n": 1})], "T")
    b'E1\\tT\\t{"n":1}\\n'
    """
    dumps = orjson.dumps
    lines = [
        b"%s\t%s\t%s\n" % (e.id.encode(), at.encode(), dumps(e.fields).replace(b"\\", b"\\\\"))
        for e in events
    ]
    return b"".join(lines)


@final
class PostgresSink:
    """Stores each event as ``(id text primary key, at timestamptz, event jsonb)`` in ``table``.

    ``at`` is when the batch was written (from the Clock), ``event`` the event's fields. The
    table is created when missing. A failure to connect or a lost connection is retryable (the
    connection is made again on the next write); an error PostgreSQL would repeat (a table of
    another shape, a value ``jsonb`` refuses) is not, and carries PostgreSQL's own message.
    """

    def __init__(
        self, name: str, url: str, *, table: str = "events", clock: Clock, connect_timeout_s: float = 10.0
    ) -> None:
        if re.fullmatch(TABLE_NAME, table) is None:
            raise ValueError(f"invalid table name {table!r}: letters, digits and _, schema.table allowed")
        self.name = name
        self._url = url
        self._table = sql.Identifier(*table.split("."))
        self._clock = clock
        self._connect_timeout_s = connect_timeout_s
        self._conn: psycopg.AsyncConnection[Any] | None = None

    async def open(self) -> None:
        """Connect, and create the table when missing.

        :raises SinkError: when the server cannot be reached or the table cannot be created.
        """
        await self._connection()

    async def write(self, events: Sequence[Event]) -> None:
        """Store the batch in one transaction; events whose id is already stored are skipped.

        :raises SinkError: when the transaction failed (nothing of the batch is stored).
        """
        if not events:
            return
        at = datetime.fromtimestamp(self._clock.now(), UTC).isoformat()
        try:
            data = copy_text(events, at)
        except orjson.JSONEncodeError as exc:
            raise SinkError(self.name, f"event not encodable as JSON: {exc}", retryable=False) from exc
        conn = await self._connection()
        insert = sql.SQL(
            "INSERT INTO {} (id, at, event) SELECT id, at, event FROM {} ON CONFLICT (id) DO NOTHING"
        ).format(self._table, sql.Identifier(_STAGE))
        copy_in = sql.SQL("COPY {} (id, at, event) FROM STDIN").format(sql.Identifier(_STAGE))
        try:
            async with conn.transaction(), conn.cursor() as cur:
                async with cur.copy(copy_in) as copy:
                    await copy.write(data)
                await cur.execute(insert)
        except BaseException as exc:
            await self._drop_if_unusable(conn)
            if isinstance(exc, psycopg.Error):
                raise self._error("insert failed", exc) from exc
            raise

    async def close(self) -> None:
        """Close the connection (every batch was already committed)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        self._conn = None
        try:
            conn = await psycopg.AsyncConnection.connect(
                self._url,
                autocommit=True,
                connect_timeout=max(1, round(self._connect_timeout_s)),
                application_name=f"pipeflow sink {self.name}"[:63],  # seen in pg_stat_activity
            )
        except psycopg.Error as exc:
            raise self._error("cannot connect", exc) from exc
        try:
            await conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, at timestamptz NOT NULL,"
                    " event jsonb NOT NULL)"
                ).format(self._table)
            )
            # Emptied at each commit: a failed batch leaves nothing behind for the next one.
            await conn.execute(
                sql.SQL(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS {} (id text, at timestamptz, event jsonb)"
                    " ON COMMIT DELETE ROWS"
                ).format(sql.Identifier(_STAGE))
            )
        except psycopg.Error as exc:
            await conn.close()
            raise self._error("cannot create the table", exc) from exc
        self._conn = conn
        return conn

    async def _drop_if_unusable(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Close a connection left broken or inside a transaction (a cancelled write)."""
        if conn.closed or conn.broken or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self._conn = None
            with contextlib.suppress(Exception):
                await conn.close()

    def _error(self, doing: str, exc: psycopg.Error) -> SinkError:
        state = exc.sqlstate
        retryable = state is None or state[:2] in _RETRYABLE_CLASSES
        message = (exc.diag.message_primary if state is not None else None) or str(exc).strip()
        if state is not None and exc.diag.message_detail:
            message += f" ({exc.diag.message_detail.strip()})"
        code = f" [SQLSTATE {state}]" if state is not None else ""
        return SinkError(self.name, f"{doing}: {message}{code}", retryable=retryable)
