"""``POST /ingest/{source}`` of a real ``serve``: delivery before 202, dead letters, 429, 413, 404, auth,
``/metrics``, and seeding from the config."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx

from pipeflow.interfaces.http.ingest import IngestLimits
from tests.e2e.conftest import read_ndjson
from tests.e2e.serve_support import STAMP, gate_server, ndjson, served, stamp


async def test_ingest_is_answered_once_written_and_bad_lines_are_dead_lettered(tmp_path: Path) -> None:
    async with served(tmp_path) as s:
        body = ndjson([{"n": 1}]) + b"{not json\n[1, 2]\n" + ndjson([{"n": 2}])
        r = await s.client.post("/ingest/web", content=body)
        assert (r.status_code, r.json()) == (202, {"accepted": 2, "dead_lettered": 2})
        # 202 means written: the sink's file already has the events, the dead letters are stored.
        assert read_ndjson(tmp_path / "out.ndjson") == [{"n": 1, "a": 1, "b": 1}, {"n": 2, "a": 1, "b": 1}]
        dead = read_ndjson(tmp_path / "dead.ndjson")
        assert [(d["source"], d["stage"], d["raw"]) for d in dead] == [
            ("web", "decode", "{not json"),
            ("web", "decode", "[1, 2]"),
        ]
        empty = await s.client.post("/ingest/web", content=b"\n\n")
        assert (empty.status_code, empty.json()) == (202, {"accepted": 0, "dead_lettered": 0})
        metrics = await s.client.get("/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        text = metrics.text
        assert 'pipeflow_events_in_total{source="web"} 2.0' in text
        assert 'pipeflow_events_out_total{sink="out"} 2.0' in text
        assert 'pipeflow_events_dead_lettered_total{stage="decode"} 2.0' in text
        assert 'pipeflow_sink_buffer_events{sink="out"} 0.0' in text


async def test_ingest_needs_the_token_and_a_known_source_and_a_small_body(tmp_path: Path) -> None:
    async with served(tmp_path, limits=IngestLimits(max_body_bytes=1000)) as s:
        denied = await s.anonymous.post("/ingest/web", content=ndjson([{"n": 1}]))
        assert denied.status_code == 401
        assert (await s.anonymous.get("/metrics")).status_code == 401
        assert (await s.anonymous.get("/health")).status_code == 200
        unknown = await s.client.post("/ingest/nope", content=ndjson([{"n": 1}]))
        assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
        big = ndjson([{"pad": "x" * 100} for _ in range(20)])
        too_large = await s.client.post("/ingest/web", content=big)
        assert (too_large.status_code, too_large.json()["error"]) == (413, "too_large")

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(20):  # chunked: no Content-Length, the limit is found while reading
                yield b'{"pad": "' + b"x" * 90 + b'"}\n'

        gzipped = await s.client.post(
            "/ingest/web", content=gzip.compress(ndjson([{"n": 1}])), headers={"Content-Encoding": "gzip"}
        )
        assert (gzipped.status_code, gzipped.json()["error"]) == (415, "unsupported_encoding")
        chunked = await s.client.post("/ingest/web", content=chunks())
        assert chunked.status_code == 413
        assert read_ndjson(tmp_path / "out.ndjson") == []
        assert not (tmp_path / "dead.ndjson").exists() or read_ndjson(tmp_path / "dead.ndjson") == []


async def test_full_buffers_answer_429_with_retry_after_and_keep_nothing(tmp_path: Path) -> None:
    async with gate_server() as (gate, url):
        config = STAMP.replace(
            "out: {type: file, path: out.ndjson}", f"out: {{type: http, url: '{url}', timeout_s: 20}}"
        )
        async with served(tmp_path, config, ingest_max_events=3) as s:
            answers: list[httpx.Response] = []

            async def first() -> None:
                answers.append(
                    await s.client.post("/ingest/web", content=ndjson([{"n": i} for i in range(3)]))
                )

            async with anyio.create_task_group() as tg:
                tg.start_soon(first)
                await gate.arrived.wait()  # the first batch is in flight, held by the sink
                busy = await s.client.post("/ingest/web", content=ndjson([{"n": 99}]))
                assert busy.status_code == 429
                assert busy.headers["retry-after"] == "1"
                assert busy.json()["error"] == "busy"
                gate.release.set()
            assert [(a.status_code, a.json()) for a in answers] == [
                (202, {"accepted": 3, "dead_lettered": 0})
            ]
            again = await s.client.post("/ingest/web", content=ndjson([{"n": 3}]))
            assert again.status_code == 202
    received = [json.loads(line)["n"] for body in gate.bodies for line in body.splitlines()]
    assert received == [0, 1, 2, 3]  # the refused event was never kept


async def test_seeded_pipelines_keep_config_names_and_are_seeded_once(tmp_path: Path) -> None:
    async with served(tmp_path) as s:
        got = await s.client.get("/pipelines/stamp")
        assert (got.status_code, got.json()["version"], got.headers["etag"]) == (200, 1, '"1"')
        routes = (await s.client.get("/routes")).json()
        assert routes == {
            "version": 1,
            "routes": [
                {"name": "all", "filter": "true", "pipeline": "stamp", "sinks": ["out"], "final": True}
            ],
        }
        changed = await s.client.put("/pipelines/stamp", json=stamp(2), headers={"If-Match": "1"})
        assert changed.status_code == 200
    async with served(tmp_path) as s:  # same database, same config: nothing is seeded again
        assert (await s.client.get("/pipelines/stamp")).json()["version"] == 2
        assert (await s.client.get("/routes")).json()["version"] == 1
        runtime = (await s.client.get("/runtime")).json()
        assert runtime == {
            "routes_version": 1,
            "pipelines": {"stamp": 2},
            "ingest_sources": ["web"],
            "sinks": ["out"],
        }
        assert (await s.client.post("/ingest/web", content=ndjson([{"n": 1}]))).status_code == 202
        assert read_ndjson(tmp_path / "out.ndjson") == [{"n": 1, "a": 2, "b": 2}]


async def test_a_batch_whose_dead_letters_cannot_be_stored_is_answered_503_and_gives_its_room_back(
    tmp_path: Path,
) -> None:
    """The dead-letter store fails (its file is a folder): the batch can never be acknowledged, so
    its client hears why at once, and its room in the queue is free again; before, the room stayed
    taken for good and every later body was answered 429."""
    (tmp_path / "dead").mkdir()
    config = STAMP.replace(
        "dead_letter: {type: file, path: dead.ndjson}", "dead_letter: {type: file, path: dead}"
    )
    async with served(tmp_path, config, limits=IngestLimits(ack_timeout_s=20)) as s:
        body = ndjson([{"n": k} for k in range(9_999)]) + b"{not json\n"  # the queue's whole room
        with anyio.fail_after(10):  # the dead-letter store's retries, not the 20 s ack timeout
            failed = await s.client.post("/ingest/web", content=body, timeout=30)
        assert failed.status_code == 503
        assert failed.headers["Retry-After"]
        assert failed.json()["error"] == "not_delivered"
        assert "dead letters could not be stored" in failed.json()["message"]
        after = await s.client.post("/ingest/web", content=ndjson([{"n": "again"}]))
        assert (after.status_code, after.json()) == (202, {"accepted": 1, "dead_lettered": 0})
        metrics = (await s.client.get("/metrics")).text
        assert "pipeflow_dead_letter_write_failures_total 5.0" in metrics  # each of the 5 attempts


async def test_a_failed_batch_keeps_its_room_until_its_events_held_by_a_slow_sink_are_written(
    tmp_path: Path,
) -> None:
    """Its dead letters fail at once, but its good events are still in the sink: the room comes back,
    and the client hears 503, only once they are written (the in-flight bound holds)."""
    (tmp_path / "dead").mkdir()
    async with gate_server() as (gate, url):
        config = STAMP.replace(
            "out: {type: file, path: out.ndjson}", f"out: {{type: http, url: '{url}', timeout_s: 20}}"
        ).replace("dead_letter: {type: file, path: dead.ndjson}", "dead_letter: {type: file, path: dead}")
        async with served(tmp_path, config, ingest_max_events=3, limits=IngestLimits(ack_timeout_s=20)) as s:
            answers: list[httpx.Response] = []

            async def first() -> None:
                body = ndjson([{"n": 1}, {"n": 2}]) + b"{not json\n"
                answers.append(await s.client.post("/ingest/web", content=body, timeout=30))

            async with anyio.create_task_group() as tg:
                tg.start_soon(first)
                await gate.arrived.wait()  # its two events are held by the sink
                await anyio.sleep(3)  # long enough for the dead-letter store to give up
                assert answers == []
                busy = await s.client.post("/ingest/web", content=ndjson([{"n": 99}]))
                assert busy.status_code == 429  # the failed batch's room is still taken
                gate.release.set()
            [failed] = answers
            assert (failed.status_code, failed.json()["error"]) == (503, "not_delivered")
            after = await s.client.post("/ingest/web", content=ndjson([{"n": 3}]))
            assert (after.status_code, after.json()) == (202, {"accepted": 1, "dead_lettered": 0})
