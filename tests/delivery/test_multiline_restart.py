"""Multiline events across ``kill -9``: ``pipeflow run`` follows a log of Java stack traces, is killed
at random moments and once while an event is half written, and restarted. Every event must reach
both sinks exactly once and whole: a restart never splits an event (the checkpoint moves only past
complete events) and an event read again has the id it had (its first line's)."""

from __future__ import annotations

import random
import re
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

from tests.delivery.helpers import ndjson_lines, start, wait_until, write_config

SEED = 20240917
FIRST, SECOND = 20_003, 2_000  # records before the first start, records appended before the last run
HEADER = re.compile(r"^2024-05-01T\S+ ERROR record (\d+)")


def record(n: int) -> str:
    """Record ``n``: a log line and a stack trace of 0 to 3 ``Caused by:`` links."""
    lines = [f"2024-05-01T12:00:00.{n % 1000:03d}Z ERROR record {n} failed"]
    if n % 4:
        lines.append(f"java.lang.RuntimeException: record {n}")
        lines.append(f"\tat com.example.Worker.run(Worker.java:{n % 97})")
    for c in range(n % 4):
        lines += [
            f"Caused by: java.io.IOException: cause {c}",
            "\tat com.example.Io.read(Io.java:7)",
            "\t... 1 more",
        ]
    return "\n".join(lines)


def _records(first: int, last: int) -> str:
    return "".join(record(n) + "\n" for n in range(first, last))


def _file_counts(path: Path) -> Counter[str]:
    rows, _ = ndjson_lines(path)
    return Counter(str(r["message"]) for r in rows)


def _db_counts(path: Path) -> Counter[str]:
    if not path.exists():
        return Counter()
    with sqlite3.connect(path) as db:
        try:
            rows = db.execute("SELECT json_extract(event, '$.message') FROM events").fetchall()
        except sqlite3.OperationalError:  # the table is not there yet
            return Counter()
    return Counter(str(m) for (m,) in rows)


def test_kill9_never_splits_loses_or_doubles_a_multiline_event(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    log = tmp_path / "app.log"
    half = record(FIRST).split("\n")
    assert len(half) > 3
    log.write_text(_records(0, FIRST) + "\n".join(half[:3]) + "\n")
    config = write_config(
        tmp_path,
        r"""
        state_dir: state
        sources:
          app:
            type: file
            path: app.log
            format: lines
            follow: true
            multiline: {start: '^\d{4}-\d\d-\d\dT', timeout_ms: 600000}
        sinks:
          out: {type: file, path: out.ndjson}
          db: {type: sqlite, path: out.db}
        routes:
          - {name: all, sinks: [out, db]}
        """,
    )
    out, db = tmp_path / "out.ndjson", tmp_path / "out.db"
    for _ in range(2):  # killed while reading, at random moments
        proc = start(config)
        time.sleep(rng.uniform(0.6, 1.8))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL
    proc = start(config)  # killed once record FIRST is half read (its start completed the one before)
    wait_until(lambda: record(FIRST - 1) in _db_counts(db), "the last whole record in db", timeout=60)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert record(FIRST) not in _file_counts(out)  # still waiting for its next line

    with log.open("a") as fh:
        fh.write(
            "\n".join(half[3:]) + "\n" + _records(FIRST + 1, FIRST + SECOND) + record(FIRST + SECOND) + "\n"
        )
    expected = {record(n) for n in range(FIRST + SECOND)}  # the very last waits for a line after it
    proc = start(config)
    try:
        wait_until(lambda: set(_file_counts(out)) >= expected, "every record in out", timeout=60)
        wait_until(lambda: set(_db_counts(db)) >= expected, "every record in db", timeout=60)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    in_file, in_db = _file_counts(out), _db_counts(db)
    assert ndjson_lines(out)[1] == 0, "a torn line left in the file sink"
    assert set(in_file) == expected, "an event split or lost in the file sink"
    assert set(in_db) == expected, "an event split or lost in the sqlite sink"
    assert max(in_file.values()) == 1, "an event written twice to the file sink"
    assert max(in_db.values()) == 1, "an event stored twice in the sqlite sink"
