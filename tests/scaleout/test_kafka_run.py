"""Kafka through the public config path: an edge run publishes, a worker run consumes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import anyio

from interfaces.bootstrap import bootstrap
from interfaces.config.loader import LoadedConfig


def _load(path: Path) -> LoadedConfig:
    loaded = bootstrap().load(str(path))
    assert not isinstance(loaded, list), [p.render(str(path)) for p in loaded]
    return loaded


async def test_edge_produces_and_worker_consumes_through_configs(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    topic = f"logs-{tag}"
    (tmp_path / "in.ndjson").write_text(
        "".join(json.dumps({"n": i, "level": "info"}) + "\n" for i in range(200))
    )
    (tmp_path / "edge.yaml").write_text(
        f"""
state_dir: edge-state
sources: {{app: {{type: file, path: in.ndjson}}}}
sinks: {{bus: {{type: kafka, bootstrap_servers: "{kafka_bootstrap}", topic: {topic}, key: "str(n)"}}}}
routes: [{{name: all, sink: bus}}]
"""
    )
    (tmp_path / "worker.yaml").write_text(
        f"""
state_dir: worker-state
sources:
  bus: {{type: kafka, bootstrap_servers: "{kafka_bootstrap}", topic: {topic}, group_id: w}}
pipelines:
  tag: {{functions: [{{type: eval, field: worker, expression: '"w1"'}}]}}
sinks: {{out: {{type: file, path: out.ndjson}}}}
routes: [{{name: all, pipeline: tag, sink: out}}]
"""
    )
    app = bootstrap()
    with anyio.fail_after(30):
        edge = await app.run(_load(tmp_path / "edge.yaml"), handle_signals=False)
    assert edge.summary()["events_out"] == {"bus": 200}

    worker_config = _load(tmp_path / "worker.yaml")
    out = tmp_path / "out.ndjson"
    async with anyio.create_task_group() as group:

        async def run_worker() -> None:
            await app.run(worker_config, handle_signals=False)

        group.start_soon(run_worker)
        with anyio.fail_after(30):
            while not out.exists() or len(out.read_text().splitlines()) < 200:  # noqa: ASYNC110 - polls a file
                await anyio.sleep(0.1)
        group.cancel_scope.cancel()
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["n"] for r in rows) == list(range(200))
    assert {r["worker"] for r in rows} == {"w1"}
