"""Crash safety: ``pipeflow run`` on a followed file is killed with SIGKILL at seeded random moments,
restarted each time, and finally stopped with SIGTERM. Every input event must be in the output of
both sinks exactly once: the file sink is cut back to its committed length at each restart.

A line's event id comes from its place in its file (and the source's epoch, kept in the state), so
a line read again after a crash has the id it had: the SQLite sink (keyed by id) stores every event
exactly once.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

from tests.delivery.helpers import ndjson_lines, start, wait_until, write_config, write_numbered

SEED = 20240601
FIRST, SECOND = 40_000, 20_000  # lines before the first start, lines appended after the second kill
LAST = 1_000  # appended once the last run started: seeing them written shows it is up (signals handled)
KILLS = 4


def _sqlite_counts(path: Path) -> Counter[int]:
    if not path.exists():
        return Counter()
    with sqlite3.connect(path) as db:
        try:
            rows = db.execute("SELECT json_extract(event, '$.n') FROM events").fetchall()
        except sqlite3.OperationalError:  # the table is not there yet
            return Counter()
    return Counter(int(n) for (n,) in rows)


def _file_counts(path: Path) -> tuple[Counter[int], int]:
    rows, torn = ndjson_lines(path)
    return Counter(int(r["n"]) for r in rows), torn


def _append(source: Path, scratch: Path, count: int, first: int) -> None:
    write_numbered(scratch, count, start=first)
    with source.open("ab") as fh:
        fh.write(scratch.read_bytes())


def test_kill9_at_random_points_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    source = tmp_path / "in.ndjson"
    write_numbered(source, FIRST)
    config = write_config(
        tmp_path,
        """
        state_dir: state
        sources:
          app: {type: file, path: in.ndjson, follow: true}
        sinks:
          out: {type: file, path: out.ndjson}
          db: {type: sqlite, path: out.db}
        routes:
          - {name: all, sinks: [out, db]}
        """,
    )
    total = FIRST + SECOND + LAST
    for kill in range(KILLS):
        proc = start(config)
        time.sleep(rng.uniform(0.6, 1.8))  # start-up takes about half a second
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        if kill == 1:
            _append(source, tmp_path / "more.ndjson", SECOND, FIRST)

    proc = start(config)
    try:
        _append(source, tmp_path / "last.ndjson", LAST, FIRST + SECOND)
        wait_until(lambda: len(_file_counts(tmp_path / "out.ndjson")[0]) >= total, "every event in out")
        wait_until(lambda: len(_sqlite_counts(tmp_path / "out.db")) >= total, "every event in db")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()

    in_file, torn = _file_counts(tmp_path / "out.ndjson")
    in_db = _sqlite_counts(tmp_path / "out.db")
    expected = set(range(total))
    assert set(in_file) == expected, f"lost from the file sink: {len(expected - set(in_file))}"
    assert set(in_db) == expected, f"lost from the sqlite sink: {len(expected - set(in_db))}"
    file_dups = sum(in_file.values()) - total
    db_dups = sum(in_db.values()) - total
    print(
        f"\ncrash test: {total} events, {KILLS} x kill -9, lost 0; duplicates: file sink {file_dups}"
        f" (+{torn} torn lines), sqlite sink {db_dups}"
    )
    assert db_dups == 0, f"the sqlite sink stored {db_dups} events twice"
    assert file_dups == 0, f"the file sink holds {file_dups} events twice"
    assert torn == 0, f"the file sink holds {torn} torn lines"
