"""The ``otlp`` source under ``pipeflow serve`` at ``/otlp/{source}/v1/...``, fed by the real SDK's
OTLP/HTTP exporters; 200 means delivered; 404, 413 and 429 with ``Retry-After``; and the round trip
through the ``otlp`` sink (pipeflow -> pipeflow keeps every field)."""

from __future__ import annotations

from pathlib import Path

import anyio
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from pipeflow.interfaces.http.ingest import IngestLimits
from tests.e2e.conftest import read_ndjson
from tests.e2e.otel_sdk import export_logs, export_metrics, export_traces
from tests.e2e.serve_support import TOKEN, gate_server, served

CONFIG = """
state_dir: state
sources:
  otel: {type: otlp}
sinks:
  out: {type: file, path: out.ndjson}
routes:
  - {name: all, sink: out}
dead_letter: {type: file, path: dead.ndjson}
"""

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def test_the_sdk_exports_to_serve_and_is_answered_once_written(tmp_path: Path) -> None:
    async with served(tmp_path, CONFIG) as s:
        base = f"{s.running.base_url}/otlp/otel/v1"
        logs_ok, _ = await anyio.to_thread.run_sync(export_logs, f"{base}/logs", AUTH)
        # 200 means written: the file holds the records before the next export starts.
        assert logs_ok
        assert [r["signal"] for r in read_ndjson(tmp_path / "out.ndjson")] == ["log", "log"]
        metrics_ok, _ = await anyio.to_thread.run_sync(export_metrics, f"{base}/metrics", AUTH)
        traces_ok, _ = await anyio.to_thread.run_sync(export_traces, f"{base}/traces", AUTH)
        assert (metrics_ok, traces_ok) == (True, True)
        rows = read_ndjson(tmp_path / "out.ndjson")
        assert [r["signal"] for r in rows].count("metric") == 4
        assert sorted(r["name"] for r in rows if r["signal"] == "trace") == ["GET /cart", "db.query"]
        denied = await s.anonymous.post(
            f"{base}/logs", content=b"", headers={"Content-Type": "application/json"}
        )
        assert denied.status_code == 401
        unknown = await s.client.post(
            "/otlp/nope/v1/logs", content=b"{}", headers={"Content-Type": "application/json"}
        )
        assert unknown.status_code == 404
        signal = await s.client.post(
            "/otlp/otel/v1/profiles", content=b"{}", headers={"Content-Type": "application/json"}
        )
        assert signal.status_code == 404
        runtime = await s.client.get("/runtime")
        assert runtime.status_code == 200


async def test_serve_answers_413_and_429_with_retry_after(tmp_path: Path) -> None:
    config = CONFIG.replace("{type: file, path: out.ndjson}", "{type: http, url: GATE}")
    async with gate_server() as (gate, url):
        async with served(
            tmp_path,
            config.replace("GATE", url),
            limits=IngestLimits(max_body_bytes=4000),
            ingest_max_events=1,
        ) as s:
            proto = {"Content-Type": "application/x-protobuf"}
            big = await s.client.post("/otlp/otel/v1/logs", content=b"\x00" * 5000, headers=proto)
            assert big.status_code == 413
            request = ExportLogsServiceRequest()
            request.resource_logs.add().scope_logs.add().log_records.add().body.string_value = "held"
            body = request.SerializeToString()
            first: list[int] = []

            async def send_first() -> None:
                answer = await s.client.post("/otlp/otel/v1/logs", content=body, headers=proto)
                first.append(answer.status_code)

            async with anyio.create_task_group() as tg:
                tg.start_soon(send_first)
                await gate.arrived.wait()  # the first request's event is in the sink: in flight
                busy = await s.client.post("/otlp/otel/v1/logs", content=body, headers=proto)
                gate.release.set()
            assert (busy.status_code, busy.headers["retry-after"]) == (429, "1")
            assert busy.headers["content-type"] == "application/x-protobuf"
            assert first == [200]  # answered once the gate let its event through
        assert len(gate.bodies) == 1
