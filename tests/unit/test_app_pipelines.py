from __future__ import annotations

import pytest
from returns.result import Failure, Success

from pipeflow.application.pipelines import PipelineDraft, decode_cursor
from pipeflow.application.services import Services, make_services
from pipeflow.application.versioning import StaleVersion
from pipeflow.domain.domain_events import (
    PipelineCreated,
    PipelineDeleted,
    PipelineUpdated,
    RoutesUpdated,
    event_name,
)
from pipeflow.domain.errors import ConcurrencyConflict, NotFound, Problem, ValidationError
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
    made = (await svc.pipelines.create(UPPER, PipelineId("p"))).unwrap()
    assert (made.id, made.version, made.description) == ("p", 1, "shout")
    assert [event_name(e) for e in heard.seen] == ["pipeline.created"]
    generated = (await svc.pipelines.create(UPPER)).unwrap()
    assert generated.id == "id-000001"


async def test_create_lists_every_problem_and_stores_nothing(svc: Services, heard: RecordingHandler) -> None:
    bad = PipelineDraft((FunctionSpec("nope"), FunctionSpec("upper"), FunctionSpec("drop", {"x": 1})))
    got = (await svc.pipelines.create(bad, PipelineId("bad id!"))).failure()
    assert isinstance(got, ValidationError)
    assert [p.where for p in got.problems] == [
        "id",
        "functions[0].type",
        "functions[1].field",
        "functions[2].x",
    ]
    assert heard.seen == []
    empty = await svc.pipelines.create(PipelineDraft(()), PipelineId("e"))
    assert empty == Failure(
        ValidationError((Problem("functions", "a pipeline needs at least one function"),))
    )
    assert await svc.pipelines.get(PipelineId("e")) == Failure(NotFound("pipeline", "e"))
    both = (await svc.pipelines.create(PipelineDraft(()), PipelineId("bad id!"))).failure()
    assert isinstance(both, ValidationError)
    assert [p.where for p in both.problems] == ["id", "functions"]


async def test_create_twice_with_one_id_conflicts(svc: Services) -> None:
    await svc.pipelines.create(UPPER, PipelineId("p"))
    again = await svc.pipelines.create(DROP, PipelineId("p"))
    assert again == Failure(ConcurrencyConflict("pipeline", "p", 0, 1))


async def test_update_checks_the_expected_version(svc: Services, heard: RecordingHandler) -> None:
    await svc.pipelines.create(UPPER, PipelineId("p"))
    stale = await svc.pipelines.update(PipelineId("p"), DROP, 7)
    assert stale == Failure(StaleVersion("pipeline", "p", 7, 1))
    updated = (await svc.pipelines.update(PipelineId("p"), DROP, 1)).unwrap()
    assert updated.version == 2
    assert updated.description == ""
    any_version = (await svc.pipelines.update(PipelineId("p"), UPPER, None)).unwrap()
    assert any_version.version == 3
    assert isinstance(heard.seen[-1], PipelineUpdated)
    assert await svc.pipelines.update(PipelineId("zz"), DROP, 1) == Failure(NotFound("pipeline", "zz"))


async def test_invalid_update_changes_nothing(svc: Services) -> None:
    await svc.pipelines.create(UPPER, PipelineId("p"))
    got = await svc.pipelines.update(PipelineId("p"), PipelineDraft((FunctionSpec("upper"),)), 1)
    assert isinstance(got.failure(), ValidationError)
    empty = await svc.pipelines.update(PipelineId("p"), PipelineDraft(()), 1)
    assert empty == Failure(
        ValidationError((Problem("functions", "a pipeline needs at least one function"),))
    )
    current = (await svc.pipelines.get(PipelineId("p"))).unwrap()
    assert current.version == 1


async def test_lost_race_is_a_conflict_not_a_stale_version(svc: Services) -> None:
    await svc.pipelines.create(UPPER, PipelineId("p"))
    repo = svc.pipelines.pipelines
    # Another writer lands between this writer's read and its compare-and-set.
    first = await repo.update(Pipeline(PipelineId("p"), DROP.functions, version=2), 1)
    assert first == Success(Pipeline(PipelineId("p"), DROP.functions, version=2))
    second = await repo.update(Pipeline(PipelineId("p"), UPPER.functions, version=2), 1)
    assert second == Failure(ConcurrencyConflict("pipeline", "p", 1, 2))


async def test_history_and_rollback(svc: Services) -> None:
    pid = PipelineId("p")
    await svc.pipelines.create(UPPER, pid)
    await svc.pipelines.update(pid, DROP, 1)
    back = (await svc.pipelines.rollback(pid, 1, 2)).unwrap()
    assert (back.version, back.functions, back.description) == (3, UPPER.functions, "shout")
    history = (await svc.pipelines.history(pid)).unwrap()
    assert [p.version for p in history] == [1, 2, 3]
    assert await svc.pipelines.rollback(pid, 9, None) == Failure(NotFound("pipeline version", "p@9"))
    assert await svc.pipelines.rollback(pid, 1, 1) == Failure(StaleVersion("pipeline", "p", 1, 3))
    assert await svc.pipelines.rollback(PipelineId("none"), 1, None) == Failure(NotFound("pipeline", "none"))
    assert await svc.pipelines.history(PipelineId("none")) == Failure(NotFound("pipeline", "none"))


