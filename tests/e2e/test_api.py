"""The management API over a real socket: uvicorn on 127.0.0.1 (random port), a real SQLite file, httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from returns.result import Result

from pipeflow.application.services import make_services
from pipeflow.domain.domain_events import (
    PipelineCreated,
    PipelineDeleted,
    PipelineUpdated,
    RoutesUpdated,
    event_name,
)
from pipeflow.domain.errors import ConcurrencyConflict, NotFound
from pipeflow.domain.pipeline import Pipeline, PipelineId
from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.plugins import load_function_plugins
from pipeflow.infrastructure.sources.asgi_server import AsgiServer
from pipeflow.infrastructure.sqlite.management_db import ManagementDb
from pipeflow.infrastructure.sqlite.repositories import (
    SqliteIdempotencyStore,
    SqlitePipelineRepository,
    SqliteRouteTableRepository,
)
from pipeflow.interfaces.http.app import create_app
from tests.fakes import RecordingHandler

TOKEN = "s3cret"
MASK = {"type": "mask", "field": "message", "pattern": r"\d+", "replacement": "#"}


def filter_check(text: str) -> str | None:
    return "unbalanced parentheses" if text.count("(") != text.count(")") else None


@dataclass
class GatedPipelines:
    """The SQLite repository, with updates held until ``expect`` writers have arrived (to force a race)."""

    inner: SqlitePipelineRepository
    expect: int = 0
    arrived: int = 0
    all_in: anyio.Event = field(default_factory=anyio.Event)

    async def get(self, pipeline_id: PipelineId) -> Result[Pipeline, NotFound]:
        return await self.inner.get(pipeline_id)

    async def get_version(self, pipeline_id: PipelineId, version: int) -> Result[Pipeline, NotFound]:
        return await self.inner.get_version(pipeline_id, version)

    async def history(self, pipeline_id: PipelineId) -> Sequence[Pipeline]:
        return await self.inner.history(pipeline_id)

    async def list_page(self, after: PipelineId | None, limit: int) -> Sequence[Pipeline]:
        return await self.inner.list_page(after, limit)

    async def add(self, pipeline: Pipeline) -> Result[Pipeline, ConcurrencyConflict]:
        return await self.inner.add(pipeline)

    async def update(
        self, pipeline: Pipeline, expected: int
    ) -> Result[Pipeline, ConcurrencyConflict | NotFound]:
        if self.expect:
            self.arrived += 1
            if self.arrived >= self.expect:
                self.all_in.set()
            await self.all_in.wait()
        return await self.inner.update(pipeline, expected)

    async def delete(
        self, pipeline_id: PipelineId, expected: int
    ) -> Result[Pipeline, ConcurrencyConflict | NotFound]:
        return await self.inner.delete(pipeline_id, expected)


@dataclass
class Api:
    client: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    gate: GatedPipelines
    heard: RecordingHandler


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    db = await ManagementDb.open(tmp_path / "state.db")
    plugins, _ = load_function_plugins()
    heard = RecordingHandler()
    gate = GatedPipelines(SqlitePipelineRepository(db))
    services = make_services(
        pipelines=gate,
        routes=SqliteRouteTableRepository(db),
        idempotency=SqliteIdempotencyStore(db),
        factories=plugins,
        known_sinks=frozenset({"out", "errors"}),
        filter_check=filter_check,
        handlers={k: [heard] for k in (PipelineCreated, PipelineUpdated, PipelineDeleted, RoutesUpdated)},
        ids=UlidFactory(),
        clock=SystemClock(),
    )
    server = AsgiServer(create_app(services, token=TOKEN), "127.0.0.1", 0)
    host, port = server.bind()
    base = f"http://{host}:{port}"
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.serve)
            auth = {"Authorization": f"Bearer {TOKEN}"}
            async with (
                httpx.AsyncClient(base_url=base, headers=auth) as c,
                httpx.AsyncClient(base_url=base) as a,
            ):
                yield Api(c, a, gate, heard)
            server.stop()
    finally:
        await db.close()


async def create(api: Api, pid: str, functions: list[dict[str, Any]] | None = None) -> httpx.Response:
    r = await api.client.post("/pipelines", json={"id": pid, "functions": functions or [MASK]})
    assert r.status_code == 201, r.text
    return r


async def test_health_is_open_and_everything_else_needs_the_token(api: Api) -> None:
    assert (await api.anonymous.get("/health")).json() == {"status": "ok"}
    for method, path in [
        ("GET", "/pipelines"),
        ("POST", "/pipelines"),
        ("GET", "/routes"),
        ("GET", "/openapi.json"),
    ]:
        r = await api.anonymous.request(method, path)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"].startswith("Bearer")
    wrong = await api.anonymous.get("/pipelines", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    token = api.client.headers["authorization"].split(" ", 1)[1]
    lower = await api.anonymous.get("/pipelines", headers={"Authorization": f"bearer {token}"})
    assert lower.status_code == 200  # the scheme in any case (RFC 7235)
    spec = (await api.client.get("/openapi.json")).json()
    assert {"/pipelines", "/pipelines/{pipeline_id}", "/routes", "/pipelines/{pipeline_id}/preview"} <= set(
        spec["paths"]
    )


async def test_create_read_and_versioned_replace(api: Api) -> None:
    r = await create(api, "scrub")
    assert r.headers["etag"] == '"1"'
    assert r.headers["location"] == "/pipelines/scrub"
    assert r.json() == {"id": "scrub", "description": "", "version": 1, "functions": [MASK]}
    got = await api.client.get("/pipelines/scrub")
    assert (got.status_code, got.headers["etag"]) == (200, '"1"')
    body = {"description": "v2", "functions": [MASK]}
    assert (await api.client.put("/pipelines/scrub", json=body)).status_code == 428
    stale = await api.client.put("/pipelines/scrub", json=body, headers={"If-Match": '"7"'})
    assert (stale.status_code, stale.json()["actual"]) == (412, 1)
    assert (
        await api.client.put("/pipelines/scrub", json=body, headers={"If-Match": "junk"})
    ).status_code == 412
    bare = await api.client.put("/pipelines/scrub", json=body, headers={"If-Match": "1"})
    assert (bare.status_code, bare.headers["etag"], bare.json()["description"]) == (200, '"2"', "v2")
    quoted = await api.client.put("/pipelines/scrub", json=body, headers={"If-Match": '"2"'})
    assert quoted.headers["etag"] == '"3"'
    assert (await api.client.get("/pipelines/nope")).status_code == 404
    taken = await api.client.post("/pipelines", json={"id": "scrub", "functions": [MASK]})
    assert taken.status_code == 409
    assert [event_name(e) for e in api.heard.seen] == [
        "pipeline.created",
        "pipeline.updated",
        "pipeline.updated",
    ]


async def test_invalid_pipelines_get_422_with_every_problem(api: Api) -> None:
    bad = {"id": "x", "functions": [{"type": "nope"}, {"type": "mask", "field": "m", "pattern": "("}]}
    r = await api.client.post("/pipelines", json=bad)
    assert r.status_code == 422
    assert [p["where"] for p in r.json()["problems"]] == ["functions[0].type", "functions[1].pattern"]
    shape = await api.client.post("/pipelines", json={"description": 3, "functions": [{"field": "m"}]})
    assert shape.status_code == 422
    assert {p["where"] for p in shape.json()["problems"]} == {"description", "functions[0].type"}
    assert (await api.client.get("/pipelines/x")).status_code == 404
    await create(api, "ok")
    update = await api.client.put(
        "/pipelines/ok", json={"functions": [{"type": "nope"}]}, headers={"If-Match": "1"}
    )
    assert update.status_code == 422
    assert (await api.client.get("/pipelines/ok")).headers["etag"] == '"1"'


async def test_idempotent_retries_get_the_first_answer(api: Api) -> None:
    body = {"functions": [MASK]}
    first = await api.client.post("/pipelines", json=body, headers={"Idempotency-Key": "k1"})
    again = await api.client.post("/pipelines", json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    other = await api.client.post("/pipelines", json=body, headers={"Idempotency-Key": "k2"})
    assert other.json()["id"] != first.json()["id"]
    answers: list[httpx.Response] = []

    async def post() -> None:
        answers.append(await api.client.post("/pipelines", json=body, headers={"Idempotency-Key": "k3"}))

    async with anyio.create_task_group() as tg:
        for _ in range(6):
            tg.start_soon(post)
    made = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(made) == 1
    assert {a.status_code for a in answers} <= {201, 409}
    listed = (await api.client.get("/pipelines")).json()["items"]
    assert len(listed) == 3


async def test_concurrent_writers_one_wins_the_rest_get_409(api: Api) -> None:
    await create(api, "p")
    api.gate.expect = 4
    answers: list[httpx.Response] = []

    async def put(n: int) -> None:
        body = {"description": f"writer {n}", "functions": [MASK]}
        answers.append(await api.client.put("/pipelines/p", json=body, headers={"If-Match": '"1"'}))

    async with anyio.create_task_group() as tg:
        for n in range(4):
            tg.start_soon(put, n)
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    winner = next(a for a in answers if a.status_code == 200).json()
    assert (await api.client.get("/pipelines/p")).json() == winner
    assert winner["version"] == 2


async def test_paging_with_limit_and_cursor(api: Api) -> None:
    for i in range(5):
        await create(api, f"p{i}")
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await api.client.get("/pipelines", params=params)).json()
        seen.extend(p["id"] for p in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"p{i}" for i in range(5)]
    assert (await api.client.get("/pipelines", params={"limit": 0})).status_code == 422
    assert (await api.client.get("/pipelines", params={"cursor": "@@"})).status_code == 422


async def test_versions_rollback_and_delete(api: Api) -> None:
    await create(api, "p")
    await api.client.put(
        "/pipelines/p", json={"description": "two", "functions": [MASK]}, headers={"If-Match": "1"}
    )
    back = await api.client.post("/pipelines/p/rollback", json={"version": 1})
    assert (back.status_code, back.headers["etag"], back.json()["description"]) == (200, '"3"', "")
    versions = (await api.client.get("/pipelines/p/versions")).json()["items"]
    assert [(v["version"], v["description"]) for v in versions] == [(1, ""), (2, "two"), (3, "")]
    assert (await api.client.post("/pipelines/p/rollback", json={"version": 9})).status_code == 404
    stale_rollback = await api.client.post(
        "/pipelines/p/rollback", json={"version": 1}, headers={"If-Match": "1"}
    )
    assert stale_rollback.status_code == 412
    assert (await api.client.delete("/pipelines/p")).status_code == 428
    assert (await api.client.delete("/pipelines/p", headers={"If-Match": "2"})).status_code == 412
    assert (await api.client.delete("/pipelines/p", headers={"If-Match": "3"})).status_code == 204
    assert (await api.client.get("/pipelines/p")).status_code == 404
    assert (await api.client.delete("/pipelines/p", headers={"If-Match": "3"})).status_code == 404
    assert len((await api.client.get("/pipelines/p/versions")).json()["items"]) == 3
    assert (await api.client.get("/pipelines/never/versions")).status_code == 404


async def test_route_table_is_versioned_and_checked(api: Api) -> None:
    await create(api, "scrub")
    empty = await api.client.get("/routes")
    assert (empty.json(), empty.headers["etag"]) == ({"version": 0, "routes": []}, '"0"')
    table = {
        "routes": [{"name": "errors", "filter": 'level == "error"', "pipeline": "scrub", "sink": "errors"}]
    }
    assert (await api.client.put("/routes", json=table)).status_code == 428
    bad = {"routes": [{"name": "a", "filter": "(", "pipeline": "ghost", "sinks": ["nowhere"]}]}
    invalid = await api.client.put("/routes", json=bad, headers={"If-Match": "0"})
    assert invalid.status_code == 422
    assert [p["where"] for p in invalid.json()["problems"]] == [
        "routes[0].filter",
        "routes[0].pipeline",
        "routes[0].sinks[0]",
    ]
    both = {"routes": [{"name": "a", "sink": "errors", "sinks": ["errors"]}]}
    refused = await api.client.put("/routes", json=both, headers={"If-Match": "0"})
    assert refused.status_code == 422
    assert "not both" in refused.json()["problems"][0]["message"]
    one = await api.client.put("/routes", json=table, headers={"If-Match": '"0"'})
    assert (one.status_code, one.headers["etag"]) == (200, '"1"')
    assert one.json()["routes"] == [
        {
            "name": "errors",
            "filter": 'level == "error"',
            "pipeline": "scrub",
            "sinks": ["errors"],
            "final": True,
        }
    ]
    assert (
        await api.client.put("/routes", json={"routes": []}, headers={"If-Match": "0"})
    ).status_code == 412
    assert (
        await api.client.put("/routes", json={"routes": []}, headers={"If-Match": "1"})
    ).status_code == 200
    in_use = await api.client.post("/routes/rollback", json={"version": 1})
    assert in_use.headers["etag"] == '"3"'
    refused = await api.client.delete("/pipelines/scrub", headers={"If-Match": "1"})
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["where"] == "routes[0].pipeline"
    versions = (await api.client.get("/routes/versions")).json()["items"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert isinstance(api.heard.seen[-1], RoutesUpdated)


async def test_preview_runs_the_pipeline_and_writes_nothing(api: Api) -> None:
    await create(api, "p")
    r = await api.client.post("/pipelines/p/preview", json={"events": [{"message": "id 42"}, {"level": "x"}]})
    assert r.status_code == 200
    assert r.json() == {
        "pipeline": "p",
        "version": 1,
        "outputs": [{"message": "id #"}, {"level": "x"}],
        "dropped": [],
        "failed": [],
        "steps": [
            [{"index": 0, "type": "mask", "outcome": "pass", "events": [{"message": "id #"}]}],
            [{"index": 0, "type": "mask", "outcome": "pass", "events": [{"level": "x"}]}],
        ],
    }
    assert len((await api.client.get("/pipelines/p/versions")).json()["items"]) == 1
    assert (await api.client.post("/pipelines/q/preview", json={"events": []})).status_code == 404
    assert (await api.client.post("/pipelines/p/preview", json={"events": [1]})).status_code == 422


async def test_integers_past_64_bits_in_a_body_are_problems_not_server_errors(api: Api) -> None:
    """Regression: a function field of 10**30 failed to store (500), and a rollback to version
    10**20 failed in the database driver (500)."""
    await create(api, "scrub")
    big = {
        "id": "big",
        "functions": [{"type": "mask", "field": "m", "pattern": "a", "replacement": "b", "n": 10**30}],
    }
    for method, path, body in [
        ("POST", "/pipelines", big),
        ("POST", "/pipelines/scrub/rollback", {"version": 10**20}),
        ("POST", "/routes/rollback", {"version": 10**20}),
    ]:
        r = await api.client.request(method, path, json=body)
        assert (r.status_code, r.json()["error"]) == (422, "invalid"), (path, r.text)
    assert (await api.client.get("/health")).status_code == 200  # the connection is still fine


async def test_every_error_has_the_common_body_and_places_read_alike(api: Api) -> None:
    """Regression: Starlette's own 404/405/400 answered ``{"detail": ...}``, and request problems
    placed themselves as ``functions.0.type`` while the use cases write ``functions[0].type``."""
    for method, path, code in [
        ("GET", "/nowhere", "not_found"),
        ("PATCH", "/pipelines/x", "method_not_allowed"),
    ]:
        r = await api.client.request(method, path)
        assert set(r.json()) >= {"error", "message"}, r.text
        assert r.json()["error"] == code
    assert "GET" in (await api.client.request("PATCH", "/pipelines/x")).headers["allow"]
    shape = await api.client.post("/pipelines", json={"functions": [{"type": "mask", "disabled": "maybe"}]})
    assert [p["where"] for p in shape.json()["problems"]] == ["functions[0].disabled"]
    broken = await api.client.post("/pipelines", content=b"{", headers={"Content-Type": "application/json"})
    assert [p["where"] for p in broken.json()["problems"]] == ["body"]
    assert (await api.anonymous.head("/health")).status_code == 200


async def test_a_body_the_model_refuses_is_replayed_to_a_retry_with_its_key(api: Api) -> None:
    """Regression: the key was claimed only after the body parsed, so a retry with a valid body and
    the key of a refused one created the pipeline (docs/api.md: a retry gets the first answer)."""
    key = {"Idempotency-Key": "bad-first"}
    first = await api.client.post("/pipelines", json={"id": "x", "functions": [MASK], "nope": 1}, headers=key)
    assert first.status_code == 422
    again = await api.client.post("/pipelines", json={"id": "x", "functions": [MASK]}, headers=key)
    assert (again.status_code, again.headers.get("idempotent-replayed")) == (422, "true")
    assert again.json() == first.json()
    assert (await api.client.get("/pipelines/x")).status_code == 404
