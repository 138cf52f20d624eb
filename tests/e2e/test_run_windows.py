"""``window`` through ``pipeflow run``: aggregates per group, and state that survives a restart."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import read_ndjson, run_in_process, write_config, write_ndjson

CONFIG = """
state_dir: state
sources: {app: {type: file, path: "in/*.ndjson"}}
pipelines:
  lat:
    functions:
      - type: window
        field: latency_ms
        size: 3
        by: [service]
        emit: {lat_avg: avg, lat_max: max, seen: count}
sinks: {out: {type: file, path: out.ndjson}}
routes: [{name: all, pipeline: lat, sink: out}]
"""


async def test_window_state_survives_a_restart(tmp_path: Path) -> None:
    config = write_config(tmp_path, CONFIG)
    (tmp_path / "in").mkdir()
    write_ndjson(
        tmp_path / "in" / "a.ndjson",
        [
            {"service": "api", "latency_ms": 10},
            {"service": "db", "latency_ms": 100},
            {"service": "api", "latency_ms": 20},
        ],
    )
    first = await run_in_process(config)
    assert first.summary()["events_out"] == {"out": 3}

    # A second run reads only the new file (checkpoints), and its windows continue the first run's.
    write_ndjson(
        tmp_path / "in" / "b.ndjson",
        [{"service": "api", "latency_ms": 30}, {"service": "api", "latency_ms": 90}],
    )
    second = await run_in_process(config)
    assert second.summary()["events_out"] == {"out": 2}

    rows = read_ndjson(tmp_path / "out.ndjson")
    api = [(r["latency_ms"], r["lat_avg"], r["lat_max"], r["seen"]) for r in rows if r["service"] == "api"]
    assert api == [
        (10, 10, 10, 1),
        (20, 15, 20, 2),
        (30, 20, 30, 3),  # restored: 10 and 20 are still in the window after the restart
        (90, 140 / 3, 90, 3),  # the window slid: 20, 30, 90
    ]
    db = [(r["lat_avg"], r["seen"]) for r in rows if r["service"] == "db"]
    assert db == [(100, 1)]
