"""``pipeflow dlq list`` and ``dlq replay``: the queue is shown, and replayed through a fixed config:
sink failures go to their (now working) sink only, raw input is decoded again, and every record
leaves the queue once delivered or dead-lettered anew."""

from __future__ import annotations

import json
import socket
from functools import partial
from pathlib import Path

import anyio
from click.testing import CliRunner

from pipeflow.interfaces.bootstrap import bootstrap
from pipeflow.interfaces.cli.dlq import dlq
from tests.delivery.helpers import dead_letter_rows, ndjson_lines, write_config

BROKEN = """
state_dir: state
sources:
  app: {{type: file, path: in.ndjson}}
sinks:
  healthy: {{type: file, path: healthy.ndjson}}
  remote: {sink}
routes:
  - {{name: all, sinks: [healthy, remote]}}
"""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _configure(folder: Path, sink: str) -> Path:
    return write_config(folder, BROKEN.format(sink=sink))


def test_replay_through_a_fixed_config_empties_the_queue(tmp_path: Path) -> None:
    lines = [json.dumps({"n": i}) for i in range(5)] + ["{not json"]
    (tmp_path / "in.ndjson").write_text("\n".join(lines) + "\n")
    dead = f'{{type: http, url: "http://127.0.0.1:{_closed_port()}/", retry: {{attempts: 1}}}}'
    config = _configure(tmp_path, dead)
    app = bootstrap()
    loaded = app.load(str(config)).unwrap()
    anyio.run(partial(app.run, loaded, handle_signals=False))  # the CLI runs its own event loop
    assert len(dead_letter_rows(tmp_path / "state")) == 6

    runner = CliRunner()
    listed = runner.invoke(dlq, ["list", "--config", str(config), "--json"], obj=app)
    assert listed.exit_code == 0, listed.output
    records = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(str(r["stage"]) for r in records) == ["decode"] + ["sink:remote"] * 5
    text = runner.invoke(dlq, ["list", "--config", str(config), "--limit", "2"], obj=app)
    assert text.exit_code == 0
    assert "sink 'remote' failed after 1 attempts" in text.stdout

    fixed = _configure(tmp_path, "{type: file, path: remote.ndjson}")
    replayed = runner.invoke(dlq, ["replay", "--config", str(fixed)], obj=app)
    assert replayed.exit_code == 0, replayed.output
    assert "replayed 6 record(s); 1 in the queue" in replayed.stderr

    assert sorted(r["n"] for r in ndjson_lines(tmp_path / "remote.ndjson")[0]) == list(range(5))
    assert len(ndjson_lines(tmp_path / "healthy.ndjson")[0]) == 5  # not sent to the healthy sink again
    (left,) = dead_letter_rows(tmp_path / "state")
    assert left["raw"] == "{not json"
    assert left["reason"].startswith("on replay: invalid JSON")
    assert left["stage"] == "decode"


def test_list_without_a_state_database_shows_nothing(tmp_path: Path) -> None:
    config = _configure(tmp_path, "{type: file, path: remote.ndjson}")
    result = CliRunner().invoke(dlq, ["list", "--config", str(config)], obj=bootstrap())
    assert result.exit_code == 0
    assert result.stdout == ""
    assert not (tmp_path / "state").exists()
