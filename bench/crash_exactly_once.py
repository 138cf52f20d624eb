"""Exactly once into files across ``kill -9`` (issue 17): a file -> file run killed at random moments.

``pipeflow run`` reads one NDJSON file into three file sinks (one fsync-ed, one ``fsync: false``,
one behind a filter) and a SQLite sink. It is started, and killed with SIGKILL once its first
sink's output has grown past a random size (so each kill lands in the middle of the run: between
writes, between a write and its commit, in a commit); then started again, ``--kills`` times, and
the last start runs to its end. Each output is then compared with the input, line by line and in
order: every input event must be there exactly once. Exit 0 only when nothing is lost or doubled.

With ``--stateful`` the route to ``synced``, ``unsynced`` and ``db`` runs a pipeline that keeps state:
``dedupe`` on ``k`` (every key twice in a row: the odd events are dropped) and then a count ``window``
setting ``n_sum``, the sum of the last three kept ``n``. State is committed with the checkpoints, so
after every kill the outputs must still be exactly what one uninterrupted run writes: a state saved
ahead of the checkpoints drops events again read as duplicates, one behind misses them in the sums.

Usage: ``.venv/bin/python bench/crash_exactly_once.py [-n 500000] [--kills 3] [--workers 1]
[--seed 17] [--dir FOLDER] [--stateful]`` (``make bench-crash`` runs the issue's full count with 1 and 2
workers).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PIPEFLOW = str(Path(sys.executable).parent / "pipeflow")

CONFIG = """\
state_dir: state
sources:
  app: {type: file, path: in.ndjson}
sinks:
  synced: {type: file, path: out/synced.ndjson, buffer: {max_events: %(buffer)d}}
  unsynced: {type: file, path: out/unsynced.ndjson, fsync: false, buffer: {max_events: %(buffer)d}}
  odd: {type: file, path: out/odd.ndjson, fsync: false, buffer: {max_events: %(buffer)d}}
  db: {type: sqlite, path: out/events.db}
routes:
  - {name: odd, filter: 'odd == true', sinks: [odd], final: false}
  - {name: all, sinks: [synced, unsynced, db]%(pipeline)s}
%(pipelines)s"""

STATEFUL = """\
pipelines:
  keep:
    functions:
      - {type: dedupe, fields: [k]}
      - {type: window, field: n, size: 3, emit: {n_sum: sum}}
"""


@dataclass(frozen=True, slots=True)
class Report:
    """What one crash run found: per output, events lost and doubled; the kills that landed."""

    events: int
    kills: list[int]  # output bytes when each kill was sent
    lost: dict[str, int]
    doubled: dict[str, int]
    seconds: float

    @property
    def exact(self) -> bool:
        """Whether every output holds every event it should exactly once."""
        return not any(self.lost.values()) and not any(self.doubled.values())


def write_input(path: Path, count: int, *, stateful: bool = False) -> list[dict[str, Any]]:
    """``count`` NDJSON events (every other one ``odd``; with ``stateful``, key ``k`` twice in a
    row); return them as read back."""
    rows: list[dict[str, Any]] = [
        {"n": i, "odd": i % 2 == 1, "msg": f"event number {i:08d}"} for i in range(count)
    ]
    if stateful:
        for row in rows:
            row["k"] = row["n"] // 2
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row) + "\n" for row in rows)
    return rows


def through_state(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the ``keep`` pipeline makes of ``rows`` in one uninterrupted run."""
    kept = [dict(row) for row in rows if row["n"] % 2 == 0]  # the first event of each key
    for j, row in enumerate(kept):
        row["n_sum"] = sum(r["n"] for r in kept[max(0, j - 2) : j + 1])
    return kept


def _compare(expected: list[dict[str, Any]], path: Path) -> tuple[int, int]:
    """(lost, doubled) of an output file against the events it should hold, in order."""
    got = [json.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []
    if got == expected:
        return 0, 0
    want = {row["n"] for row in expected}
    seen: dict[int, int] = {}
    for row in got:
        seen[row["n"]] = seen.get(row["n"], 0) + 1
    lost = len(want - seen.keys())
    doubled = sum(c - 1 for c in seen.values()) + len(seen.keys() - want)
    return lost, doubled or (0 if lost else 1)  # same events in another order: count it as wrong


def _compare_db(expected: list[dict[str, Any]], path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT json_extract(event, '$.n') FROM events").fetchall()
    ns = [int(n) for (n,) in rows]
    want = {row["n"] for row in expected}
    return len(want - set(ns)), len(ns) - len(set(ns))


def _start(config: Path, workers: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PIPEFLOW, "run", str(config), "--workers", str(workers)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_past(proc: subprocess.Popen[bytes], watched: Path, size: int) -> int | None:
    """SIGKILL ``proc`` once ``watched`` holds more than ``size`` bytes; ``None`` if it ended first."""
    while proc.poll() is None:
        try:
            now = watched.stat().st_size
        except FileNotFoundError:
            now = 0
        if now > size:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
            return now
        time.sleep(0.001)
    return None


def crash_run(
    folder: Path, count: int, kills: int, workers: int, seed: int, *, stateful: bool = False
) -> Report:
    """Run the crash scenario in ``folder`` (see the module's doc) and compare the outputs."""
    rng = random.Random(seed)
    rows = write_input(folder / "in.ndjson", count, stateful=stateful)
    config = folder / "pipeflow.yaml"
    shape = (
        {"pipeline": ", pipeline: keep", "pipelines": STATEFUL}
        if stateful
        else {"pipeline": "", "pipelines": ""}
    )
    config.write_text(CONFIG % {"buffer": max(100, count // 20), **shape}, encoding="utf-8")
    watched = folder / "out" / "unsynced.ndjson"
    routed = through_state(rows) if stateful else rows
    expected_bytes = sum(len(json.dumps(r, separators=(",", ":"))) + 1 for r in routed)
    started = time.perf_counter()
    landed: list[int] = []
    for _ in range(kills):
        proc = _start(config, workers)
        at = _kill_past(proc, watched, int(rng.uniform(0.05, 0.95) * expected_bytes))
        if at is None:  # it finished before that size: nothing to kill
            _, err = proc.communicate(timeout=30)
            if proc.returncode != 0:
                raise SystemExit(f"pipeflow failed: {err.decode()}")
            break
        landed.append(at)
    proc = _start(config, workers)
    _, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"pipeflow failed: {err.decode()}")
    seconds = time.perf_counter() - started
    outputs = {
        "synced": routed,
        "unsynced": routed,
        "odd": [r for r in rows if r["odd"]],
    }
    lost: dict[str, int] = {}
    doubled: dict[str, int] = {}
    for name, want in outputs.items():
        lost[name], doubled[name] = _compare(want, folder / "out" / f"{name}.ndjson")
    lost["db"], doubled["db"] = _compare_db(routed, folder / "out" / "events.db")
    return Report(count, landed, lost, doubled, seconds)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run, print the report; 0 when every output is exact."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500_000, help="input events")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--stateful", action="store_true", help="route through dedupe and window")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pipeflow-crash-") as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        report = crash_run(folder, args.n, args.kills, args.workers, args.seed, stateful=args.stateful)
    print(
        f"{report.events} events, --workers {args.workers}, {len(report.kills)} x kill -9"
        f" (at output bytes {report.kills}), {report.seconds:.1f} s"
    )
    for name in report.lost:
        print(f"  {name:9} lost {report.lost[name]}, duplicated {report.doubled[name]}")
    print("exactly once: yes" if report.exact else "exactly once: NO")
    return 0 if report.exact else 1


if __name__ == "__main__":
    sys.exit(main())
