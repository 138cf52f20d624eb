"""``pipeflow run`` from a file into PostgreSQL as a real process: ``kill -9`` mid-run, run again,
and every id is stored exactly once; a batch PostgreSQL refuses is dead-lettered with its reason."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from pathlib import Path

import psycopg

from tests.delivery.helpers import PIPEFLOW, dead_letter_rows, start, write_config, write_numbered

LINES = 60_000


def _count(url: str, table: str) -> tuple[int, int]:
    """Rows in ``table`` and distinct ``n`` among them (0, 0 while the table is missing)."""
    with psycopg.connect(url) as conn:
        try:
            row = conn.execute(f"SELECT count(*), count(DISTINCT event->>'n') FROM {table}").fetchone()
        except psycopg.errors.UndefinedTable:
            return 0, 0
    assert row is not None
    return int(row[0]), int(row[1])


def test_kill9_mid_run_then_a_second_run_stores_each_id_once(tmp_path: Path, postgres_url: str) -> None:
    table = f"run_{uuid.uuid4().hex[:10]}"
    write_numbered(tmp_path / "in.ndjson", LINES)
    config = write_config(
        tmp_path,
        f"""
        state_dir: state
        sources:
          app: {{type: file, path: in.ndjson}}
        sinks:
          db: {{type: postgres, url: "{postgres_url}", table: {table}}}
        routes:
          - {{name: all, sink: db}}
        """,
    )
    proc = start(config)
    deadline = time.monotonic() + 60
    while _count(postgres_url, table)[0] == 0:  # kill once some batches are in, not all
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "no row arrived"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    stored_at_kill = _count(postgres_url, table)[0]
    assert 0 < stored_at_kill < LINES, "the kill came after the whole input was stored"

    done = subprocess.run([PIPEFLOW, "run", str(config)], capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    rows, distinct = _count(postgres_url, table)
    print(f"\npostgres kill -9: {stored_at_kill} rows at the kill, {rows} after the second run")
    assert (rows, distinct) == (LINES, LINES)


def test_a_batch_postgres_refuses_is_dead_lettered_with_its_message(
    tmp_path: Path, postgres_url: str
) -> None:
    table = f"bad_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, body text)")
    write_numbered(tmp_path / "in.ndjson", 5)
    config = write_config(
        tmp_path,
        f"""
        state_dir: state
        sources:
          app: {{type: file, path: in.ndjson}}
        sinks:
          db: {{type: postgres, url: "{postgres_url}", table: {table}, retry: {{attempts: 3, backoff_ms: 1}}}}
        routes:
          - {{name: all, sink: db}}
        """,
    )
    done = subprocess.run([PIPEFLOW, "run", str(config)], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()
    records = dead_letter_rows(tmp_path / "state")
    assert sorted(r["event"]["n"] for r in records) == list(range(5))
    assert all(r["stage"] == "sink:db" for r in records)
    reason = records[0]["reason"]
    assert f'column "at" of relation "{table}" does not exist' in reason
    assert "failed after 1 attempts" in reason  # permanent: not retried
