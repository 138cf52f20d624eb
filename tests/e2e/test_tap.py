"""``GET /tap`` and ``pipeflow tap`` against a real ``serve`` on 127.0.0.1: tapped events appear as
they are ingested, sampled under ``rate``, ended by ``limit``; unknown names are 404, auth holds."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import anyio
from click.testing import CliRunner, Result

from pipeflow.interfaces.cli.tap import tap
from tests.e2e.conftest import free_port
from tests.e2e.serve_support import STAMP, TOKEN, Served, ndjson, served

TWO_ROUTES = STAMP.replace(
    "routes:\n  - {name: all, pipeline: stamp, sink: out}",
    "routes:\n"
    "  - {name: errors, filter: 'level == \"error\"', sinks: [out, alerts]}\n"
    "  - {name: all, pipeline: stamp, sink: out}",
).replace(
    "  out: {type: file, path: out.ndjson}",
    "  out: {type: file, path: out.ndjson}\n  alerts: {type: file, path: alerts.ndjson}",
)
"""Errors go unchanged to ``out`` and ``alerts``; everything else through ``stamp`` to ``out``."""


async def _tap_lines(s: Served, params: dict[str, Any], rows: list[dict[str, Any]]) -> list[Any]:
    """Open a tap, ingest ``rows`` once it is subscribed, read until the stream ends."""
    got: list[Any] = []
    async with s.client.stream("GET", "/tap", params=params, timeout=10) as r:
        assert (r.status_code, r.headers["content-type"]) == (200, "application/x-ndjson")
        posted = await s.client.post("/ingest/web", content=ndjson(rows))
        assert posted.status_code == 202
        async for line in r.aiter_lines():
            if line:
                got.append(json.loads(line))
    return got


async def test_a_route_tap_streams_the_events_it_sends_until_the_limit(tmp_path: Path) -> None:
    async with served(tmp_path, TWO_ROUTES) as s:
        rows = [{"n": 1, "level": "info"}, {"n": 2, "level": "error"}, {"n": 3, "level": "info"}]
        got = await _tap_lines(s, {"route": "all", "limit": 2}, rows)
        assert got == [
            {"route": "all", "sink": "out", "event": {"n": 1, "level": "info", "a": 1, "b": 1}},
            {"route": "all", "sink": "out", "event": {"n": 3, "level": "info", "a": 1, "b": 1}},
        ]
        # A route with two sinks: each event once per sink, as each sink receives it.
        got = await _tap_lines(s, {"route": "errors", "limit": 2}, [{"n": 4, "level": "error"}])
        assert sorted((g["sink"], g["event"]["n"]) for g in got) == [("alerts", 4), ("out", 4)]


async def test_a_sink_tap_sees_every_route_into_it_and_the_rate_samples(tmp_path: Path) -> None:
    async with served(tmp_path, TWO_ROUTES) as s:
        got = await _tap_lines(s, {"sink": "out", "limit": 2}, [{"n": 1, "level": "error"}, {"n": 2}])
        assert [(g["route"], g["event"]["n"]) for g in got] == [("errors", 1), ("all", 2)]
        got = await _tap_lines(s, {"sink": "alerts", "limit": 1}, [{"n": 5, "level": "error"}])
        assert got == [{"route": "errors", "sink": "alerts", "event": {"n": 5, "level": "error"}}]
        # rate=5: of one batch of 100 events, 5 pass (one second's worth), spread over the batch.
        sampled: list[int] = []
        async with s.client.stream("GET", "/tap", params={"sink": "out", "rate": 5}, timeout=10) as r:
            posted = await s.client.post("/ingest/web", content=ndjson([{"n": i} for i in range(100)]))
            assert posted.status_code == 202
            with anyio.move_on_after(0.5):
                async for line in r.aiter_lines():
                    sampled.append(json.loads(line)["event"]["n"])
        assert sampled == [0, 20, 40, 60, 80]


async def test_unknown_names_bad_usage_and_auth(tmp_path: Path) -> None:
    async with served(tmp_path, TWO_ROUTES) as s:
        for params in ({"route": "nope"}, {"sink": "nope"}):
            r = await s.client.get("/tap", params=params)
            assert (r.status_code, r.json()["error"]) == (404, "not_found")
            assert "'nope'" in r.json()["message"]
        bad: list[dict[str, Any]] = [{}, {"route": "all", "sink": "out"}, {"route": "all", "rate": 0}]
        for query in bad:
            assert (await s.client.get("/tap", params=query)).status_code == 422
        assert (await s.anonymous.get("/tap", params={"route": "all"})).status_code == 401


async def test_a_tap_in_progress_ends_when_serve_stops(tmp_path: Path) -> None:
    async with (
        served(tmp_path) as s,
        s.client.stream("GET", "/tap", params={"route": "all"}, timeout=10) as r,
    ):
        assert r.status_code == 200
        with anyio.fail_after(5):
            s.running.stop()
            assert [line async for line in r.aiter_lines()] == []


def _invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(tap, args, env=env or {})


async def test_the_cli_prints_ndjson_until_its_limit(tmp_path: Path) -> None:
    async with served(tmp_path) as s:
        args = ["--route", "all", "--url", s.running.base_url, "--limit", "3"]
        done: list[Result] = []

        async def run_cli() -> None:
            done.append(await anyio.to_thread.run_sync(_invoke, args, {"PIPEFLOW_TOKEN": TOKEN}))

        async with anyio.create_task_group() as tg:
            tg.start_soon(run_cli)
            n = 0
            while not done:  # the CLI subscribes at some point: ingest until it has seen 3 events
                assert (await s.client.post("/ingest/web", content=ndjson([{"n": n}]))).status_code == 202
                n += 1
                await anyio.sleep(0.05)
        result = done[0]
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(lines) == 3
        assert all(line["route"] == "all" and line["sink"] == "out" for line in lines)
        ns = [line["event"]["n"] for line in lines]
        assert ns == sorted(ns)
        assert lines[0]["event"] == {"n": ns[0], "a": 1, "b": 1}
        denied = await anyio.to_thread.run_sync(_invoke, ["--route", "all", "--url", s.running.base_url])
        assert denied.exit_code == 1
        assert "401" in denied.output
        assert "--token" in denied.output
        unknown = await anyio.to_thread.run_sync(
            _invoke, ["--sink", "nope", "--url", s.running.base_url, "--token", TOKEN]
        )
        assert unknown.exit_code == 2
        assert "sink 'nope' not found" in unknown.output


async def test_ctrl_c_ends_the_cli_process_with_exit_0(tmp_path: Path) -> None:
    async with served(tmp_path) as s:
        code = "from pipeflow.interfaces.cli.tap import tap; tap()"
        args = [sys.executable, "-c", code, "--route", "all", "--url", s.running.base_url]
        env = {**os.environ, "PIPEFLOW_TOKEN": TOKEN}
        async with await anyio.open_process(args, env=env) as proc:
            assert proc.stdout is not None
            out = b""
            with anyio.fail_after(15):
                while b"\n" not in out:  # ingest until the process shows an event: it is subscribed
                    assert (await s.client.post("/ingest/web", content=ndjson([{"n": 1}]))).status_code == 202
                    with anyio.move_on_after(0.2):
                        out += await proc.stdout.receive()
                proc.send_signal(signal.SIGINT)
                assert await proc.wait() == 0
        assert json.loads(out.splitlines()[0]) == {
            "route": "all",
            "sink": "out",
            "event": {"n": 1, "a": 1, "b": 1},
        }


def test_the_cli_refuses_bad_usage_and_reports_an_unreachable_server() -> None:
    for args in ([], ["--route", "a", "--sink", "b"]):
        result = _invoke(args)
        assert result.exit_code == 2
        assert "exactly one of --route and --sink" in result.output
    url = f"http://127.0.0.1:{free_port()}"
    result = _invoke(["--route", "all", "--url", url])
    assert result.exit_code == 1
    assert f"cannot reach {url}" in result.output
    assert "Traceback" not in result.output
