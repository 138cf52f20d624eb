"""``throttle`` and ``dedupe`` through ``pipeflow run``: drops counted, and state that survives a restart."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import read_ndjson, run_in_process, write_config, write_ndjson

CONFIG = """
state_dir: state
sources: {app: {type: file, path: "in/*.ndjson"}}
pipelines:
  limited:
    functions:
      - {type: dedupe, fields: [id], cache_size: 3}
      - {type: throttle, rate: 2, window_s: 60, key: host}
sinks: {out: {type: file, path: out.ndjson}}
routes: [{name: all, pipeline: limited, sink: out}]
"""


async def test_throttle_and_dedupe_state_survives_a_restart(tmp_path: Path) -> None:
    config = write_config(tmp_path, CONFIG)
    (tmp_path / "in").mkdir()
    write_ndjson(
        tmp_path / "in" / "a.ndjson",
        [
            {"id": 1, "host": "web", "ts": 0},
            {"id": 1, "host": "web", "ts": 1},  # duplicate
            {"id": 2, "host": "db", "ts": 2},
            {"id": 3, "host": "web", "ts": 3},
            {"id": 4, "host": "web", "ts": 4},  # third web event in 60 s: throttled
        ],
    )
    first = await run_in_process(config)
    assert first.summary()["events_out"] == {"out": 3}
    assert first.summary()["dropped"] == 2

    # The second run reads only the new file; the keys and windows of the first run still count.
    write_ndjson(
        tmp_path / "in" / "b.ndjson",
        [
            {"id": 3, "host": "db", "ts": 10},  # id 3 was seen: duplicate
            {"id": 5, "host": "db", "ts": 11},  # db's second event in 60 s
            {"id": 6, "host": "db", "ts": 12},  # db's third: throttled
            {"id": 7, "host": "web", "ts": 59},  # web's span still holds 0 and 3
            {"id": 8, "host": "web", "ts": 60.5},  # 0 left the span (0.5, 60.5]
            {"id": 1, "host": "api", "ts": 61},  # id 1 was pushed out by 2, 3, 4... : new again
        ],
    )
    second = await run_in_process(config)
    assert second.summary()["events_out"] == {"out": 3}
    assert second.summary()["dropped"] == 3

    rows = read_ndjson(tmp_path / "out.ndjson")
    assert [(r["id"], r["host"]) for r in rows] == [
        (1, "web"),
        (2, "db"),
        (3, "web"),
        (5, "db"),
        (8, "web"),
        (1, "api"),
    ]
