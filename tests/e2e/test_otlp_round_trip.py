"""pipeflow -> pipeflow over OTLP: the SDK exports to a first ``serve``, whose ``otlp`` sinks (one per
signal) send to a second one; the second writes every event with the very fields the first made.
An event not made by an ``otlp`` source arrives as a log record whose body is its fields."""

from __future__ import annotations

from pathlib import Path

import anyio

from tests.e2e.conftest import read_ndjson
from tests.e2e.otel_sdk import export_logs, export_metrics, export_traces
from tests.e2e.serve_support import TOKEN, ndjson, served

RECEIVER = """
state_dir: state
sources:
  otel: {type: otlp}
sinks:
  out: {type: file, path: out.ndjson}
routes:
  - {name: all, sink: out}
"""

SENDER = """
state_dir: state
sources:
  otel: {type: otlp}
  web: {type: http}
sinks:
  copy: {type: file, path: copy.ndjson}
  logs: {type: otlp, url: "URL", signal: logs, headers: {Authorization: "Bearer TOKEN"}}
  metrics: {type: otlp, url: "URL", signal: metrics, headers: {Authorization: "Bearer TOKEN"}}
  traces: {type: otlp, url: "URL", signal: traces, headers: {Authorization: "Bearer TOKEN"}}
routes:
  - {name: copy, sink: copy, final: false}
  - {name: metrics, filter: 'signal == "metric"', sink: metrics}
  - {name: traces, filter: 'signal == "trace"', sink: traces}
  - {name: logs, sink: logs}
"""

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def test_a_round_trip_through_the_otlp_sink_keeps_every_field(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    async with served(tmp_path / "b", RECEIVER) as b:
        sender = SENDER.replace("URL", f"{b.running.base_url}/otlp/otel").replace("TOKEN", TOKEN)
        async with served(tmp_path / "a", sender) as a:
            base = f"{a.running.base_url}/otlp/otel/v1"
            results = [
                (await anyio.to_thread.run_sync(export, f"{base}/{signal}", AUTH))[0]
                for export, signal in (
                    (export_logs, "logs"),
                    (export_metrics, "metrics"),
                    (export_traces, "traces"),
                )
            ]
            assert results == [True, True, True]
            plain = await a.client.post("/ingest/web", content=ndjson([{"n": 1, "msg": "hi", "tags": ["x"]}]))
            assert plain.status_code == 202
    sent = read_ndjson(tmp_path / "a/copy.ndjson")
    arrived = read_ndjson(tmp_path / "b/out.ndjson")
    assert len(sent) == len(arrived) == 2 + 4 + 2 + 1
    made = [row for row in sent if "signal" in row]
    assert len(made) == 8
    for signal in ("log", "metric", "trace"):
        assert [
            r for r in arrived if r["signal"] == signal and (r["scope"] or {}).get("name") != "pipeflow"
        ] == [r for r in made if r["signal"] == signal]
    other = [r for r in arrived if r["scope"] == {"name": "pipeflow", "version": None}]
    assert len(other) == 1
    assert other[0]["body"] == {"n": 1, "msg": "hi", "tags": ["x"]}
    assert (other[0]["signal"], other[0]["timestamp"], other[0]["resource"]) == ("log", None, {})
    assert other[0]["observed_timestamp"].endswith("Z")
