from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import anyio
import orjson
import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.sqlite import SqliteSink
from tests.fakes import FakeClock


def ev(i: int, **fields: object) -> Event:
    return Event(EventId(f"id-{i:03d}"), EventMeta("src", 1.0), {"n": i, **fields})  # type: ignore[dict-item]


def rows(path: Path, table: str = "events") -> list[tuple[str, float, str]]:
    with closing(sqlite3.connect(path)) as db:
        return list(db.execute(f"SELECT id, at, event FROM {table} ORDER BY id"))


async def test_resent_events_are_stored_once(tmp_path: Path) -> None:
    with anyio.fail_after(10):
        path = tmp_path / "sub" / "out.db"
        clock = FakeClock(100.0)
        sink = SqliteSink("db", str(path), clock=clock)
        await sink.open()
        await sink.write([ev(1, msg="a"), ev(2), ev(3)])
        clock.at = 200.0
        await sink.write([ev(2, msg="changed"), ev(3), ev(4)])  # a retry that carries one new event
        await sink.close()
        stored = rows(path)
        assert [r[0] for r in stored] == ["id-001", "id-002", "id-003", "id-004"]
        assert [r[1] for r in stored] == [100.0, 100.0, 100.0, 200.0]
        assert orjson.loads(stored[0][2]) == {"n": 1, "msg": "a"}
        assert orjson.loads(stored[1][2]) == {"n": 2}  # the first write wins


async def test_a_reopened_sink_keeps_what_was_stored_and_uses_the_configured_table(tmp_path: Path) -> None:
    with anyio.fail_after(10):
        path = tmp_path / "out.db"
        for batch in ([ev(1)], [ev(1), ev(2)]):
            sink = SqliteSink("db", str(path), table="metrics", clock=FakeClock())
            await sink.open()
            await sink.write(batch)
            await sink.close()
        assert [r[0] for r in rows(path, "metrics")] == ["id-001", "id-002"]


async def test_a_failed_insert_is_a_sink_error(tmp_path: Path) -> None:
    with anyio.fail_after(10):
        path = tmp_path / "out.db"
        sink = SqliteSink("db", str(path), clock=FakeClock())
        await sink.open()
        with closing(sqlite3.connect(path)) as other:
            other.execute("DROP TABLE events")
        with pytest.raises(SinkError, match="insert failed") as info:
            await sink.write([ev(1)])
        assert info.value.sink == "db"
        await sink.close()


async def test_an_unopenable_path_is_a_sink_error(tmp_path: Path) -> None:
    with anyio.fail_after(10):
        (tmp_path / "dir.db").mkdir()
        sink = SqliteSink("db", str(tmp_path / "dir.db"), clock=FakeClock())
        with pytest.raises(SinkError, match="cannot"):
            await sink.open()


def test_table_names_are_checked() -> None:
    with pytest.raises(ValueError, match="invalid table name"):
        SqliteSink("db", "x.db", table='x"; DROP TABLE y; --', clock=FakeClock())
