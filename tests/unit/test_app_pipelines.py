from __future__ import annotations

import pytest

from pipeflow.application.pipelines import Page, PipelineDraft, Preview, decode_cursor
from pipeflow.application.services import Services, make_services
from pipeflow.application.versioning import StaleVersion
from pipeflow.domain.domain_events import (
    PipelineCreated,
    PipelineDeleted,
    PipelineUpdated,
    RoutesUpdated,
    event_name,
)
from pipeflow.domain.errors import ConcurrencyConflict, NotFound, ValidationError
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from tests.fakes import (
    FAKE_FACTORIES,
    CountingIds,
    FakeClock,
    InMemoryIdempotencyStore,
    InMemoryPipelineRepository,
    InMemoryRouteTableRepository,
    RecordingHandler,
    fake_filter_check,
)

UPPER = PipelineDraft((FunctionSpec("upper", {"field": "msg"}),), "shout")
DROP = PipelineDraft((FunctionSpec("drop"),))


@pytest.fixture
def heard() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def svc(heard: RecordingHandler) -> Services:
    every = [heard]
    return make_services(
        pipelines=InMemoryPipelineRepository(),
        routes=InMemoryRouteTableRepository(),
        idempotency=InMemoryIdempotencyStore(),
        factories=FAKE_FACTORIES,
        known_sinks=frozenset({"out", "errors"}),
        filter_check=fake_filter_check,
        handlers={
            PipelineCreated: every,
            PipelineUpdated: every,
            PipelineDeleted: every,
            RoutesUpdated: every,
        },
        ids=CountingIds(),
        clock=FakeClock(),
    )


def route(
    name: str, pipeline: str | None = "p", sinks: tuple[str, ...] = ("out",), flt: str = "true"
) -> Route:
    return Route(
        RouteId(name), flt, tuple(SinkName(s) for s in sinks), PipelineId(pipeline) if pipeline else None
    )


async def test_create_assigns_version_1_and_publishes(svc: Services, heard: RecordingHandler) -> None:
    made = await svc.pipelines.create(UPPER, PipelineId("p"))
    assert isinstance(made, Pipeline)
    assert (made.id, made.version, made.description) == ("p", 1, "shout")
    assert [event_name(e) for e in heard.seen] == ["pipeline.created"]
    generated = await svc.pipelines.create(UPPER)
    assert isinstance(generated, Pipeline)
    assert generated.id == "id-000001"


async def test_create_lists_every_problem_and_stores_nothing(svc: Services, heard: RecordingHandler) -> None:
    bad = PipelineDraft((FunctionSpec("nope"), FunctionSpec("upper"), FunctionSpec("drop", {"x": 1})))
    got = await svc.pipelines.create(bad, PipelineId("bad id!"))
    assert isinstance(got, ValidationError)
    assert [p.where for p in got.problems] == [
        "id",
        "functions[0].type",
        "functions[1].field",
        "functions[2].x",
    ]
    assert heard.seen == []
    empty = await svc.pipelines.create(PipelineDraft(()), PipelineId("e"))
    assert isinstance(empty, ValidationError)
    assert isinstance(await svc.pipelines.get(PipelineId("e")), NotFound)


async def test_create_twice_with_one_id_conflicts(svc: Services) -> None:
    await svc.pipelines.create(UPPER, PipelineId("p"))
    again = await svc.pipelines.create(DROP, PipelineId("p"))
    assert again == ConcurrencyConflict("pipeline", "p", 0, 1)


async def test_update_checks_the_expected_version(svc: Services, heard: RecordingHandler) -> None:
    await svc.pipelines.create(UPPER, PipelineId("p"))
    assert await svc.pipelines.update(PipelineId("p"), DROP, 7) == StaleVersion("pipeline", "p", 7, 1)
    updated = await svc.pipelines.update(PipelineId("p"), DROP, 1)
    assert isinstance(updated, Pipeline)
    assert updated.version == 2
    assert updated.description == ""
    any_version = await svc.pipelines.update(PipelineId("p"), UPPER, None)
    assert isinstance(any_version, Pipeline)
    assert any_version.version == 3
    assert isinstance(heard.seen[-1], PipelineUpdated)
    assert isinstance(await svc.pipelines.update(PipelineId("zz"), DROP, 1), NotFound)


async def test_invalid_update_changes_nothing(svc: Services) -> None:
    await svc.pipelines.create(UPPER, PipelineId("p"))
    got = await svc.pipelines.update(PipelineId("p"), PipelineDraft((FunctionSpec("upper"),)), 1)
    assert isinstance(got, ValidationError)
    current = await svc.pipelines.get(PipelineId("p"))
    assert isinstance(current, Pipeline)
    assert current.version == 1


async def test_lost_race_is_a_conflict_not_a_stale_version(svc: Services) -> None:
    await svc.pipelines.create(UPPER, PipelineId("p"))
    repo = svc.pipelines.pipelines
    # Another writer lands between this writer's read and its compare-and-set.
    first = await repo.update(Pipeline(PipelineId("p"), DROP.functions, version=2), 1)
    assert isinstance(first, Pipeline)
    second = await repo.update(Pipeline(PipelineId("p"), UPPER.functions, version=2), 1)
    assert second == ConcurrencyConflict("pipeline", "p", 1, 2)


