"""The Prometheus sinks against a real Prometheus (``scripts/services.sh``), through the config path.

Remote-write samples and the exporter's series are read back through Prometheus's query API;
``promtool check metrics`` judges the exporter's ``/metrics`` and ``serve``'s own.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest

from tests.e2e.conftest import dead_letter_rows, run_in_process, write_config
from tests.e2e.serve_support import ndjson, served
from tests.scaleout.conftest import _unavailable

pytestmark = pytest.mark.scaleout

_NO_NAME = "'name' is not a metric name (a non-empty string): missing or null"

Prometheus = tuple[str, Path]


@pytest.fixture
def anyio_backend() -> str:
    """asyncio only: ``serve`` runs on uvicorn, and each run here waits on a real server."""
    return "asyncio"


def _query(url: str, promql: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{url}/api/v1/query", params={"query": promql, "time": time.time()}, timeout=5)
    answer.raise_for_status()
    body = answer.json()
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


async def _until(url: str, promql: str, want: int, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    """Query until the result has ``want`` series (Prometheus scrapes every second)."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await anyio.to_thread.run_sync(_query, url, promql)
        if len(result) >= want or time.monotonic() > deadline:
            return result
        await anyio.sleep(0.25)


def _promtool_check(text: str) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        _unavailable("promtool", "not on PATH (the Debian package prometheus ships it)")
    done = subprocess.run(
        [str(promtool), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, f"promtool: {done.stdout}{done.stderr}\n--- the metrics ---\n{text}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(tmp_path: Path, sink: str) -> Path:
    return write_config(
        tmp_path,
        f"""
        state_dir: {tmp_path / "state"}
        sources:
          in: {{type: stdin}}
        sinks:
          prom: {sink}
        routes:
          - {{name: all, sink: prom}}
        """,
    )


def _lines(rows: list[dict[str, Any]]) -> io.BytesIO:
    return io.BytesIO(b"".join(json.dumps(r).encode() + b"\n" for r in rows))


async def test_remote_write_samples_are_queryable_and_non_samples_dead_lettered(
    tmp_path: Path, prometheus: Prometheus
) -> None:
    url, _ = prometheus
    tag = f"pf_{uuid.uuid4().hex[:8]}"
    now = time.time()
    config = _config(
        tmp_path,
        f'{{type: prometheus_remote_write, url: "{url}/api/v1/write", timestamp_field: ts, batch_size: 2}}',
    )
    rows: list[dict[str, Any]] = [
        {"name": f"{tag}.latency-ms", "value": 12.5, "tags": {"http.route": "/a"}, "ts": now - 60},
        {"name": f"{tag}.latency-ms", "value": 14, "tags": {"http.route": "/a"}, "ts": now - 30},
        {"name": f"{tag}.latency-ms", "value": "slow", "tags": {"http.route": "/a"}},
        {"value": 1},
        {"name": f"{tag}.up", "value": 1},  # no ts: the time of sending
        {"name": f"{tag}.queue", "value": -3, "type": "gauge", "delta": True},  # statsd ``-3|g``: no level
    ]
    before = time.time()
    outcome = await run_in_process(config, stdin=_lines(rows))
    after = time.time()
    assert outcome.failures == []

    [latency] = _query(url, f"{tag}_latency_ms[10m]")
    assert latency["metric"] == {"__name__": f"{tag}_latency_ms", "http_route": "/a"}
    assert [(round(float(t) * 1000), float(v)) for t, v in latency["values"]] == [
        (round((now - 60) * 1000), 12.5),
        (round((now - 30) * 1000), 14.0),
    ]
    [up] = _query(url, f"{tag}_up[10m]")
    [(at, value)] = up["values"]
    assert float(value) == 1.0
    assert before - 0.001 <= float(at) <= after + 0.001

    reasons = [(row["event"].get("value"), row["reason"]) for row in dead_letter_rows(tmp_path / "state")]
    assert reasons == [
        ("slow", "sink 'prom' refused the event: 'value' is not a number: 'slow'"),
        (
            1,
            "sink 'prom' refused the event: " + _NO_NAME,
        ),
        (
            -3,
            (
                "sink 'prom' refused the event: a gauge's change (-3, 'delta': true) has no level to send: "
                "use the prometheus_exporter sink, or send the gauge's level"
            ),
        ),
    ]


async def test_a_400_from_prometheus_dead_letters_the_batch_with_its_message(
    tmp_path: Path, prometheus: Prometheus
) -> None:
    url, _ = prometheus
    tag = f"pf_{uuid.uuid4().hex[:8]}"
    sink = f'{{type: prometheus_remote_write, url: "{url}/api/v1/write", timestamp_field: ts}}'
    for folder in ("fresh", "old"):
        (tmp_path / folder).mkdir()
    fresh = await run_in_process(
        _config(tmp_path / "fresh", sink), stdin=_lines([{"name": f"{tag}_fresh", "value": 1}])
    )
    assert fresh.failures == []
    # Older than the head block's window (an hour behind the newest sample): out of bounds.
    old = [{"name": f"{tag}_old", "value": 2, "ts": time.time() - 3 * 3600}]
    outcome = await run_in_process(_config(tmp_path / "old", sink), stdin=_lines(old))
    assert outcome.failures == []
    [record] = dead_letter_rows(tmp_path / "old" / "state")
    assert record["event"]["name"] == f"{tag}_old"
    assert record["reason"].startswith(
        f"sink 'prom' failed after 1 attempts: SinkError: sink 'prom': HTTP 400 from {url}"
    )
    assert "out of bounds" in record["reason"]
    assert _query(url, f"{tag}_old[1d]") == []


async def test_prometheus_scrapes_the_exporter_and_promtool_accepts_its_metrics(
    tmp_path: Path, prometheus: Prometheus
) -> None:
    url, targets = prometheus
    tag = f"pf_{uuid.uuid4().hex[:8]}"
    port = _free_port()
    config = _config(tmp_path, f'{{type: prometheus_exporter, address: "127.0.0.1:{port}", expire_s: 60}}')
    rows: list[dict[str, Any]] = [
        {"name": f"{tag}.hits", "value": 2, "type": "counter", "tags": {"env": "prod"}},
        {"name": f"{tag}.hits", "value": 3, "type": "counter", "tags": {"env": "prod"}},
        {"name": f"{tag}.calls", "value": 4, "monotonic": True, "attributes": {}},
        {"name": f"{tag}.temp", "value": 21.5, "type": "gauge", "tags": {"room": "a.1"}},
        {"name": f"{tag}.temp", "value": 19, "type": "gauge", "tags": {"room": "a.1"}},
        {"name": f"{tag}.hits", "value": 1, "type": "gauge", "tags": {}},  # a gauge on a counter: refused
    ]
    read_end, write_end = os.pipe()
    target = targets / f"{tag}.json"
    with os.fdopen(read_end, "rb") as stdin, os.fdopen(write_end, "wb") as feed:
        async with anyio.create_task_group() as tg:
            outcome: list[Any] = []

            async def run() -> None:
                outcome.append(await run_in_process(config, stdin=stdin))

            tg.start_soon(run)
            try:
                feed.write(b"".join(json.dumps(r).encode() + b"\n" for r in rows))
                feed.flush()
                metrics = await _scrape_when_ready(f"http://127.0.0.1:{port}/metrics", f"{tag}_temp")
                target.write_text(json.dumps([{"targets": [f"127.0.0.1:{port}"], "labels": {"t": tag}}]))
                hits = await _until(url, f'{tag}_hits_total{{t="{tag}"}}', 1)
                temp = await _until(url, f'{tag}_temp{{t="{tag}"}}', 1)
                calls = await _until(url, f'{tag}_calls_total{{t="{tag}"}}', 1)
            finally:
                target.unlink(missing_ok=True)
                feed.close()
    assert [(r["metric"].get("env"), float(r["value"][1])) for r in hits] == [("prod", 5.0)]
    assert [(r["metric"].get("room"), float(r["value"][1])) for r in temp] == [("a.1", 19.0)]
    assert [float(r["value"][1]) for r in calls] == [4.0]
    _promtool_check(metrics)
    [done] = outcome
    assert done.failures == []
    [record] = dead_letter_rows(tmp_path / "state")
    assert record["reason"] == (
        f"sink 'prom' refused the event: {tag}_hits_total is a counter here; "
        f"a gauge sample named {tag}_hits cannot update it"
    )


async def _scrape_when_ready(url: str, needle: str, timeout_s: float = 10.0) -> str:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient() as client:
        while True:
            try:
                answer = await client.get(url)
                if needle in answer.text:
                    return answer.text
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{url} did not show {needle} within {timeout_s}s")
            await anyio.sleep(0.05)


async def test_promtool_accepts_serves_own_metrics(tmp_path: Path, prometheus: Prometheus) -> None:
    del prometheus  # promtool comes with the server's package
    async with served(tmp_path) as s:
        answer = await s.client.post("/ingest/web", content=ndjson([{"n": 1}, {"n": 2}]))
        assert answer.is_success, answer.text
        metrics = await s.client.get("/metrics")
    assert metrics.status_code == 200
    _promtool_check(metrics.text)
