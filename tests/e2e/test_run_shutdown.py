"""Graceful shutdown: SIGTERM while a large file is being read stops reading, drains what was
read, exits 0, and loses nothing; a restart delivers the rest from the checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from tests.e2e.conftest import (
    PIPEFLOW,
    RUN_TIMEOUT_S,
    dead_letter_rows,
    read_ndjson,
    run_in_process,
    started,
    terminate,
    wait_until,
    write_config,
)

TOTAL = 100_000


def _big_input_and_config(folder: Path, lines: int, *, fsync: bool = True) -> Path:
    """``big.ndjson`` of ``lines`` padded events, and a config that strips the pad into ``out.ndjson``."""
    with (folder / "big.ndjson").open("w", encoding="utf-8") as fh:
        fh.writelines(f'{{"i": {i}, "pad": "................................"}}\n' for i in range(lines))
    return write_config(
        folder,
        f"""
        sources:
          big: {{type: file, path: big.ndjson}}
        pipelines:
          strip:
            functions:
              - {{type: remove, fields: [pad]}}
        sinks:
          out: {{type: file, path: out.ndjson, fsync: {str(fsync).lower()}}}
        routes:
          - {{name: all, pipeline: strip, sink: out}}
        """,
    )


async def test_sigterm_while_reading_drains_loses_nothing_and_a_restart_finishes(tmp_path: Path) -> None:
    config = _big_input_and_config(tmp_path, TOTAL)
    out, summary_file = tmp_path / "out.ndjson", tmp_path / "summary.json"

    with started("run", str(config), "--summary-file", str(summary_file)) as proc:
        wait_until(lambda: out.exists() and out.stat().st_size > 0, "the first events written", proc=proc)
        code, _, err = terminate(proc)

    assert code == 0, err.decode()
    summary = json.loads(summary_file.read_text("utf-8"))
    written = read_ndjson(out)
    assert 0 < summary["events_in"] < TOTAL  # it stopped in the middle
    assert summary["events_in"] == summary["events_out"]["out"] + summary["dead_lettered"]
    assert dead_letter_rows(tmp_path / ".pipeflow") == []
    assert written == [{"i": i} for i in range(summary["events_in"])]  # in order, none lost

    rest = await run_in_process(config)

    assert rest.summary()["events_in"] == TOTAL - summary["events_in"]
    assert [r["i"] for r in read_ndjson(out)] == list(range(TOTAL))


async def test_ctrl_c_to_the_process_group_with_workers_drains_and_loses_nothing(tmp_path: Path) -> None:
    total = 1_000_000  # ~50 MB: still being read when the first events are out
    config = _big_input_and_config(tmp_path, total, fsync=False)
    out, summary_file = tmp_path / "out.ndjson", tmp_path / "summary.json"
    code, err = _ctrl_c_once_writing(
        [PIPEFLOW, "run", str(config), "--workers", "2", "--summary-file", str(summary_file)], out
    )

    assert code == 0, err.decode()  # the workers did not die of the signal: the spans in flight drained
    summary = json.loads(summary_file.read_text("utf-8"))
    assert 0 < summary["events_in"] <= total  # spans already queued are drained, never half done
    assert summary["events_out"]["out"] == summary["events_in"]
    assert [r["i"] for r in read_ndjson(out)] == list(range(summary["events_in"]))  # in order, none lost

    rest = await run_in_process(config)

    assert rest.summary()["events_in"] == total - summary["events_in"]
    assert [r["i"] for r in read_ndjson(out)] == list(range(total))


def _ctrl_c_once_writing(args: list[str], out: Path) -> tuple[int, bytes]:
    """Run ``args`` in a process group of its own; once ``out`` has bytes, SIGINT the whole group
    (as a terminal's Ctrl-C does: the workers get it too). Its exit code and stderr."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, process_group=0)
    try:
        wait_until(lambda: out.exists() and out.stat().st_size > 0, "the first events written", proc=proc)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err