async def test_delete_refused_while_a_route_uses_it(svc: Services, heard: RecordingHandler) -> None:
    pid = PipelineId("p")
    await svc.pipelines.create(UPPER, pid)
    await svc.routes.put((route("r"),), 0)
    refused = (await svc.pipelines.delete(pid, 1)).failure()
    assert isinstance(refused, ValidationError)
    assert refused.problems[0].where == "routes[0].pipeline"
    await svc.routes.put((route("r", pipeline=None),), 1)
    assert await svc.pipelines.delete(pid, 5) == Failure(StaleVersion("pipeline", "p", 5, 1))
    gone = (await svc.pipelines.delete(pid, 1)).unwrap()
    assert gone.version == 1
    assert heard.seen[-1] == PipelineDeleted(pid, 1)
    assert await svc.pipelines.get(pid) == Failure(NotFound("pipeline", "p"))
    assert await svc.pipelines.delete(pid, 1) == Failure(NotFound("pipeline", "p"))
    again = (await svc.pipelines.create(DROP, pid)).unwrap()
    assert again.version == 3  # numbering goes on after the tombstone (version 2)


async def test_paging_walks_every_pipeline_once(svc: Services) -> None:
    for i in range(7):
        await svc.pipelines.create(UPPER, PipelineId(f"p{i}"))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = (await svc.pipelines.list(3, cursor)).unwrap()
        seen.extend(p.id for p in page.items)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"p{i}" for i in range(7)]
    assert pages == 3
    assert isinstance((await svc.pipelines.list(3, "%%%")).failure(), ValidationError)
    assert [p.where for p in (await svc.pipelines.list(0)).failure().problems] == ["limit"]
    assert [p.where for p in (await svc.pipelines.list(0, "%%%")).failure().problems] == ["cursor"]
    assert isinstance(decode_cursor("!!").failure(), ValidationError)


async def test_preview_runs_and_writes_nothing(svc: Services) -> None:
    pid = PipelineId("p")
    await svc.pipelines.create(UPPER, pid)
    got = (await svc.pipelines.preview(pid, [{"msg": "hi"}, {"msg": 3}])).unwrap()
    assert [e.fields for e in got.result.outputs] == [{"msg": "HI"}, {"msg": 3}]
    assert [[(s.index, s.outcome, s.events) for s in event] for event in got.steps] == [
        [(0, "pass", ({"msg": "HI"},))],
        [(0, "pass", ({"msg": 3},))],
    ]
    assert got.pipeline.version == 1
    assert await svc.pipelines.preview(PipelineId("x"), []) == Failure(NotFound("pipeline", "x"))
    history = (await svc.pipelines.history(pid)).unwrap()
    assert len(history) == 1


async def test_route_table_validation_lists_every_problem(svc: Services) -> None:
    await svc.pipelines.create(UPPER, PipelineId("p"))
    bad = (
        route("a", flt="x !! y"),
        route("a", pipeline="ghost", sinks=("nowhere", "out", "out")),
        route("", sinks=()),
    )
    got = (await svc.routes.put(bad, 0)).failure()
    assert isinstance(got, ValidationError)
    assert [p.where for p in got.problems] == [
        "routes[0].filter",
        "routes[1].name",
        "routes[1].pipeline",
        "routes[1].sinks[0]",
        "routes[1].sinks[2]",
        "routes[2].name",
        "routes[2].sinks",
    ]
    assert got.problems[4].message == "sink 'out' is named twice (its events would be written twice)"
    assert await svc.routes.get() == RouteTable((), 0)


async def test_route_table_versions_history_and_rollback(svc: Services, heard: RecordingHandler) -> None:
    await svc.pipelines.create(UPPER, PipelineId("p"))
    one = (await svc.routes.put((route("a"),), 0)).unwrap()
    assert one.version == 1
    assert await svc.routes.put((route("b"),), 0) == Failure(StaleVersion("routes", "routes", 0, 1))
    two = await svc.routes.put((route("b", sinks=("errors",)),), 1)
    assert two.map(lambda t: t.version) == Success(2)
    back = (await svc.routes.rollback(1, 2)).unwrap()
    assert (back.version, back.routes) == (3, one.routes)
    assert [t.version for t in await svc.routes.history()] == [1, 2, 3]
    assert await svc.routes.rollback(42, None) == Failure(NotFound("routes version", "42"))
    assert await svc.routes.rollback(1, 1) == Failure(StaleVersion("routes", "routes", 1, 3))
    assert heard.seen[-1] == RoutesUpdated(back)
