"""``serve`` on PostgreSQL, in process: seeding by two workers at once, and following the changes
other workers notify, across a lost listening connection."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from functools import partial
from pathlib import Path

import anyio
import psycopg
import pytest
from psycopg import sql
from returns.result import Result, Success

from pipeflow.application.services import Services, make_services
from pipeflow.domain.errors import ConcurrencyConflict, NotFound
from pipeflow.domain.pipeline import Pipeline, PipelineId
from pipeflow.domain.routes import RouteTable
from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.postgres.repositories import (
    PostgresPipelineRepository,
    PostgresRouteTableRepository,
)
from pipeflow.interfaces.bootstrap import bootstrap
from pipeflow.interfaces.bootstrap.database import Stores, open_stores
from pipeflow.interfaces.bootstrap.database_postgres import follow_changes
from pipeflow.interfaces.bootstrap.serve import seed
from tests.contract.test_repository_contract import table
from tests.e2e.conftest import write_config
from tests.e2e.serve_support import STAMP

pytestmark = pytest.mark.scaleout


@pytest.fixture
async def database(postgres_url: str) -> AsyncIterator[str]:
    """A ``postgresql://...?schema=...`` URL whose schema is dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield f"{postgres_url}?schema={name}"
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


class BlindPipelines:
    """Reads as if no pipeline had a history yet: a worker that checked just before another seeded."""

    def __init__(self, inner: PostgresPipelineRepository) -> None:
        self._inner = inner

    async def get(self, pipeline_id: PipelineId) -> Result[Pipeline, NotFound]:
        return await self._inner.get(pipeline_id)

    async def get_version(self, pipeline_id: PipelineId, version: int) -> Result[Pipeline, NotFound]:
        return await self._inner.get_version(pipeline_id, version)

    async def history(self, pipeline_id: PipelineId) -> Sequence[Pipeline]:
        return ()

    async def list_page(self, after: PipelineId | None, limit: int) -> Sequence[Pipeline]:
        return await self._inner.list_page(after, limit)

    async def add(self, pipeline: Pipeline) -> Result[Pipeline, ConcurrencyConflict]:
        return await self._inner.add(pipeline)

    async def update(
        self, pipeline: Pipeline, expected: int
    ) -> Result[Pipeline, ConcurrencyConflict | NotFound]:
        return await self._inner.update(pipeline, expected)

    async def delete(
        self, pipeline_id: PipelineId, expected: int
    ) -> Result[Pipeline, ConcurrencyConflict | NotFound]:
        return await self._inner.delete(pipeline_id, expected)


class BlindRoutes:
    """Reads the route table as never stored (version 0), and writes through."""

    def __init__(self, inner: PostgresRouteTableRepository) -> None:
        self._inner = inner

    async def get(self) -> RouteTable:
        return RouteTable((), 0)

    async def get_version(self, version: int) -> Result[RouteTable, NotFound]:
        return await self._inner.get_version(version)

    async def history(self) -> Sequence[RouteTable]:
        return await self._inner.history()

    async def put(self, table: RouteTable, expected: int) -> Result[RouteTable, ConcurrencyConflict]:
        return await self._inner.put(table, expected)


def _services(stores: Stores, *, blind: bool) -> Services:
    assert isinstance(stores.pipelines, PostgresPipelineRepository)
    assert isinstance(stores.routes, PostgresRouteTableRepository)
    return make_services(
        pipelines=BlindPipelines(stores.pipelines) if blind else stores.pipelines,
        routes=BlindRoutes(stores.routes) if blind else stores.routes,
        idempotency=stores.idempotency,
        factories=bootstrap().factories,
        known_sinks=frozenset({"out"}),
        filter_check=lambda _: None,
        handlers={},
        ids=UlidFactory(),
        clock=SystemClock(),
    )


async def test_a_worker_that_loses_the_seeding_race_counts_it_as_seeded(
    tmp_path: Path, database: str
) -> None:
    loaded = bootstrap().load(str(write_config(tmp_path, STAMP))).unwrap()
    first, second = (await open_stores(database)).unwrap(), (await open_stores(database)).unwrap()
    try:
        assert await seed(_services(first, blind=False), loaded) == []
        # The second worker checked before the first seeded: its writes conflict, which is no problem.
        assert await seed(_services(second, blind=True), loaded) == []
        assert [p.version for p in await first.pipelines.history(PipelineId("stamp"))] == [1]
        assert [t.version for t in await first.routes.history()] == [1]
    finally:
        await first.close()
        await second.close()


async def test_changes_of_other_workers_reload_also_after_a_lost_connection(database: str) -> None:
    listener, writer = (await open_stores(database)).unwrap(), (await open_stores(database)).unwrap()
    assert listener.postgres is not None
    assert writer.postgres is not None
    reasons: list[str] = []

    async def reload(reason: str) -> None:
        reasons.append(reason)

    async def until(count: int) -> None:
        with anyio.fail_after(10):
            while len(reasons) < count:  # noqa: ASYNC110 - the reloads are appended by another task
                await anyio.sleep(0.02)

    routes = PostgresRouteTableRepository(writer.postgres)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(partial(follow_changes, listener.postgres, reload, pause_s=0.1))
            await until(1)
            assert (await routes.put(table(), 0)).map(lambda t: t.version) == Success(1)
            await until(2)
            killed = await writer.postgres.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = %s",
                (f'LISTEN "{listener.postgres.channel}"',),
            )
            assert killed == [(True,)]
            await until(3)  # listening again: reloads everything, since changes meanwhile were not heard
            assert (await routes.put(table(), 1)).map(lambda t: t.version) == Success(2)
            await until(4)
            tg.cancel_scope.cancel()
    finally:
        await listener.close()
        await writer.close()
    assert reasons == [
        "listening for changes",
        "routes routes version 1 (notified)",
        "listening for changes",
        "routes routes version 2 (notified)",
    ]
