"""The ``otlp`` source under ``pipeflow run``, fed by the real OpenTelemetry SDK's OTLP/HTTP exporters:
logs, metrics and traces become events as spec section 12 maps them; bad bodies get 400/413/415."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

from tests.e2e.conftest import free_port, read_ndjson, started, terminate, wait_listening, write_config
from tests.e2e.otel_sdk import export_logs, export_metrics, export_traces

CONFIG = """
state_dir: state
sources:
  otel: {{type: otlp, address: "127.0.0.1:{port}"}}
sinks:
  logs: {{type: file, path: logs.ndjson}}
  metrics: {{type: file, path: metrics.ndjson}}
  traces: {{type: file, path: traces.ndjson}}
routes:
  - {{name: logs, filter: 'signal == "log"', sink: logs}}
  - {{name: metrics, filter: 'signal == "metric"', sink: metrics}}
  - {{name: traces, sink: traces}}
dead_letter: {{type: file, path: dead.ndjson}}
"""

RESOURCE = {"service.name": "shop", "deployment.environment": "test"}


def _resource(row: dict[str, Any]) -> dict[str, Any]:
    resource = row["resource"]
    assert isinstance(resource, dict)
    return {k: v for k, v in resource.items() if k in RESOURCE}


def test_the_sdk_exports_logs_metrics_and_traces_to_run(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, CONFIG.format(port=port))
    base = f"http://127.0.0.1:{port}"
    with started("run", str(config), cwd=tmp_path) as proc:
        wait_listening(proc, port, "tcp")
        logs_ok, records = export_logs(f"{base}/v1/logs")
        metrics_ok, _ = export_metrics(f"{base}/v1/metrics")
        traces_ok, spans = export_traces(f"{base}/v1/traces")
        code, _, err = terminate(proc)
    assert (logs_ok, metrics_ok, traces_ok) == (True, True, True)
    assert code == 0, err.decode()

    logs = read_ndjson(tmp_path / "logs.ndjson")
    assert len(logs) == 2
    first, second = logs
    assert first == {
        "timestamp": "2023-11-14T22:13:20.123456789Z",
        "observed_timestamp": "2023-11-14T22:13:20.123456790Z",
        "severity_text": "WARN",
        "severity_number": 13,
        "body": "cart is empty",
        "attributes": {"user": "ann", "items": 0, "ratio": 0.5, "tags": ["a", "b"], "vip": True},
        "resource": first["resource"],
        "scope": {"name": "checkout", "version": "1.2"},
        "trace_id": None,
        "span_id": None,
        "signal": "log",
    }
    assert _resource(first) == RESOURCE
    context = records[1].log_record.trace_id, records[1].log_record.span_id
    assert (second["trace_id"], second["span_id"]) == (f"{context[0]:032x}", f"{context[1]:016x}")
    assert second["body"] == {"error": "declined", "code": 51}
    assert (second["timestamp"], second["severity_number"]) == (None, 17)

    metrics = {m["name"]: m for m in read_ndjson(tmp_path / "metrics.ndjson")}
    assert sorted(metrics) == ["latency", "orders", "queue.depth", "temperature"]
    orders = metrics["orders"]
    assert (orders["kind"], orders["value"], orders["monotonic"], orders["temporality"]) == (
        "sum",
        3,
        True,
        "cumulative",
    )
    assert (orders["unit"], orders["description"], orders["attributes"]) == (
        "1",
        "orders placed",
        {"shop": "eu"},
    )
    assert orders["timestamp"].endswith("Z")
    assert orders["scope"] == {"name": "checkout", "version": "1.2"}
    assert (metrics["queue.depth"]["value"], metrics["queue.depth"]["monotonic"]) == (-2, False)
    assert (metrics["temperature"]["kind"], metrics["temperature"]["value"]) == ("gauge", 21.5)
    latency = metrics["latency"]
    assert (latency["kind"], latency["count"], latency["sum"], latency["min"], latency["max"]) == (
        "histogram",
        3,
        325.0,
        5.0,
        300.0,
    )
    assert len(latency["bucket_counts"]) == len(latency["explicit_bounds"]) + 1
    assert sum(latency["bucket_counts"]) == 3
    assert all(_resource(m) == RESOURCE for m in metrics.values())

    traces = {t["name"]: t for t in read_ndjson(tmp_path / "traces.ndjson")}
    server, client = traces["GET /cart"], traces["db.query"]
    sdk = {s.name: s for s in spans}
    assert server["trace_id"] == f"{sdk['GET /cart'].context.trace_id:032x}" == client["trace_id"]
    assert client["parent_span_id"] == server["span_id"] == f"{sdk['GET /cart'].context.span_id:016x}"
    assert (server["kind"], client["kind"], server["parent_span_id"]) == ("server", "client", None)
    assert client["status"] == {"code": "error", "message": "timeout"}
    assert server["attributes"] == {"http.status": 200}
    assert client["events"][0]["name"] == "retry"
    assert client["events"][0]["attributes"] == {"attempt": 2}
    ended = sdk["GET /cart"]
    assert ended.start_time is not None
    assert ended.end_time is not None
    assert server["duration_ms"] == (ended.end_time - ended.start_time) / 1e6
    assert not (tmp_path / "dead.ndjson").exists() or read_ndjson(tmp_path / "dead.ndjson") == []


def test_bad_bodies_are_refused_with_a_reason_and_nothing_is_kept(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, CONFIG.format(port=port))
    base = f"http://127.0.0.1:{port}"
    proto = {"Content-Type": "application/x-protobuf"}
    with started("run", str(config), cwd=tmp_path) as proc:
        wait_listening(proc, port, "tcp")
        with httpx.Client(base_url=base) as client:
            garbage = client.post("/v1/logs", content=b"\xff\xff\xff not protobuf", headers=proto)
            not_json = client.post(
                "/v1/traces", content=b"{oops", headers={"Content-Type": "application/json"}
            )
            bad_id = client.post(
                "/v1/traces",
                content=json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}),
                headers={"Content-Type": "application/json"},
            )
            bad_gzip = client.post("/v1/logs", content=b"nope", headers={**proto, "Content-Encoding": "gzip"})
            text = client.post("/v1/logs", content=b"hello", headers={"Content-Type": "text/plain"})
            huge = client.post("/v1/logs", content=b"\x00" * (11 << 20), headers=proto)
            bomb = client.post(
                "/v1/logs",
                content=gzip.compress(b"\x00" * (11 << 20)),
                headers={**proto, "Content-Encoding": "gzip"},
            )
            empty = client.post("/v1/logs", content=b"", headers=proto)
            # One span with a malformed id in a JSON request: refused alone, counted in partial_success.
            request = {
                "resourceSpans": [
                    {
                        "scopeSpans": [
                            {
                                "spans": [
                                    {"traceId": "0" * 31 + "1", "spanId": "0" * 15 + "2", "name": "ok"},
                                    {"traceId": "", "spanId": "0" * 15 + "3", "name": "no trace"},
                                ]
                            }
                        ]
                    }
                ]
            }
            partial = client.post("/v1/traces", json=request)
        code, _, err = terminate(proc)
    assert code == 0, err.decode()
    status = {"garbage": garbage, "not_json": not_json, "bad_id": bad_id, "bad_gzip": bad_gzip}
    assert {k: r.status_code for k, r in status.items()} == dict.fromkeys(status, 400)
    assert garbage.headers["content-type"] == "application/x-protobuf"
    assert "not an OTLP logs export request" in garbage.content.decode("utf-8", "replace")
    assert "not JSON" in not_json.json()["message"]
    assert "not valid gzip" in bad_gzip.content.decode("utf-8", "replace")
    assert (text.status_code, huge.status_code, bomb.status_code) == (415, 413, 413)
    assert empty.status_code == 200
    assert ExportLogsServiceResponse.FromString(empty.content) == ExportLogsServiceResponse()
    assert partial.status_code == 200
    answer = partial.json()
    assert answer["partialSuccess"]["rejectedSpans"] == "1"
    assert "trace_id" in answer["partialSuccess"]["errorMessage"]
    assert [t["name"] for t in read_ndjson(tmp_path / "traces.ndjson")] == ["ok"]
    dead = read_ndjson(tmp_path / "dead.ndjson")
    assert len(dead) == 1
    assert "no trace" in dead[0]["raw"]
    assert not (tmp_path / "logs.ndjson").exists()
