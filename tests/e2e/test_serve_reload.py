"""Hot reload in a real ``serve``: changes take effect without a restart, each event sees one whole
version, a change that fails validation changes nothing, and a rollback is one request."""

from __future__ import annotations

from pathlib import Path

import anyio

from tests.e2e.conftest import read_ndjson
from tests.e2e.serve_support import Served, ndjson, served, stamp

CLIENTS, BATCHES, EVENTS = 4, 12, 25


async def post(s: Served, rows: list[dict[str, int]]) -> None:
    r = await s.client.post("/ingest/web", content=ndjson(rows))
    assert (r.status_code, r.json()) == (202, {"accepted": len(rows), "dead_lettered": 0}), r.text


async def test_a_pipeline_changed_while_ingesting_loses_nothing_and_never_mixes_versions(
    tmp_path: Path,
) -> None:
    async with served(tmp_path) as s:
        await post(s, [{"n": -1}])  # before any change: version 1
        ingesting = CLIENTS
        versions = [1]

        async def client(c: int) -> None:
            nonlocal ingesting
            for b in range(BATCHES):
                base = (c * BATCHES + b) * EVENTS
                await post(s, [{"n": base + i} for i in range(EVENTS)])
            ingesting -= 1

        async def writer() -> None:
            while ingesting:
                current = versions[-1]
                r = await s.client.put(
                    "/pipelines/stamp", json=stamp(current + 1), headers={"If-Match": str(current)}
                )
                assert r.status_code == 200, r.text
                versions.append(r.json()["version"])
                await anyio.sleep(0.01)

        async with anyio.create_task_group() as tg:
            tg.start_soon(writer)
            for c in range(CLIENTS):
                tg.start_soon(client, c)
        await post(s, [{"n": -2}])  # after every change: the last version
    rows = read_ndjson(tmp_path / "out.ndjson")
    total = CLIENTS * BATCHES * EVENTS
    assert sorted(r["n"] for r in rows) == [-2, -1, *range(total)]  # none lost, none twice
    assert all(r["a"] == r["b"] for r in rows), [r for r in rows if r["a"] != r["b"]]
    seen = {r["a"] for r in rows}
    assert seen <= set(versions)
    assert len(versions) >= 3
    assert {1, versions[-1]} <= seen
    assert len(seen) >= 3  # changes landed between batches, not only before and after


async def test_a_change_that_fails_validation_is_422_and_changes_nothing(tmp_path: Path) -> None:
    async with served(tmp_path) as s:
        bad = {"functions": [{"type": "eval", "field": "a", "expression": "1 +"}, {"type": "nope"}]}
        r = await s.client.put("/pipelines/stamp", json=bad, headers={"If-Match": "1"})
        assert r.status_code == 422
        assert [p["where"] for p in r.json()["problems"]] == ["functions[0].expression", "functions[1].type"]
        routes = {"routes": [{"name": "x", "filter": "n >", "pipeline": "ghost", "sink": "nowhere"}]}
        r = await s.client.put("/routes", json=routes, headers={"If-Match": "1"})
        assert r.status_code == 422
        assert len(r.json()["problems"]) == 3
        assert (await s.client.get("/pipelines/stamp")).json()["version"] == 1
        runtime = (await s.client.get("/runtime")).json()
        assert (runtime["routes_version"], runtime["pipelines"]) == (1, {"stamp": 1})
        await post(s, [{"n": 1}])
    assert read_ndjson(tmp_path / "out.ndjson") == [{"n": 1, "a": 1, "b": 1}]


async def test_rollback_is_one_request_and_takes_effect_at_once(tmp_path: Path) -> None:
    async with served(tmp_path) as s:
        assert (
            await s.client.put("/pipelines/stamp", json=stamp(7), headers={"If-Match": "1"})
        ).status_code == 200
        await post(s, [{"n": 1}])
        back = await s.client.post("/pipelines/stamp/rollback", json={"version": 1})
        assert (back.status_code, back.json()["version"]) == (200, 3)
        assert (await s.client.get("/runtime")).json()["pipelines"] == {"stamp": 3}
        await post(s, [{"n": 2}])
    assert read_ndjson(tmp_path / "out.ndjson") == [{"n": 1, "a": 7, "b": 7}, {"n": 2, "a": 1, "b": 1}]


async def test_a_new_route_table_takes_effect_without_a_restart(tmp_path: Path) -> None:
    async with served(tmp_path) as s:
        table = {
            "routes": [
                {"name": "low", "filter": "n < 2", "pipeline": "stamp", "sink": "out"},
                {"name": "high", "filter": "n >= 5", "sink": "out"},
            ]
        }
        r = await s.client.put("/routes", json=table, headers={"If-Match": "1"})
        assert (r.status_code, r.headers["etag"]) == (200, '"2"')
        await post(s, [{"n": 1}, {"n": 3}, {"n": 5}])
        metrics = (await s.client.get("/metrics")).text
        assert "pipeflow_events_unmatched_total 1.0" in metrics
        back = await s.client.post("/routes/rollback", json={"version": 1})
        assert back.status_code == 200
        assert (await s.client.get("/runtime")).json()["routes_version"] == 3
        await post(s, [{"n": 3}])
    assert read_ndjson(tmp_path / "out.ndjson") == [
        {"n": 1, "a": 1, "b": 1},
        {"n": 5},
        {"n": 3, "a": 1, "b": 1},
    ]
