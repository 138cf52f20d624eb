"""An edge run that sends a file's events to a bus sink, then a worker run that consumes them."""

from __future__ import annotations

import json
from pathlib import Path

import anyio

from pipeflow.interfaces.bootstrap import bootstrap
from pipeflow.interfaces.config.loader import LoadedConfig

EVENTS = 200


def _load(path: Path) -> LoadedConfig:
    loaded = bootstrap().load(str(path)).unwrap()
    return loaded


async def edge_then_worker(tmp_path: Path, bus_sink: str, bus_source: str) -> None:
    """Run an edge config (file → ``bus_sink``), then a worker (``bus_source`` → file); check all arrive.

    ``bus_sink`` and ``bus_source`` are YAML flow mappings for the sink and the source.
    """
    (tmp_path / "in.ndjson").write_text(
        "".join(json.dumps({"n": i, "level": "info"}) + "\n" for i in range(EVENTS))
    )
    (tmp_path / "edge.yaml").write_text(
        f"""
state_dir: edge-state
sources: {{app: {{type: file, path: in.ndjson}}}}
sinks: {{bus: {bus_sink}}}
routes: [{{name: all, sink: bus}}]
"""
    )
    (tmp_path / "worker.yaml").write_text(
        f"""
state_dir: worker-state
sources: {{bus: {bus_source}}}
pipelines:
  tag: {{functions: [{{type: eval, field: worker, expression: '"w1"'}}]}}
sinks: {{out: {{type: file, path: out.ndjson}}}}
routes: [{{name: all, pipeline: tag, sink: out}}]
"""
    )
    app = bootstrap()
    with anyio.fail_after(30):
        edge = await app.run(_load(tmp_path / "edge.yaml"), handle_signals=False)
    assert edge.summary()["events_out"] == {"bus": EVENTS}

    worker_config = _load(tmp_path / "worker.yaml")
    out = tmp_path / "out.ndjson"
    async with anyio.create_task_group() as group:

        async def run_worker() -> None:
            await app.run(worker_config, handle_signals=False)

        group.start_soon(run_worker)
        with anyio.fail_after(30):
            while not out.exists() or len(out.read_text().splitlines()) < EVENTS:  # noqa: ASYNC110 - polls a file
                await anyio.sleep(0.1)
        group.cancel_scope.cancel()
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["n"] for r in rows) == list(range(EVENTS))
    assert {r["worker"] for r in rows} == {"w1"}


__all__ = ["EVENTS", "edge_then_worker"]
