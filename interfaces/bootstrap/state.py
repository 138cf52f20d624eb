"""A config's state database (``state_dir/state.db``): the one helper that opens it for every command.

``run``, ``serve`` and ``dlq`` all keep checkpoints, dead letters, function state and the committed
lengths of exactly-once file sinks in the same SQLite file; ``StateStores.open`` opens it (creating
it), makes the stores ready and hands them over together, so no command opens or ``ensure()``s them
its own way.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import final

import aiosqlite
import anyio

from pipeflow.domain.ports import CheckpointingSource, EventSource
from pipeflow.infrastructure.sqlite.checkpoints import SqliteCheckpointStore
from pipeflow.infrastructure.sqlite.dead_letters import SqliteDeadLetterStore
from pipeflow.infrastructure.sqlite.function_state import SqliteFunctionState
from pipeflow.infrastructure.sqlite.sink_commits import SqliteSinkCommits
from pipeflow.infrastructure.sqlite.state_db import open_state_db
from pipeflow.interfaces.config import models as m

STATE_DB = "state.db"
"""The state database's file name inside a config's ``state_dir``."""


def state_db_path(state_dir: str) -> str:
    """Where the state database of a config lives.

    >>> state_db_path("/var/lib/pipeflow")
    '/var/lib/pipeflow/state.db'
    """
    return os.path.join(state_dir, STATE_DB)


def make_state_dir(state_dir: str) -> str | None:
    """Create ``state_dir`` (and its parents) when it is not there: ``None``, or why it cannot be.

    >>> make_state_dir("/proc/no/such/place")
    "state_dir '/proc/no/such/place' cannot be created: No such file or directory"
    """
    try:
        os.makedirs(state_dir, exist_ok=True)
    except OSError as exc:
        return f"state_dir {state_dir!r} cannot be created: {exc.strerror or exc}"
    return None


@final
@dataclass(frozen=True, slots=True)
class StateStores:
    """The open state database and its stores, each ready to use; ``aclose`` (or ``async with``) ends it."""

    db: aiosqlite.Connection
    checkpoints: SqliteCheckpointStore
    dead_letters: SqliteDeadLetterStore
    function_state: SqliteFunctionState
    sink_commits: SqliteSinkCommits

    @classmethod
    async def open(cls, state_dir: str) -> StateStores:
        """Open (creating it) the state database of ``state_dir`` and make its stores ready.

        :raises sqlite3.Error: the file cannot be opened or prepared (the connection is closed).
        :raises OSError: the folder cannot be created.
        """
        db = await open_state_db(state_db_path(state_dir))
        try:
            stores = cls(
                db,
                SqliteCheckpointStore(db),
                SqliteDeadLetterStore(db),
                SqliteFunctionState(db),
                SqliteSinkCommits(db),
            )
            for store in (
                stores.checkpoints,
                stores.dead_letters,
                stores.function_state,
                stores.sink_commits,
            ):
                await store.ensure()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await db.close()
            raise
        return stores

    async def aclose(self) -> None:
        """Close the database, even when the caller is being cancelled."""
        with anyio.CancelScope(shield=True):
            await self.db.close()

    async def __aenter__(self) -> StateStores:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


async def forget_sink_commits(state: StateStores, sinks: Mapping[str, m.SinkConfig]) -> None:
    """Drop the commits of these file sinks: a command that writes them without committing their
    lengths (``serve``, ``dlq replay``, a ``run`` that is not exactly-once) makes them stale, and
    the next exactly-once run must not cut what it wrote."""
    await state.sink_commits.forget(
        os.path.abspath(sc.path)  # noqa: ASYNC240 - a string operation, no I/O
        for sc in sinks.values()
        if isinstance(sc, m.FileSink)
    )


async def save_checkpoints(sources: Iterable[EventSource]) -> None:
    """Save what each checkpointing source was acknowledged for after it ended (late acks)."""
    for source in sources:
        if isinstance(source, CheckpointingSource):
            await source.save_checkpoints()


__all__ = [
    "STATE_DB",
    "StateStores",
    "forget_sink_commits",
    "make_state_dir",
    "save_checkpoints",
    "state_db_path",
]
