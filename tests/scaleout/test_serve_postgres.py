"""``pipeflow serve --database postgresql://...``: two worker processes share the configuration.

Each test keeps its tables in a schema of its own (``?schema=`` in the URL), dropped after it.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

from pipeflow.interfaces.cli.serve import serve
from tests.e2e.conftest import free_port
from tests.e2e.serve_support import STAMP, ndjson, stamp
from tests.scaleout.workers_support import processes, read_numbers, stop, wait_for

pytestmark = pytest.mark.scaleout


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A ``postgresql://...?schema=...`` URL whose schema is dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield f"{postgres_url}?schema={name}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def _get(base: str, path: str) -> Any:
    return httpx.get(base + path, timeout=5).json()


def test_a_change_through_one_worker_is_applied_by_the_other(tmp_path: Path, database: str) -> None:
    ports = {"a": free_port(), "b": free_port()}
    base = {w: f"http://127.0.0.1:{p}" for w, p in ports.items()}
    for w in ports:  # the same pipelines and routes; each worker its own state dir and output file
        text = STAMP.replace("state_dir: state", f"state_dir: state-{w}").replace(
            "out.ndjson", f"out-{w}.ndjson"
        )
        (tmp_path / f"{w}.yaml").write_text(text, encoding="utf-8")
    with processes() as start:
        procs = {  # started together: both seed the same empty database at once
            w: start("serve", "--database", database, "--config", f"{w}.yaml", "--port", str(p), cwd=tmp_path)
            for w, p in ports.items()
        }
        for w, p in ports.items():
            wait_for(partial(_listening, p), f"worker {w} to listen", procs[w])
        for w in ports:
            assert _get(base[w], "/runtime")["pipelines"] == {"stamp": 1}
            assert _get(base[w], "/runtime")["routes_version"] == 1
        assert [v["version"] for v in _get(base["a"], "/pipelines/stamp/versions")["items"]] == [1]

        changed = httpx.put(f"{base['a']}/pipelines/stamp", json=stamp(2), headers={"If-Match": '"1"'})
        assert changed.status_code == 200, changed.text
        applied_s = wait_for(
            lambda: _get(base["b"], "/runtime")["pipelines"] == {"stamp": 2}, "worker b to apply version 2"
        )
        stale = httpx.put(f"{base['b']}/pipelines/stamp", json=stamp(3), headers={"If-Match": "1"})
        assert stale.status_code == 412  # b reads the shared version: 2

        accepted = httpx.post(f"{base['b']}/ingest/web", content=ndjson([{"n": 7}]))
        assert accepted.status_code == 202, accepted.text
        out = tmp_path / "out-b.ndjson"
        wait_for(lambda: read_numbers(out) == [7], "b's output")
        codes = {w: stop(proc) for w, proc in procs.items()}
    print(f"\nworker b applied the change made through worker a after {applied_s:.2f}s")
    assert [json.loads(line) for line in out.read_text().splitlines()] == [{"n": 7, "a": 2, "b": 2}]
    for w, (code, err) in codes.items():
        assert code == 0, f"{w}: {err}"
        assert "Traceback" not in err, err


def test_an_unreachable_database_is_a_clear_error_without_the_password() -> None:
    url = f"postgresql://pf:s3cret@127.0.0.1:{free_port()}/pf?connect_timeout=2"
    result = CliRunner().invoke(serve, ["--database", url, "--port", "0"])
    assert result.exit_code == 1
    assert "cannot open the database postgresql://pf:***@127.0.0.1" in result.output
    assert "s3cret" not in result.output
