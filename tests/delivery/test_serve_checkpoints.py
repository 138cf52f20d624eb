"""``pipeflow serve`` saves the checkpoints of its file sources as ``run`` does: every 0.2 s, also
after a file read once has ended (its last acks come later, and serve runs on for days), and on
shutdown. A real ``serve`` process is killed with SIGKILL once its input is delivered (or, behind a
disk buffer, durable while the sink is down), then restarted: nothing is read again, nothing lost.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.delivery.helpers import (
    PIPEFLOW,
    counting_receiver,
    dead_letter_rows,
    free_port,
    http_behind_disk_buffer,
    ndjson_lines,
    numbers_so_far,
    segment_bytes,
    wait_until,
    write_config,
    write_numbered,
)

EVENTS = 3000


def _serve(folder: Path) -> subprocess.Popen[bytes]:
    """A real ``pipeflow serve`` of ``folder/pipeflow.yaml`` (API on a free port, its own database)."""
    args = ["serve", "--config", "pipeflow.yaml", "--database", "m.db", "--port", str(free_port())]
    return subprocess.Popen(
        [PIPEFLOW, *args],
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _checkpoint(folder: Path) -> int:
    """The saved offset of ``in.ndjson`` (-1 before there is one)."""
    db_path = folder / "state" / "state.db"
    if not db_path.exists():
        return -1
    try:
        with sqlite3.connect(db_path) as db:
            row = db.execute(
                'SELECT "offset" FROM checkpoints WHERE path = ?', (str(folder / "in.ndjson"),)
            ).fetchone()
    except sqlite3.OperationalError:  # the table is not made yet
        return -1
    return -1 if row is None else int(row[0])


def _kill9(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=20)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM: serve drains, saves its checkpoints and exits 0."""
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()


def _counts(path: Path) -> Counter[int]:
    """The events of a file no process writes any more: not one torn line."""
    rows, torn = ndjson_lines(path)
    assert torn == 0
    return Counter(int(row["n"]) for row in rows)


@pytest.mark.parametrize("buffer", ["memory", "disk"])
def test_serve_saves_a_file_read_once_after_it_ended_and_on_shutdown(tmp_path: Path, buffer: str) -> None:
    inp = tmp_path / "in.ndjson"
    write_numbered(inp, EVENTS)
    write_config(
        tmp_path,
        f"""
        state_dir: state
        sources:
          app: {{type: file, path: in.ndjson}}
        sinks:
          out: {{type: file, path: out.ndjson, buffer: {{type: {buffer}}}}}
        routes:
          - {{name: all, sink: out}}
        """,
    )
    proc = _serve(tmp_path)
    try:
        wait_until(
            lambda: sum(numbers_so_far(tmp_path / "out.ndjson").values()) == EVENTS, "every event written"
        )
        # Saved while serve runs on after the input ended (not only when it stops).
        wait_until(lambda: _checkpoint(tmp_path) == inp.stat().st_size, "the end of the input saved")
        _kill9(proc)
        with inp.open("a") as fh:  # read by the restart; what came before must not be
            fh.write(f'{{"n": {EVENTS}}}\n{{"n": {EVENTS + 1}}}\n')
        proc = _serve(tmp_path)
        wait_until(
            lambda: EVENTS + 1 in numbers_so_far(tmp_path / "out.ndjson"), "the lines appended written"
        )
        _stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=20)
    assert _counts(tmp_path / "out.ndjson") == Counter(range(EVENTS + 2))  # each event once
    assert _checkpoint(tmp_path) == inp.stat().st_size  # saved on shutdown


def test_serve_saves_checkpoints_while_a_disk_buffered_sink_is_down(tmp_path: Path) -> None:
    """The sink is down: the input is durable in the disk buffer and acknowledged, its checkpoint
    saved; a kill -9 then and a restart with the sink back deliver each event once, none twice."""
    inp = tmp_path / "in.ndjson"
    write_numbered(inp, EVENTS)
    port = free_port()
    http_behind_disk_buffer(
        tmp_path, port, buffer="{type: disk}", retry="{backoff_ms: 50, max_backoff_ms: 200}"
    )
    proc = _serve(tmp_path)
    try:
        wait_until(lambda: _checkpoint(tmp_path) == inp.stat().st_size, "the end of the input saved")
        assert segment_bytes(tmp_path / "state" / "buffers" / "web") > 0  # held on disk, not sent
        _kill9(proc)
        with inp.open("a") as fh:
            fh.write(f'{{"n": {EVENTS}}}\n')
        with counting_receiver(port) as received:
            proc = _serve(tmp_path)
            wait_until(lambda: sum(received.values()) >= EVENTS + 1, "every event received", timeout=40)
            _stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=20)
    assert received == Counter(range(EVENTS + 1))  # none read again, none lost
    assert dead_letter_rows(tmp_path / "state") == []
    assert _checkpoint(tmp_path) == inp.stat().st_size
    assert os.path.isdir(tmp_path / "state" / "buffers" / "web")
