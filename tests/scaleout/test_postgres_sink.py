"""The ``postgres`` sink against a real PostgreSQL: rows keyed by event id, a batch one transaction,
resends skipped, retryable and permanent errors told apart with PostgreSQL's own message."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.postgres import PostgresSink
from tests.fakes import FakeClock

_META = EventMeta("src", 0.0)


def _event(key: str, fields: JsonObject) -> Event:
    return Event(EventId(key), _META, fields)


async def _rows(url: str, table: str) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cur = await conn.execute(f"SELECT id, extract(epoch from at), event FROM {table} ORDER BY id")
        return await cur.fetchall()


@pytest.fixture
def table() -> str:
    """A table name of its own for each test."""
    return f"events_{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def sink(postgres_url: str, table: str) -> AsyncIterator[PostgresSink]:
    """An open sink on ``table`` whose clock reads 1700000000."""
    sink = PostgresSink(table, postgres_url, table=table, clock=FakeClock(1_700_000_000.0))
    await sink.open()
    yield sink
    await sink.close()


async def test_a_batch_is_stored_and_a_resent_id_is_skipped(
    sink: PostgresSink, postgres_url: str, table: str
) -> None:
    first = [_event(f"e{i}", {"n": i}) for i in range(3)]
    await sink.write(first)
    await sink.write([*first[1:], _event("e3", {"n": 3}), _event("e0", {"n": "changed"})])
    rows = await _rows(postgres_url, table)
    assert [(key, event) for key, _, event in rows] == [(f"e{i}", {"n": i}) for i in range(4)]
    assert {float(at) for _, at, _ in rows} == {1_700_000_000.0}


async def test_fields_round_trip_through_copy_whatever_their_characters(
    sink: PostgresSink, postgres_url: str, table: str
) -> None:
    tricky: JsonObject = {
        "path": "C:\\logs\\app.log",
        "message": "tab\there\nnew line\r\\N",
        "unicode": "é 日本 🙂",
        "nested": {"list": [1, 2.5, None, True, {"q": '"quoted"'}]},
    }
    await sink.write([_event("t1", tricky), _event("t1", tricky)])  # the same id twice in one batch
    assert [(key, event) for key, _, event in await _rows(postgres_url, table)] == [("t1", tricky)]


async def test_a_table_of_another_shape_is_permanent_and_carries_postgres_message(
    postgres_url: str, table: str
) -> None:
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, body text)")
    sink = PostgresSink("pg", postgres_url, table=table, clock=FakeClock(0.0))
    await sink.open()
    try:
        with pytest.raises(SinkError) as failed:
            await sink.write([_event("a", {"n": 1})])
    finally:
        await sink.close()
    assert failed.value.retryable is False
    assert 'column "at" of relation' in failed.value.reason
    assert "does not exist" in failed.value.reason


async def test_a_value_jsonb_refuses_is_permanent(sink: PostgresSink) -> None:
    with pytest.raises(SinkError) as failed:
        await sink.write([_event("z", {"text": "nul \x00 inside"})])
    assert failed.value.retryable is False
    assert "unsupported Unicode escape sequence" in failed.value.reason


async def test_a_server_that_cannot_be_reached_is_retryable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens there
    sink = PostgresSink("pg", f"postgresql://postgres@127.0.0.1:{port}/postgres", clock=FakeClock(0.0))
    with pytest.raises(SinkError) as failed:
        await sink.open()
    assert failed.value.retryable is True
    assert "cannot connect" in failed.value.reason


async def test_a_lost_connection_fails_one_write_and_the_next_reconnects(
    sink: PostgresSink, postgres_url: str, table: str
) -> None:
    await sink.write([_event("a", {"n": 1})])
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as admin:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (f"pipeflow sink {table}",),
        )
    with pytest.raises(SinkError) as failed:
        await sink.write([_event("b", {"n": 2})])
    assert failed.value.retryable is True
    await sink.write([_event("b", {"n": 2})])
    assert [key for key, _, _ in await _rows(postgres_url, table)] == ["a", "b"]


async def test_a_schema_qualified_table_is_created_in_its_schema(postgres_url: str, table: str) -> None:
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS s_{table}")
    sink = PostgresSink("pg", postgres_url, table=f"s_{table}.logs", clock=FakeClock(0.0))
    await sink.open()
    try:
        await sink.write([_event("a", {"n": 1})])
    finally:
        await sink.close()
    assert [key for key, _, _ in await _rows(postgres_url, f"s_{table}.logs")] == ["a"]


def test_a_table_name_that_is_not_an_identifier_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid table name"):
        PostgresSink("pg", "postgresql://x", table="events; DROP TABLE x", clock=FakeClock(0.0))
