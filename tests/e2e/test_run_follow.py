"""``follow: true`` through the real process: appends and a rotation by rename while running, then
SIGTERM; every line is delivered exactly once, and a restart resumes from the checkpoint."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.e2e.conftest import (
    count_lines,
    read_ndjson,
    run_in_process,
    started,
    terminate,
    wait_until,
    write_config,
    write_ndjson,
)

CONFIG = """
sources:
  app: {{type: file, path: app.log, follow: {follow}}}
sinks:
  out: {{type: file, path: out.ndjson}}
routes:
  - {{name: all, sink: out}}
"""


async def test_follow_survives_rotation_and_a_restart_resumes_from_the_checkpoint(tmp_path: Path) -> None:
    log, out = tmp_path / "app.log", tmp_path / "out.ndjson"
    write_ndjson(log, [{"n": n} for n in range(3)])
    following = write_config(tmp_path, CONFIG.format(follow="true"), "follow.yaml")

    def delivered(count: int) -> bool:
        return count_lines(out) >= count

    summary_file = tmp_path / "summary.json"
    with started("run", str(following), "--summary-file", str(summary_file)) as proc:
        wait_until(lambda: delivered(3), "the first lines", proc=proc)
        write_ndjson(log, [{"n": n} for n in range(3, 5)], mode="a")
        wait_until(lambda: delivered(5), "the appended lines", proc=proc)
        write_ndjson(log, [{"n": n} for n in range(5, 7)], mode="a")  # not yet read when rotated
        os.rename(log, tmp_path / "app.log.1")
        write_ndjson(log, [{"n": n} for n in range(7, 9)])
        write_ndjson(log, [{"n": 9}], mode="a")
        wait_until(lambda: delivered(10), "the lines of the rotated and the new file", proc=proc)
        code, _, err = terminate(proc)

    assert code == 0, err.decode()
    assert sorted(r["n"] for r in read_ndjson(out)) == list(range(10))  # each exactly once
    summary = json.loads(summary_file.read_text("utf-8"))
    assert (summary["events_in"], summary["events_out"]) == (10, {"out": 10})

    once = write_config(tmp_path, CONFIG.format(follow="false"), "once.yaml")  # same state_dir
    again = await run_in_process(once)

    assert again.summary()["events_in"] == 0
    assert len(read_ndjson(out)) == 10
