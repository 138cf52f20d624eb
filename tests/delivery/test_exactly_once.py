"""Exactly once into files across ``kill -9`` (spec section 14): ``bench/crash_exactly_once.py`` on a
small input. A file -> file run (three file sinks, one fsync-ed, one not, one behind a filter, and a
SQLite sink) is killed with SIGKILL three times at seeded random points of its output, restarted
each time, and finished; every output must hold every input event once, in input order (compared
line by line), with one worker process and with two. The full count (500,000 events) is
``make bench-crash``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("workers", "events"), [(1, 20_000), (2, 120_000)])
def test_kill9_three_times_then_a_restart_leaves_every_event_once_in_every_output(
    tmp_path: Path, workers: int, events: int
) -> None:
    cmd = [sys.executable, str(ROOT / "bench" / "crash_exactly_once.py"), "-n", str(events)]
    cmd += ["--kills", "3", "--workers", str(workers), "--seed", "5", "--dir", str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 x kill -9" in done.stdout  # every kill landed before the run could finish
    for sink in ("synced", "unsynced", "odd", "db"):
        assert f"{sink:9} lost 0, duplicated 0" in done.stdout


def test_kill9_with_dedupe_and_window_state_leaves_what_one_uninterrupted_run_writes(tmp_path: Path) -> None:
    """State is committed with the checkpoints: after each kill, neither replayed into the state
    (``dedupe`` would drop events read again) nor missing from it (``window`` sums would be short)."""
    cmd = [sys.executable, str(ROOT / "bench" / "crash_exactly_once.py"), "-n", "20000", "--stateful"]
    cmd += ["--kills", "3", "--seed", "5", "--dir", str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 x kill -9" in done.stdout
    for sink in ("synced", "unsynced", "odd", "db"):
        assert f"{sink:9} lost 0, duplicated 0" in done.stdout
