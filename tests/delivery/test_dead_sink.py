"""A dead sink next to a healthy one: the healthy sink gets everything, the dead one's events are
dead-lettered after their retries with a reason, and ``pipeflow run`` ends with exit 0."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

from tests.delivery.helpers import PIPEFLOW, dead_letter_rows, ndjson_lines, write_config, write_numbered

EVENTS = 3000
ATTEMPTS = 3


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed on exit: connecting is refused


def _run(config: Path, summary: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [PIPEFLOW, "run", str(config), "--summary-file", str(summary)],
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_dead_sink_is_dead_lettered_and_healthy_sink_gets_everything(tmp_path: Path) -> None:
    write_numbered(tmp_path / "in.ndjson", EVENTS)
    config = write_config(
        tmp_path,
        f"""
        state_dir: state
        sources:
          app: {{type: file, path: in.ndjson}}
        sinks:
          healthy: {{type: file, path: out.ndjson}}
          dead:
            type: http
            url: "http://127.0.0.1:{_closed_port()}/ingest"
            timeout_s: 2
            retry: {{attempts: {ATTEMPTS}, backoff_ms: 5, max_backoff_ms: 20}}
        routes:
          - {{name: all, sinks: [healthy, dead]}}
        """,
    )

    done = _run(config, tmp_path / "summary.json")

    assert done.returncode == 0, done.stderr.decode()
    rows, torn = ndjson_lines(tmp_path / "out.ndjson")
    assert [r["n"] for r in rows] == list(range(EVENTS))
    assert torn == 0
    dead = dead_letter_rows(tmp_path / "state")
    assert sorted(r["event"]["n"] for r in dead) == list(range(EVENTS))
    for record in dead:
        assert (record["source"], record["route"], record["stage"]) == ("app", "all", "sink:dead")
        assert f"sink 'dead' failed after {ATTEMPTS} attempts" in record["reason"]
        assert "ConnectError" in record["reason"]
        assert record["id"]
        assert isinstance(record["at"], float)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["events_in"] == EVENTS
    assert summary["events_out"] == {"dead": 0, "healthy": EVENTS}
    assert summary["dead_lettered"] == EVENTS
    assert summary["retries"] >= ATTEMPTS - 1
    assert "dead-lettered" in done.stderr.decode()

    # Dead-lettered counts as delivered: the checkpoint moved past every line, nothing is read again.
    again = _run(config, tmp_path / "again.json")
    assert again.returncode == 0, again.stderr.decode()
    assert json.loads((tmp_path / "again.json").read_text())["events_in"] == 0
    assert len(dead_letter_rows(tmp_path / "state")) == EVENTS
