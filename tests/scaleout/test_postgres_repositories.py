"""The PostgreSQL repositories against a real server: the shared repository contract, races between
connections, and ``LISTEN``/``NOTIFY`` from one connection to another.

Each test gets a schema of its own (dropped after it), so tests never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
import psycopg
import pytest
from psycopg import sql
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import ConcurrencyConflict
from pipeflow.domain.pipeline import PipelineId
from pipeflow.domain.routes import RouteTable
from pipeflow.infrastructure.postgres.changes import Change
from pipeflow.infrastructure.postgres.db import PostgresDb
from pipeflow.infrastructure.postgres.repositories import (
    PostgresIdempotencyStore,
    PostgresPipelineRepository,
    PostgresRouteTableRepository,
)
from tests.contract import test_repository_contract as contract
from tests.contract.test_repository_contract import Repos, pipe, table

pytestmark = pytest.mark.scaleout

# Every check of the shared contract, collected here again with the PostgreSQL ``repos`` below.
globals().update({name: check for name, check in vars(contract).items() if name.startswith("test_")})


@asynccontextmanager
async def schema_of(url: str) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    try:
        yield name
    finally:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
async def schema(postgres_url: str) -> AsyncIterator[str]:
    async with schema_of(postgres_url) as name:
        yield name


@pytest.fixture
async def repos(postgres_url: str, schema: str) -> AsyncIterator[Repos]:
    db = await PostgresDb.open(postgres_url, schema=schema)
    try:
        yield Repos(
            PostgresPipelineRepository(db), PostgresRouteTableRepository(db), PostgresIdempotencyStore(db)
        )
    finally:
        await db.close()


@asynccontextmanager
async def two_connections(url: str, schema: str) -> AsyncIterator[tuple[PostgresDb, PostgresDb]]:
    first = await PostgresDb.open(url, schema=schema)
    try:
        second = await PostgresDb.open(url, schema=schema)
        try:
            yield first, second
        finally:
            await second.close()
    finally:
        await first.close()


Answer = Result[Any, Any]


def outcome(answer: Answer) -> str:
    """What kind of answer a write gave: ``<Success: Pipeline>``, ``<Failure: ConcurrencyConflict>``."""
    return str(answer.map(lambda v: type(v).__name__).alt(lambda e: type(e).__name__))


async def race(*writes: Callable[[], Coroutine[Any, Any, Answer]]) -> list[Answer]:
    results: list[Answer] = []
    start = anyio.Event()

    async def run(write: Callable[[], Coroutine[Any, Any, Answer]]) -> None:
        await start.wait()
        results.append(await write())

    async with anyio.create_task_group() as tg:
        for write in writes:
            tg.start_soon(run, write)
        start.set()
    return results


async def test_two_writers_on_two_connections_one_wins_every_round(postgres_url: str, schema: str) -> None:
    async with two_connections(postgres_url, schema) as (one, two):
        a, b = PostgresPipelineRepository(one), PostgresPipelineRepository(two)
        for n in range(15):
            pid = PipelineId(f"p{n}")
            await a.add(pipe(pid))
            results = await race(partial(a.update, pipe(pid, "x"), 1), partial(b.update, pipe(pid, "y"), 1))
            winners = [r for r in results if isinstance(r, Success)]
            assert len(winners) == 1
            assert [r for r in results if not isinstance(r, Success)] == [
                Failure(ConcurrencyConflict("pipeline", pid, 1, 2))
            ]
            assert await b.get(pid) == winners[0] == await a.get(pid)
            adds = await race(partial(a.add, pipe(f"new{n}")), partial(b.add, pipe(f"new{n}")))
            assert sorted(outcome(r) for r in adds) == [
                "<Failure: ConcurrencyConflict>",
                "<Success: Pipeline>",
            ]


async def test_route_table_race_on_two_connections(postgres_url: str, schema: str) -> None:
    async with two_connections(postgres_url, schema) as (one, two):
        a, b = PostgresRouteTableRepository(one), PostgresRouteTableRepository(two)
        for expected in range(10):
            results = await race(partial(a.put, table("x"), expected), partial(b.put, table("y"), expected))
            assert sorted(outcome(r) for r in results) == [
                "<Failure: ConcurrencyConflict>",
                "<Success: RouteTable>",
            ]
        assert [t.version for t in await a.history()] == list(range(1, 11))


async def test_a_change_on_one_connection_is_notified_on_another(postgres_url: str, schema: str) -> None:
    async with two_connections(postgres_url, schema) as (writer, watcher):
        pipelines, routes = PostgresPipelineRepository(writer), PostgresRouteTableRepository(writer)
        async with watcher.changes() as changes:
            await pipelines.add(pipe("p"))
            lost = await pipelines.update(pipe("p", "b"), 5)  # not notified
            assert lost == Failure(ConcurrencyConflict("pipeline", "p", 5, 1))
            await pipelines.update(pipe("p", "b"), 1)
            await routes.put(table("r"), 0)
            await pipelines.delete(PipelineId("p"), 2)
            got: list[Change] = []
            with anyio.fail_after(5):
                async for change in changes:
                    got.append(change)
                    if len(got) == 4:
                        break
    assert got == [
        Change("pipeline", "p", 1),
        Change("pipeline", "p", 2),
        Change("routes", "routes", 1),
        Change("pipeline", "p", 3),
    ]


async def test_changes_in_another_schema_are_not_heard(postgres_url: str, schema: str) -> None:
    async with schema_of(postgres_url) as elsewhere:
        other = await PostgresDb.open(postgres_url, schema=elsewhere)
        mine = await PostgresDb.open(postgres_url, schema=schema)
        try:
            async with mine.changes() as changes:
                await PostgresRouteTableRepository(other).put(table("x"), 0)
                await PostgresRouteTableRepository(mine).put(table("y"), 0)
                with anyio.fail_after(5):
                    first = await anext(aiter(changes))
            assert first == Change("routes", "routes", 1)
            assert (await PostgresRouteTableRepository(mine).get()).routes == table("y").routes
        finally:
            await other.close()
            await mine.close()


async def test_a_broken_connection_is_replaced(postgres_url: str, schema: str) -> None:
    db = await PostgresDb.open(postgres_url, schema=schema)
    try:
        pipelines = PostgresPipelineRepository(db)
        await pipelines.add(pipe("p"))
        [(backend,)] = await db.fetch("SELECT pg_backend_pid()")
        async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        with pytest.raises(psycopg.OperationalError):
            await pipelines.get(PipelineId("p"))
        assert await pipelines.get(PipelineId("p")) == Success(pipe("p"))
        assert await PostgresRouteTableRepository(db).get() == RouteTable((), 0)
    finally:
        await db.close()