async def test_history_and_rollback(svc: Services) -> None:
    pid = PipelineId("p")
    await svc.pipelines.create(UPPER, pid)
    await svc.pipelines.update(pid, DROP, 1)
    back = await svc.pipelines.rollback(pid, 1, 2)
    assert isinstance(back, Pipeline)
    assert (back.version, back.functions, back.description) == (3, UPPER.functions, "shout")
    history = await svc.pipelines.history(pid)
    assert isinstance(history, tuple)
    assert [p.version for p in history] == [1, 2, 3]
    assert isinstance(await svc.pipelines.rollback(pid, 9, None), NotFound)
    assert await svc.pipelines.rollback(pid, 1, 1) == StaleVersion("pipeline", "p", 1, 3)
    assert isinstance(await svc.pipelines.history(PipelineId("none")), NotFound)


async def test_delete_refused_while_a_route_uses_it(svc: Services, heard: RecordingHandler) -> None:
    pid = PipelineId("p")
    await svc.pipelines.create(UPPER, pid)
    await svc.routes.put((route("r"),), 0)
    refused = await svc.pipelines.delete(pid, 1)
    assert isinstance(refused, ValidationError)
    assert refused.problems[0].where == "routes[0].pipeline"
    await svc.routes.put((route("r", pipeline=None),), 1)
    assert await svc.pipelines.delete(pid, 5) == StaleVersion("pipeline", "p", 5, 1)
    gone = await svc.pipelines.delete(pid, 1)
    assert isinstance(gone, Pipeline)
    assert heard.seen[-1] == PipelineDeleted(pid, 1)
    assert isinstance(await svc.pipelines.get(pid), NotFound)
    assert isinstance(await svc.pipelines.delete(pid, 1), NotFound)
    again = await svc.pipelines.create(DROP, pid)
    assert isinstance(again, Pipeline)
    assert again.version == 3  # numbering goes on after the tombstone (version 2)


async def test_paging_walks_every_pipeline_once(svc: Services) -> None:
    for i in range(7):
        await svc.pipelines.create(UPPER, PipelineId(f"p{i}"))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await svc.pipelines.list(3, cursor)
        assert isinstance(page, Page)
        seen.extend(p.id for p in page.items)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"p{i}" for i in range(7)]
    assert pages == 3
    assert isinstance(await svc.pipelines.list(3, "%%%"), ValidationError)
    assert isinstance(await svc.pipelines.list(0), ValidationError)
    assert isinstance(decode_cursor("!!"), ValidationError)


async def test_preview_runs_and_writes_nothing(svc: Services) -> None:
    pid = PipelineId("p")
    await svc.pipelines.create(UPPER, pid)
    got = await svc.pipelines.preview(pid, [{"msg": "hi"}, {"msg": 3}])
    assert isinstance(got, Preview)
    assert [e.fields for e in got.result.outputs] == [{"msg": "HI"}, {"msg": 3}]
    assert got.pipeline.version == 1
    assert isinstance(await svc.pipelines.preview(PipelineId("x"), []), NotFound)
    history = await svc.pipelines.history(pid)
    assert isinstance(history, tuple)
    assert len(history) == 1


async def test_route_table_validation_lists_every_problem(svc: Services) -> None:
    await svc.pipelines.create(UPPER, PipelineId("p"))
    bad = (
        route("a", flt="x !! y"),
        route("a", pipeline="ghost", sinks=("nowhere", "out")),
        route("", sinks=()),
    )
    got = await svc.routes.put(bad, 0)
    assert isinstance(got, ValidationError)
    assert [p.where for p in got.problems] == [
        "routes[0].filter",
        "routes[1].name",
        "routes[1].pipeline",
        "routes[1].sinks[0]",
        "routes[2].name",
        "routes[2].sinks",
    ]
    assert await svc.routes.get() == RouteTable((), 0)


async def test_route_table_versions_history_and_rollback(svc: Services, heard: RecordingHandler) -> None:
    await svc.pipelines.create(UPPER, PipelineId("p"))
    one = await svc.routes.put((route("a"),), 0)
    assert isinstance(one, RouteTable)
    assert one.version == 1
    assert await svc.routes.put((route("b"),), 0) == StaleVersion("routes", "routes", 0, 1)
    two = await svc.routes.put((route("b", sinks=("errors",)),), 1)
    assert isinstance(two, RouteTable)
    back = await svc.routes.rollback(1, 2)
    assert isinstance(back, RouteTable)
    assert (back.version, back.routes) == (3, one.routes)
    assert [t.version for t in await svc.routes.history()] == [1, 2, 3]
    assert isinstance(await svc.routes.rollback(42, None), NotFound)
    assert heard.seen[-1] == RoutesUpdated(back)
