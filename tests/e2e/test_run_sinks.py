"""Every sink, end to end: file (appends), stdout (the process's own output), http (a real local
server), sqlite (one row per event id)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from tests.e2e.conftest import (
    cli,
    dead_letter_rows,
    free_port,
    read_ndjson,
    receiver,
    run_in_process,
    write_config,
    write_ndjson,
)

ONE_SINK = """
sources:
  in: {{type: file, path: in.ndjson}}
sinks:
  out: {sink}
routes:
  - {{name: all, sink: out}}
"""


async def test_file_sink_appends_and_a_rerun_resumes_from_the_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "out.ndjson"
    out.write_text('{"before": true}\n', "utf-8")  # not ours: must survive
    write_ndjson(tmp_path / "in.ndjson", [{"run": 1, "i": i} for i in range(3)])
    config = write_config(tmp_path, ONE_SINK.format(sink="{type: file, path: out.ndjson}"))

    first = await run_in_process(config)
    write_ndjson(tmp_path / "in.ndjson", [{"run": 2, "i": i} for i in range(2)], mode="a")
    second = await run_in_process(config)
    third = await run_in_process(config)  # the same, unchanged input: nothing new

    assert read_ndjson(out) == [
        {"before": True},
        *({"run": 1, "i": i} for i in range(3)),
        *({"run": 2, "i": i} for i in range(2)),
    ]
    assert [o.summary()["events_out"] for o in (first, second, third)] == [{"out": 3}, {"out": 2}, {"out": 0}]


def test_stdout_sink_writes_ndjson_and_the_summary_goes_to_stderr(tmp_path: Path) -> None:
    write_ndjson(tmp_path / "in.ndjson", [{"i": i, "text": "é ✓"} for i in range(50)])
    config = write_config(tmp_path, ONE_SINK.format(sink="{type: stdout}"))

    done = cli("run", str(config))

    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [{"i": i, "text": "é ✓"} for i in range(50)]
    err = done.stderr.decode("utf-8")
    assert "events in" in err
    assert "-> out" in err
    assert "{" not in err  # no event leaked into stderr


async def test_http_sink_posts_ndjson_batches_with_event_ids(tmp_path: Path) -> None:
    write_ndjson(tmp_path / "in.ndjson", [{"i": i} for i in range(25)])
    with receiver() as server:
        config = write_config(
            tmp_path,
            ONE_SINK.format(
                sink=f"{{type: http, url: '{server.url}', batch_size: 10, headers: {{X-Team: ops}}}}"
            ),
        )
        outcome = await run_in_process(config)

    assert server.events == [{"i": i} for i in range(25)]
    assert len(server.requests) >= 3  # batch_size 10
    for headers in server.requests:
        assert headers["X-Team"] == "ops"
        assert headers["Content-Type"] == "application/x-ndjson"
        assert headers["Idempotency-Key"]
    ids = [i for headers in server.requests for i in headers["X-Pipeflow-Event-Ids"].split(",")]
    assert len(set(ids)) == 25
    assert outcome.summary()["events_out"] == {"out": 25}


def _rows(db: Path) -> list[tuple[str, dict[str, object]]]:
    with sqlite3.connect(db) as conn:
        return [(i, json.loads(e)) for i, e in conn.execute("SELECT id, event FROM events ORDER BY rowid")]


async def test_sqlite_sink_stores_one_row_per_event_id(tmp_path: Path) -> None:
    """Rows are keyed by event id. Ids are made when an event is read, so a rerun that lost its
    state (checkpoints) reads the input again as new events and adds rows (at least once)."""
    write_ndjson(tmp_path / "in.ndjson", [{"i": i} for i in range(10)])
    config = write_config(tmp_path, ONE_SINK.format(sink="{type: sqlite, path: out/events.db}"))

    await run_in_process(config)
    first = _rows(tmp_path / "out/events.db")
    await run_in_process(config)  # state kept: resumes at the end, nothing new
    assert _rows(tmp_path / "out/events.db") == first
    shutil.rmtree(tmp_path / ".pipeflow")
    await run_in_process(config)  # state lost: the same input again, with new ids
    again = _rows(tmp_path / "out/events.db")

    assert [e for _, e in first] == [{"i": i} for i in range(10)]
    assert len({i for i, _ in first}) == 10
    assert all(len(i) == 26 for i, _ in first)  # ULIDs
    assert [e for _, e in again] == [{"i": i} for i in range(10)] * 2
    assert len({i for i, _ in again}) == 20


async def test_a_sink_that_keeps_failing_dead_letters_its_events_after_retries(tmp_path: Path) -> None:
    write_ndjson(tmp_path / "in.ndjson", [{"i": i} for i in range(3)])
    url = f"http://127.0.0.1:{free_port()}/nobody-listens"
    config = write_config(
        tmp_path,
        ONE_SINK.format(sink=f"{{type: http, url: '{url}', retry: {{attempts: 3, backoff_ms: 1}}}}"),
    )

    outcome = await run_in_process(config)

    summary = outcome.summary()
    assert (summary["events_out"], summary["dead_lettered"], summary["retries"]) == ({"out": 0}, 3, 2)
    assert outcome.failures == []
    dead = dead_letter_rows(tmp_path / ".pipeflow")
    assert [d["event"] for d in dead] == [{"i": i} for i in range(3)]
    assert {d["stage"] for d in dead} == {"sink:out"}
    assert all(d["reason"].startswith("sink 'out' failed after 3 attempts") for d in dead)
