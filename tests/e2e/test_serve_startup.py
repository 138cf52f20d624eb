"""``serve``'s start: seeding from the config through the use cases' Results, and refusing to start
when the stored pipelines and routes do not compile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeflow.application.services import Services, make_services
from pipeflow.domain.pipeline import Pipeline, PipelineId
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from pipeflow.infrastructure.sqlite.management_db import ManagementDb
from pipeflow.infrastructure.sqlite.repositories import SqliteRouteTableRepository
from pipeflow.interfaces.bootstrap import bootstrap
from pipeflow.interfaces.bootstrap.serve import ServeError, ServeOptions, seed, serve
from pipeflow.interfaces.config.loader import LoadedConfig
from tests.e2e.conftest import write_config
from tests.e2e.serve_support import STAMP
from tests.fakes import (
    CountingIds,
    FakeClock,
    InMemoryIdempotencyStore,
    InMemoryPipelineRepository,
    InMemoryRouteTableRepository,
    fake_filter_check,
)


@dataclass
class BlindPipelines(InMemoryPipelineRepository):
    """Reads no history: a worker that checked just before another one seeded."""

    async def history(self, pipeline_id: PipelineId) -> Sequence[Pipeline]:
        return []


@dataclass
class BlindRoutes(InMemoryRouteTableRepository):
    """Reads the table as never stored, and writes through."""

    async def get(self) -> RouteTable:
        return RouteTable((), 0)


def services(
    pipelines: InMemoryPipelineRepository, routes: InMemoryRouteTableRepository, *, installed: bool
) -> Services:
    return make_services(
        pipelines=pipelines,
        routes=routes,
        idempotency=InMemoryIdempotencyStore(),
        factories=bootstrap().factories if installed else {},
        known_sinks=frozenset({"out"}) if installed else frozenset(),
        filter_check=fake_filter_check,
        handlers={},
        ids=CountingIds(),
        clock=FakeClock(),
    )


def stamp_config(tmp_path: Path) -> LoadedConfig:
    return bootstrap().load(str(write_config(tmp_path, STAMP))).unwrap()


async def test_seed_stores_the_config_once(tmp_path: Path) -> None:
    loaded = stamp_config(tmp_path)
    pipelines, routes = InMemoryPipelineRepository(), InMemoryRouteTableRepository()
    assert await seed(services(pipelines, routes, installed=True), loaded) == []
    assert await seed(services(pipelines, routes, installed=True), loaded) == []
    assert [p.version for p in await pipelines.history(PipelineId("stamp"))] == [1]
    assert [t.version for t in routes.tables] == [1]


async def test_seed_counts_a_lost_race_as_seeded(tmp_path: Path) -> None:
    loaded = stamp_config(tmp_path)
    pipelines, routes = BlindPipelines(), BlindRoutes()
    assert await seed(services(pipelines, routes, installed=True), loaded) == []
    # A second worker that read nothing before the first one wrote: its writes conflict.
    assert await seed(services(pipelines, routes, installed=True), loaded) == []
    assert [p.version for p in await InMemoryPipelineRepository.history(pipelines, PipelineId("stamp"))] == [
        1
    ]
    assert [t.version for t in routes.tables] == [1]


async def test_seed_reports_every_problem_of_what_does_not_validate(tmp_path: Path) -> None:
    loaded = stamp_config(tmp_path)
    pipelines, routes = InMemoryPipelineRepository(), InMemoryRouteTableRepository()
    assert await seed(services(pipelines, routes, installed=False), loaded) == [
        (
            "pipeline 'stamp': functions[0].type: unknown function type 'eval'; "
            "functions[1].type: unknown function type 'eval'"
        ),
        "routes: routes[0].pipeline: unknown pipeline 'stamp'; routes[0].sinks[0]: unknown sink 'out'",
    ]
    assert (pipelines.versions, routes.tables) == ({}, [])


async def test_serve_refuses_stored_routes_that_do_not_compile(tmp_path: Path) -> None:
    database = tmp_path / "manage.db"
    db = await ManagementDb.open(database)
    try:
        gone = Route(RouteId("r"), "true", (SinkName("gone"),))
        (await SqliteRouteTableRepository(db).put(RouteTable((gone,)), 0)).unwrap()
    finally:
        await db.close()
    options = ServeOptions(port=0, database=str(database))
    with pytest.raises(ServeError) as raised:
        await serve(bootstrap(), stamp_config(tmp_path), options, handle_signals=False)
    assert str(raised.value) == (
        "the stored pipelines and routes cannot run: routes[0].sinks: unknown sink 'gone'"
    )


async def test_serve_names_a_state_dir_it_cannot_create(tmp_path: Path) -> None:
    """Regression: a ``state_dir`` under a file was an internal error (``run`` named it)."""
    (tmp_path / "afile").write_text("x")
    text = STAMP.replace("state_dir: state", f"state_dir: {tmp_path / 'afile' / 'state'}")
    assert text != STAMP
    loaded = bootstrap().load(str(write_config(tmp_path, text))).unwrap()
    options = ServeOptions(port=0, database=str(tmp_path / "manage.db"))
    with pytest.raises(ServeError) as raised:
        await serve(bootstrap(), loaded, options, handle_signals=False)
    assert (
        str(raised.value)
        == f"state_dir {str(tmp_path / 'afile' / 'state')!r} cannot be created: Not a directory"
    )
