"""One contract for the repository ports, run against the in-memory fakes and against SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from returns.pipeline import is_successful
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import ConcurrencyConflict, NotFound
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.repositories import (
    KEY_KEPT_S,
    IdempotencyStore,
    InProgress,
    PipelineRepository,
    RouteTableRepository,
    StoredAnswer,
)
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from pipeflow.infrastructure.sqlite.management_db import ManagementDb
from pipeflow.infrastructure.sqlite.repositories import (
    SqliteIdempotencyStore,
    SqlitePipelineRepository,
    SqliteRouteTableRepository,
)
from tests.fakes import InMemoryIdempotencyStore, InMemoryPipelineRepository, InMemoryRouteTableRepository


@dataclass
class Repos:
    pipelines: PipelineRepository
    routes: RouteTableRepository
    keys: IdempotencyStore


@pytest.fixture(params=["memory", "sqlite"])
async def repos(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Repos]:
    if request.param == "memory":
        yield Repos(InMemoryPipelineRepository(), InMemoryRouteTableRepository(), InMemoryIdempotencyStore())
        return
    db = await ManagementDb.open(tmp_path / "state.db")
    try:
        yield Repos(SqlitePipelineRepository(db), SqliteRouteTableRepository(db), SqliteIdempotencyStore(db))
    finally:
        await db.close()


def pipe(pid: str, field: str = "msg", description: str = "") -> Pipeline:
    return Pipeline(PipelineId(pid), (FunctionSpec("upper", {"field": field}, "a == 1"),), description)


def table(*names: str) -> RouteTable:
    return RouteTable(tuple(Route(RouteId(n), "true", (SinkName("out"),), PipelineId("p")) for n in names))


async def test_add_then_read_back(repos: Repos) -> None:
    stored = await repos.pipelines.add(pipe("p", description="d"))
    assert stored == Success(pipe("p", description="d"))
    assert await repos.pipelines.get(PipelineId("p")) == stored
    assert await repos.pipelines.get_version(PipelineId("p"), 1) == stored
    assert await repos.pipelines.get(PipelineId("q")) == Failure(NotFound("pipeline", "q"))
    assert await repos.pipelines.get_version(PipelineId("p"), 2) == Failure(
        NotFound("pipeline version", "p@2")
    )


async def test_add_of_a_live_id_conflicts(repos: Repos) -> None:
    await repos.pipelines.add(pipe("p"))
    assert await repos.pipelines.add(pipe("p", "other")) == Failure(
        ConcurrencyConflict("pipeline", "p", 0, 1)
    )


async def test_update_is_compare_and_set(repos: Repos) -> None:
    await repos.pipelines.add(pipe("p"))
    two = await repos.pipelines.update(pipe("p", "b"), 1)
    assert two == Success(Pipeline(PipelineId("p"), pipe("p", "b").functions, version=2))
    lost = await repos.pipelines.update(pipe("p", "c"), 1)
    assert lost == Failure(ConcurrencyConflict("pipeline", "p", 1, 2))
    assert await repos.pipelines.get(PipelineId("p")) == two
    assert await repos.pipelines.update(pipe("zz"), 1) == Failure(NotFound("pipeline", "zz"))
    assert [p.version for p in await repos.pipelines.history(PipelineId("p"))] == [1, 2]


async def test_delete_keeps_history_and_frees_the_id(repos: Repos) -> None:
    pid = PipelineId("p")
    await repos.pipelines.add(pipe("p"))
    await repos.pipelines.update(pipe("p", "b"), 1)
    assert await repos.pipelines.delete(pid, 1) == Failure(ConcurrencyConflict("pipeline", "p", 1, 2))
    last = await repos.pipelines.delete(pid, 2)
    assert last == Success(Pipeline(pid, pipe("p", "b").functions, version=2))
    assert await repos.pipelines.get(pid) == Failure(NotFound("pipeline", "p"))
    assert await repos.pipelines.delete(pid, 3) == Failure(NotFound("pipeline", "p"))
    assert await repos.pipelines.update(pipe("p"), 3) == Failure(NotFound("pipeline", "p"))
    assert [p.version for p in await repos.pipelines.history(pid)] == [1, 2]
    tombstone = await repos.pipelines.get_version(pid, 3)
    assert tombstone == Failure(NotFound("pipeline version", "p@3"))
    again = await repos.pipelines.add(pipe("p", "c"))
    assert again.map(lambda p: p.version) == Success(4)
    assert [p.version for p in await repos.pipelines.history(pid)] == [1, 2, 4]


async def test_list_page_orders_by_id_and_skips_deleted(repos: Repos) -> None:
    for pid in ["c", "a", "e", "b", "d"]:
        await repos.pipelines.add(pipe(pid))
    await repos.pipelines.delete(PipelineId("c"), 1)
    first = await repos.pipelines.list_page(None, 2)
    assert [p.id for p in first] == ["a", "b"]
    rest = await repos.pipelines.list_page(PipelineId("b"), 10)
    assert [p.id for p in rest] == ["d", "e"]


async def test_two_writers_with_one_expected_version_one_wins(repos: Repos) -> None:
    await repos.pipelines.add(pipe("p"))
    results: list[object] = []

    async def write(field: str) -> None:
        results.append(await repos.pipelines.update(pipe("p", field), 1))

    async with anyio.create_task_group() as tg:
        tg.start_soon(write, "x")
        tg.start_soon(write, "y")
    winners = [r for r in results if isinstance(r, Success)]
    assert len(winners) == 1
    assert [r for r in results if not isinstance(r, Success)] == [
        Failure(ConcurrencyConflict("pipeline", "p", 1, 2))
    ]
    assert await repos.pipelines.get(PipelineId("p")) == winners[0]


async def test_route_table_starts_empty_and_is_compare_and_set(repos: Repos) -> None:
    assert await repos.routes.get() == RouteTable((), 0)
    one = await repos.routes.put(table("a"), 0)
    assert one == Success(table("a"))
    assert await repos.routes.put(table("b"), 0) == Failure(ConcurrencyConflict("routes", "routes", 0, 1))
    two = await repos.routes.put(table("b", "c"), 1)
    assert two.map(lambda t: t.version) == Success(2)
    assert await repos.routes.put(table("d"), 1) == Failure(ConcurrencyConflict("routes", "routes", 1, 2))
    assert Success(await repos.routes.get()) == two
    assert await repos.routes.get_version(1) == one
    assert await repos.routes.get_version(3) == Failure(NotFound("routes version", "3"))
    assert [t.version for t in await repos.routes.history()] == [1, 2]


async def test_route_table_race_one_wins(repos: Repos) -> None:
    results: list[Result[RouteTable, ConcurrencyConflict]] = []

    async def write(name: str) -> None:
        results.append(await repos.routes.put(table(name), 0))

    async with anyio.create_task_group() as tg:
        tg.start_soon(write, "x")
        tg.start_soon(write, "y")
    stored = [r.unwrap() for r in results if is_successful(r)]
    assert [t.version for t in stored] == [1]
    assert [r for r in results if not is_successful(r)] == [
        Failure(ConcurrencyConflict("routes", "routes", 0, 1))
    ]
    assert await repos.routes.get() == stored[0]


async def test_idempotency_key_keeps_the_first_answer(repos: Repos) -> None:
    assert await repos.keys.claim("k", 100.0) == Success(None)
    assert await repos.keys.claim("k", 101.0) == Failure(InProgress("k"))
    await repos.keys.complete("k", StoredAnswer(201, '{"id": "p"}'))
    await repos.keys.complete("k", StoredAnswer(500, "later"))
    assert await repos.keys.claim("k", 102.0) == Failure(StoredAnswer(201, '{"id": "p"}'))
    await repos.keys.release("k")  # an answered key is not released
    assert await repos.keys.claim("k", 103.0) == Failure(StoredAnswer(201, '{"id": "p"}'))


async def test_idempotency_keys_are_kept_a_day_then_free(repos: Repos) -> None:
    assert await repos.keys.claim("k", 100.0) == Success(None)
    await repos.keys.complete("k", StoredAnswer(201, "first"))
    assert await repos.keys.claim("k", 100.0 + KEY_KEPT_S - 1) == Failure(StoredAnswer(201, "first"))
    assert await repos.keys.claim("k", 100.0 + KEY_KEPT_S) == Success(None)  # forgotten: a new request
    await repos.keys.complete("k", StoredAnswer(422, "second"))
    assert await repos.keys.claim("k", 200.0 + KEY_KEPT_S) == Failure(StoredAnswer(422, "second"))


async def test_idempotency_claim_released_or_abandoned_is_free(repos: Repos) -> None:
    assert await repos.keys.claim("k", 100.0) == Success(None)
    await repos.keys.release("k")
    assert await repos.keys.claim("k", 100.0) == Success(None)
    assert await repos.keys.claim("k", 100.0 + 3600) == Success(None)  # the first claimer died
    assert await repos.keys.claim("k", 100.0 + 3601) == Failure(InProgress("k"))
