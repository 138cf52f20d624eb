"""The state database and function snapshots on a real SQLite file: WAL, migrations, restarts."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.results import Pass
from pipeflow.infrastructure.functions.window import Window, plugin
from pipeflow.infrastructure.sqlite.function_state import SqliteFunctionState
from pipeflow.infrastructure.sqlite.state_db import Migration, applied_migrations, migrate, open_state_db

CONFIG: Mapping[str, Json] = {
    "field": "latency_ms",
    "size": "60s",
    "by": ["service"],
    "emit": {"avg": "avg", "max": "max", "rate": "rate", "n": "count"},
}

EVENTS: list[JsonObject] = [
    {"service": svc, "latency_ms": ms, "ts": f"2024-06-01T00:00:{sec:02d}Z"}
    for svc, ms, sec in [
        ("api", 10, 0),
        ("db", 3, 5),
        ("api", 30, 20),
        ("api", 50, 40),
        ("db", 9, 50),
        ("api", 20, 59),
        ("api", 70, 59),
        ("db", 1, 59),
    ]
]


def window() -> Window:
    built = plugin(CONFIG)
    fn = built.value_or(None)
    assert isinstance(fn, Window), built
    return fn


def feed(fn: Window, events: list[JsonObject]) -> list[JsonObject]:
    out = []
    for i, fields in enumerate(events):
        result = fn(Event(EventId(f"e{i}"), EventMeta("test", 0.0), dict(fields)))
        assert isinstance(result, Pass)
        out.append(result.event.fields)
    return out


async def test_the_state_database_is_created_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "state" / "nested" / "pipeflow.db"
    conn = await open_state_db(path)
    try:
        async with conn.execute("PRAGMA journal_mode") as cur:
            assert await cur.fetchone() == ("wal",)
        assert await applied_migrations(conn) == ()
    finally:
        await conn.close()
    assert path.exists()


async def test_migrations_apply_once_each_in_order(tmp_path: Path) -> None:
    first = Migration("t.create", ("CREATE TABLE t (x INTEGER)",))
    second = Migration("t.seed", ("INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)"))
    conn = await open_state_db(tmp_path / "s.db", [first])
    try:
        assert await migrate(conn, [first, second]) == ("t.seed",)
        assert await migrate(conn, [first, second]) == ()
    finally:
        await conn.close()
    conn = await open_state_db(tmp_path / "s.db", [first, second])
    try:
        assert await applied_migrations(conn) == ("t.create", "t.seed")
        async with conn.execute("SELECT x FROM t ORDER BY x") as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [(1,), (2,)]
    finally:
        await conn.close()


async def test_a_failing_migration_is_rolled_back_and_not_recorded(tmp_path: Path) -> None:
    good = Migration("a", ("CREATE TABLE a (x INTEGER)",))
    bad = Migration("b", ("INSERT INTO a VALUES (1)", "INSERT INTO nowhere VALUES (1)"))
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        await open_state_db(tmp_path / "s.db", [good, bad])
    conn = await open_state_db(tmp_path / "s.db")
    try:
        assert await applied_migrations(conn) == ("a",)
        async with conn.execute("SELECT count(*) FROM a") as cur:
            assert await cur.fetchone() == (0,)
    finally:
        await conn.close()


async def test_save_upserts_and_load_reads_per_pipeline_and_index(tmp_path: Path) -> None:
    conn = await open_state_db(tmp_path / "s.db")
    try:
        store = SqliteFunctionState(conn)
        await store.ensure()
        await store.ensure()  # idempotent
        assert await store.load("p", 0) is None
        await store.save("p", 0, {"a": [1, 2.5, None, "x"]})
        await store.save("p", 1, {"b": True})
        await store.save("p", 0, {"a": []})
        await store.save("q", 0, [1])
        assert await store.load("p", 0) == {"a": []}
        assert await store.load("p", 1) == {"b": True}
        assert await store.load("q", 0) == [1]
        await store.forget("p")
        assert (await store.load("p", 0), await store.load("p", 1), await store.load("q", 0)) == (
            None,
            None,
            [1],
        )
    finally:
        await conn.close()


async def test_a_window_continues_after_a_restart_as_if_there_had_been_none(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    expected = feed(window(), EVENTS)

    # First run: part of the stream, then the runtime saves the snapshot and the process ends.
    conn = await open_state_db(path)
    try:
        store = SqliteFunctionState(conn)
        await store.ensure()
        before = window()
        head = feed(before, EVENTS[:5])
        await store.save("latency", 2, before.snapshot())
    finally:
        await conn.close()

    # Second run: a fresh build starts empty; restoring the saved state continues the windows.
    conn = await open_state_db(path)
    try:
        store = SqliteFunctionState(conn)
        await store.ensure()
        saved = await store.load("latency", 2)
        assert saved is not None
        after = window()
        after.restore(saved)
        tail = feed(after, EVENTS[5:])
    finally:
        await conn.close()

    assert head + tail == expected
    assert tail[1] == {**EVENTS[6], "avg": 36.0, "max": 70, "rate": 60 / 59, "n": 5}
    assert feed(window(), EVENTS[5:6])[0]["n"] == 1  # without the restore the window would restart
