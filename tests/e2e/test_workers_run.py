"""``pipeflow run --workers 2``: the same outputs, counts and dead letters as one process, in input
order per sink; spans acknowledged (a second run reads nothing); one process, said on stderr,
when the topology cannot be split."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import anyio
import pytest

from pipeflow.interfaces.bootstrap import bootstrap, runtime
from pipeflow.interfaces.bootstrap.runtime import RunOutcome
from tests.e2e.conftest import (
    RUN_TIMEOUT_S,
    dead_letter_rows,
    no_traceback,
    read_ndjson,
    run_in_process,
    started,
    wait_until,
    write_config,
)

CONFIG = """
state_dir: state
sources: {app: {type: file, path: in.ndjson, max_line_bytes: 120}}
pipelines:
  scrub:
    functions:
      - {type: drop, filter: 'level == "debug"'}
      - {type: mask, field: msg, pattern: '[a-z0-9]+@[a-z]+\\.com', replacement: '<redacted>'}
  fan:
    functions:
      - {type: split, field: tags}
sinks:
  errors: {type: file, path: out/errors.ndjson}
  rest: {type: file, path: out/rest.ndjson}
  db: {type: sqlite, path: out/db.sqlite}
routes:
  - {name: tagged, filter: 'tags != null', pipeline: fan, sink: db, final: false}
  - {name: errors, filter: 'level == "error"', pipeline: scrub, sink: errors}
  - {name: rest, filter: 'level != null', pipeline: scrub, sink: rest}
"""


def _input(n: int) -> bytes:
    lines = []
    for i in range(n):
        level = ("debug", "info", "error", "warn")[i % 4]
        lines.append(f'{{"i": {i}, "level": "{level}", "msg": "u{i}@mail.com did {i}"}}'.encode())
        if i % 17 == 0:
            lines.append(f'{{"i": {i}, "tags": ["a", "b"], "level": "info", "msg": "t"}}'.encode())
        if i % 29 == 0:
            lines.extend([b"{not json", b"", b"   ", b"[1, 2]", b'{"pad": "' + b"x" * 200 + b'"}'])
        if i % 31 == 0:
            lines.append(b'{"i": -1}')  # matches no route
    return b"\n".join(lines)  # the last line has no newline


async def _run(folder: Path, workers: int) -> RunOutcome:
    app = bootstrap()
    loaded = app.load(str(folder / "pipeflow.yaml")).unwrap()
    with anyio.fail_after(RUN_TIMEOUT_S):
        return await app.run(loaded, workers, handle_signals=False)


def _rows(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return sorted(row[0] for row in conn.execute("SELECT event FROM events"))


async def test_two_workers_write_what_one_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "SPAN_BYTES", 700)  # many spans, cut at newlines
    data = _input(400)
    runs: dict[int, tuple[Any, ...]] = {}
    for workers in (1, 2):
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        (folder / "in.ndjson").write_bytes(data)
        write_config(folder, CONFIG)
        outcome = await _run(folder, workers)
        assert outcome.failures == []
        summary = {k: v for k, v in outcome.summary().items() if k not in ("seconds", "events_per_second")}
        files = {name: (folder / "out" / f"{name}.ndjson").read_bytes() for name in ("errors", "rest")}
        dead = sorted(
            (d["stage"], d["reason"], d.get("raw"), str(d.get("event")))
            for d in dead_letter_rows(folder / "state")
        )
        runs[workers] = (summary, files, _rows(folder / "out" / "db.sqlite"), dead)
        again = await _run(folder, workers)  # everything was acknowledged: nothing is read again
        assert again.summary()["events_in"] == 0
    assert runs[2] == runs[1]
    summary, files, rows, dead = runs[2]
    assert summary["events_in"] == 400 + 24 + 13  # events, tagged events, unmatched events
    assert files["errors"].count(b"\n") == 100
    assert b"<redacted>" in files["errors"]
    assert len(rows) == 2 * 24
    assert len(dead) == 3 * 14  # bad JSON, not an object, over-long (blank lines are skipped)


@pytest.mark.parametrize(
    ("sources", "pipeline", "reason"),
    [
        ("{app: {type: stdin}}", "[{type: drop, filter: 'false'}]", "source 'app' is stdin"),
        (
            "{app: {type: file, path: in.ndjson, format: lines}}",
            "[{type: drop, filter: 'false'}]",
            "reads lines",
        ),
        (
            "{app: {type: file, path: in.ndjson}}",
            "[{type: window, field: v, size: 2, emit: {n: count}}]",
            "keeps state in",
        ),
    ],
)
async def test_a_topology_that_cannot_be_split_runs_in_one_process_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sources: str, pipeline: str, reason: str
) -> None:
    (tmp_path / "in.ndjson").write_text('{"v": 1}\n{"v": 2}\n')
    config = f"""
    state_dir: state
    sources: {sources}
    pipelines: {{p: {{functions: {pipeline}}}}}
    sinks: {{out: {{type: file, path: out.ndjson}}}}
    routes: [{{name: all, pipeline: p, sink: out}}]
    """
    write_config(tmp_path, config)
    app = bootstrap(stdin=io.BytesIO(b'{"v": 1}\n{"v": 2}\n'))
    loaded = app.load(str(tmp_path / "pipeflow.yaml")).unwrap()
    with anyio.fail_after(RUN_TIMEOUT_S):
        outcome = await app.run(loaded, 2, handle_signals=False)
    assert outcome.failures == []
    assert outcome.summary()["events_in"] == 2
    err = capsys.readouterr().err
    assert err.count("--workers 2 not used") == 1
    assert reason in err
    assert "running in one process" in err


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from ``/proc``)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


async def test_a_worker_killed_mid_run_ends_the_run_with_an_error_and_loses_nothing(tmp_path: Path) -> None:
    total = 600_000  # ~40 MB: still being routed when the first events are out
    with (tmp_path / "in.ndjson").open("w", encoding="utf-8") as fh:
        fh.writelines(f'{{"i": {i}, "msg": "user u{i}@mail.com did {i}"}}\n' for i in range(total))
    config = write_config(
        tmp_path,
        """
        state_dir: state
        sources: {app: {type: file, path: in.ndjson}}
        pipelines:
          p:
            functions:
              - {type: mask, field: msg, pattern: '[a-z0-9]+@[a-z]+\\.com', replacement: '<redacted>'}
        sinks: {out: {type: file, path: out.ndjson, fsync: false}}
        routes: [{name: all, pipeline: p, sink: out}]
        """,
    )
    out = tmp_path / "out.ndjson"
    with started("run", str(config), "--workers", "2") as proc:
        wait_until(lambda: out.exists() and out.stat().st_size > 0, "the first events written", proc=proc)
        workers = _children(proc.pid)
        assert workers, "no worker process found"
        os.kill(workers[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=RUN_TIMEOUT_S)

    assert proc.returncode == 1, err.decode()
    no_traceback(err)
    assert f"worker process {workers[0]} was killed by signal 9" in err.decode()
    assert "read again next run" in err.decode()
    first = [r["i"] for r in read_ndjson(out)]
    assert 0 < len(first) < total
    assert first == list(range(len(first)))  # in order: what was delivered before the failed span

    rest = await run_in_process(config)

    assert rest.failures == []
    assert [r["i"] for r in read_ndjson(out)] == list(range(total))  # none lost, none twice
