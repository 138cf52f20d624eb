"""The SQLite management store on a real file: migrations, WAL, history, rollback, races."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import pytest
from returns.pipeline import is_successful
from returns.result import Failure, Result, Success

from pipeflow.application.pipelines import PipelineDraft
from pipeflow.application.services import Services, make_services
from pipeflow.domain.errors import ConcurrencyConflict, NotFound
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.repositories import KEY_KEPT_S, KEYS_PURGED_PER_CLAIM, StoredAnswer
from pipeflow.domain.routes import Route, RouteId, SinkName
from pipeflow.infrastructure.sqlite.management_db import MIGRATIONS, ManagementDb, one
from pipeflow.infrastructure.sqlite.repositories import (
    SqliteIdempotencyStore,
    SqlitePipelineRepository,
    SqliteRouteTableRepository,
)
from pipeflow.infrastructure.sqlite.state_db import applied_migrations, open_state_db
from pipeflow.infrastructure.stored_documents import StoredDocumentInvalid
from tests.fakes import FAKE_FACTORIES, CountingIds, FakeClock, fake_filter_check

UPPER = PipelineDraft((FunctionSpec("upper", {"field": "msg"}),), "shout")
DROP = PipelineDraft((FunctionSpec("drop"),), "quiet")


async def test_migrations_apply_once_and_keep_data(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "state.db"
    db = await ManagementDb.open(path)
    await SqlitePipelineRepository(db).add(Pipeline(PipelineId("p"), UPPER.functions))
    await db.close()
    again = await ManagementDb.open(path)
    try:
        stored = await SqlitePipelineRepository(again).get(PipelineId("p"))
        assert stored == Success(Pipeline(PipelineId("p"), UPPER.functions))
    finally:
        await again.close()
    with sqlite3.connect(path) as raw:
        names = [r[0] for r in raw.execute("SELECT name FROM migrations")]
        assert names == [m.name for m in MIGRATIONS]
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    raw.close()


async def test_applied_migrations_lists_ours(tmp_path: Path) -> None:
    conn = await open_state_db(tmp_path / "s.db", MIGRATIONS)
    try:
        assert await applied_migrations(conn) == tuple(m.name for m in MIGRATIONS)
    finally:
        await conn.close()


async def test_history_and_rollback_through_the_use_cases(tmp_path: Path) -> None:
    db = await ManagementDb.open(tmp_path / "state.db")
    try:
        svc = _services(db)
        pid = PipelineId("p")
        await svc.pipelines.create(UPPER, pid)
        await svc.pipelines.update(pid, DROP, 1)
        back = (await svc.pipelines.rollback(pid, 1, 2)).unwrap()
        assert (back.version, back.functions, back.description) == (3, UPPER.functions, "shout")
        history = (await svc.pipelines.history(pid)).unwrap()
        assert [(p.version, p.description) for p in history] == [(1, "shout"), (2, "quiet"), (3, "shout")]
        routes = (Route(RouteId("r"), "true", (SinkName("out"),), pid),)
        await svc.routes.put(routes, 0)
        await svc.routes.put((), 1)
        rolled = (await svc.routes.rollback(1, None)).unwrap()
        assert (rolled.version, rolled.routes) == (3, routes)
    finally:
        await db.close()


async def test_two_connections_race_one_wins(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    a, b = await ManagementDb.open(path), await ManagementDb.open(path)
    try:
        await SqlitePipelineRepository(a).add(Pipeline(PipelineId("p"), UPPER.functions))
        results: list[Result[Pipeline, ConcurrencyConflict | NotFound]] = []

        async def write(db: ManagementDb, draft: PipelineDraft) -> None:
            repo = SqlitePipelineRepository(db)
            results.append(await repo.update(Pipeline(PipelineId("p"), draft.functions), 1))

        async with anyio.create_task_group() as tg:
            tg.start_soon(write, a, UPPER)
            tg.start_soon(write, b, DROP)
        assert [r.unwrap().version for r in results if is_successful(r)] == [2]
        assert [r for r in results if not is_successful(r)] == [
            Failure(ConcurrencyConflict("pipeline", "p", 1, 2))
        ]
        assert [p.version for p in await SqlitePipelineRepository(b).history(PipelineId("p"))] == [1, 2]
    finally:
        await a.close()
        await b.close()


async def test_a_document_edited_by_hand_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    db = await ManagementDb.open(path)
    try:
        await SqlitePipelineRepository(db).add(Pipeline(PipelineId("p"), UPPER.functions))
        with sqlite3.connect(path) as raw:
            raw.execute("UPDATE pipelines SET doc = '{\"id\": 3}'")
        raw.close()
        with pytest.raises(StoredDocumentInvalid, match="stored pipeline"):
            await SqlitePipelineRepository(db).get(PipelineId("p"))
    finally:
        await db.close()


async def test_expired_idempotency_keys_are_forgotten(tmp_path: Path) -> None:
    db = await ManagementDb.open(tmp_path / "state.db")
    try:
        keys = SqliteIdempotencyStore(db)
        await keys.claim("old", 10.0)
        await keys.claim("new", 1000.0)
        assert await keys.expire(500.0) == 1
        assert await keys.claim("old", 1000.0) == Success(None)
    finally:
        await db.close()


async def test_a_delete_and_a_route_table_naming_the_pipeline_never_both_succeed(tmp_path: Path) -> None:
    """Regression: run at once, the delete read the old table and the table write found the
    pipeline still there; both were stored, and the table named a deleted pipeline."""
    db = await ManagementDb.open(tmp_path / "state.db")
    try:
        svc = _services(db)
        for attempt in range(20):
            pid = PipelineId(f"p{attempt}")
            await svc.pipelines.create(UPPER, pid)
            routes = (Route(RouteId("r"), "true", (SinkName("out"),), pid),)
            outcomes: dict[str, bool] = {}

            async def delete(pid: PipelineId = pid, out: dict[str, bool] = outcomes) -> None:
                out["delete"] = isinstance(await svc.pipelines.delete(pid, None), Success)

            async def put(routes: tuple[Route, ...] = routes, out: dict[str, bool] = outcomes) -> None:
                out["put"] = isinstance(await svc.routes.put(routes, None), Success)

            async with anyio.create_task_group() as tg:
                tg.start_soon(delete)
                tg.start_soon(put)
            assert outcomes != {"delete": True, "put": True}, attempt
            table = await svc.routes.get()
            for route in table.routes:
                assert route.pipeline is not None
                assert isinstance(await svc.pipelines.get(route.pipeline), Success), (attempt, table)
            await svc.routes.put((), None)
    finally:
        await db.close()


def _services(db: ManagementDb) -> Services:
    """The use cases on real SQLite repositories of ``db``, with fakes for the rest."""
    return make_services(
        pipelines=SqlitePipelineRepository(db),
        routes=SqliteRouteTableRepository(db),
        idempotency=SqliteIdempotencyStore(db),
        factories=FAKE_FACTORIES,
        known_sinks=frozenset({"out"}),
        filter_check=fake_filter_check,
        handlers={},
        ids=CountingIds(),
        clock=FakeClock(),
    )


async def test_a_claim_deletes_a_bounded_number_of_old_keys_found_by_the_index(tmp_path: Path) -> None:
    db = await ManagementDb.open(tmp_path / "state.db")
    try:
        keys = SqliteIdempotencyStore(db)
        for k in range(KEYS_PURGED_PER_CLAIM * 2 + 10):
            await keys.claim(f"old{k}", 10.0 + k)
            await keys.complete(f"old{k}", StoredAnswer(201, "{}"))
        later = 10.0 + KEY_KEPT_S + 10_000
        assert await keys.claim("a", later) == Success(None)
        async with db.transaction() as conn:
            left = await one(conn, "SELECT count(*) FROM idempotency WHERE key LIKE 'old%'", ())
            plan = await (
                await conn.execute(
                    "EXPLAIN QUERY PLAN SELECT rowid FROM idempotency WHERE created_at <= ? LIMIT 5", (later,)
                )
            ).fetchall()
        assert left is not None
        assert int(left[0]) == KEYS_PURGED_PER_CLAIM + 10
        assert "idempotency_created_at" in str(plan)  # no scan of the whole table
        assert await keys.claim("b", later) == Success(None)
        assert await keys.claim("c", later) == Success(None)
        async with db.transaction() as conn:
            left = await one(conn, "SELECT count(*) FROM idempotency WHERE key LIKE 'old%'", ())
        assert left is not None
        assert int(left[0]) == 0
    finally:
        await db.close()
