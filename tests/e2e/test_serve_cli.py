"""The ``serve`` command: refusals at start (exit 2 or 1), and a real process stopped by SIGTERM (exit 0)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from click.testing import CliRunner

from pipeflow.interfaces.cli.serve import serve
from tests.e2e.conftest import (
    RUN_TIMEOUT_S,
    free_port,
    no_traceback,
    read_ndjson,
    wait_listening,
    write_config,
)
from tests.e2e.serve_support import STAMP, TOKEN, ndjson


def test_a_non_loopback_host_without_a_token_is_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    refused = runner.invoke(serve, ["--host", "0.0.0.0", "--database", str(tmp_path / "m.db")], env={})
    assert refused.exit_code == 2
    assert "without a token" in refused.output
    assert not (tmp_path / "m.db").exists()
    # With PIPEFLOW_TOKEN the host is allowed; this run then stops at its (missing) config.
    missing = str(tmp_path / "missing.yaml")
    with_env = runner.invoke(serve, ["--host", "0.0.0.0", "--config", missing], env={"PIPEFLOW_TOKEN": "x"})
    assert with_env.exit_code == 2
    assert "cannot read config" in with_env.output
    assert "without a token" not in with_env.output


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    config = str(write_config(tmp_path, STAMP))
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        for extra in ([], ["--config", config]):  # without and with a topology (its state db is closed)
            args = ["--port", str(port), "--database", str(tmp_path / "m.db"), *extra]
            result = CliRunner().invoke(serve, args)
            assert result.exit_code == 1
            assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_serve_process_ingests_and_drains_on_sigterm(tmp_path: Path) -> None:
    config = write_config(tmp_path, STAMP)
    port = free_port()
    code = "from pipeflow.interfaces.cli.serve import serve; serve()"
    args = ["--config", str(config), "--database", str(tmp_path / "m.db"), "--port", str(port)]
    env = {**os.environ, "PIPEFLOW_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        wait_listening(proc, port, "tcp")
        r = httpx.post(
            f"http://127.0.0.1:{port}/ingest/web",
            content=ndjson([{"n": 1}, {"n": 2}]),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert (r.status_code, r.json()) == (202, {"accepted": 2, "dead_lettered": 0})
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, err.decode()
    no_traceback(err)
    assert read_ndjson(tmp_path / "out.ndjson") == [{"n": 1, "a": 1, "b": 1}, {"n": 2, "a": 1, "b": 1}]
