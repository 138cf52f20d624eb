"""Helpers of the end-to-end tests: configs in ``tmp_path``, runs through the real ``bootstrap()``,
the real console script as a subprocess, free ports on 127.0.0.1, and readers for what came out.

Every wait is bounded: in-process runs by ``anyio.fail_after``, subprocesses by their timeouts,
polls by a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, BinaryIO, Literal

import anyio

from pipeflow.interfaces.bootstrap import bootstrap
from pipeflow.interfaces.bootstrap.runtime import RunOutcome
from tests.http_server import serving

PIPEFLOW = str(Path(sys.executable).parent / "pipeflow")
"""The console script installed next to the interpreter running the tests."""

RUN_TIMEOUT_S = 20.0
"""No single run, in process or not, may take longer than this."""

Proto = Literal["tcp", "udp"]


def write_config(folder: Path, text: str, name: str = "pipeflow.yaml") -> Path:
    """Write a config (dedented) into ``folder`` and return its path."""
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def write_ndjson(path: Path, rows: list[dict[str, Any]], *, mode: str = "w") -> None:
    """Write (or append) one JSON object per line."""
    with path.open(mode, encoding="utf-8") as fh:
        fh.writelines(json.dumps(row) + "\n" for row in rows)


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of an NDJSON file (none when it does not exist)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def count_lines(path: Path) -> int:
    """Complete lines in a file being written (safe to poll: a half-written line is not counted)."""
    return path.read_bytes().count(b"\n") if path.exists() else 0


def dead_letter_rows(state_dir: Path) -> list[dict[str, Any]]:
    """The records of the ``dead_letters`` table of a state database, oldest first."""
    with sqlite3.connect(state_dir / "state.db") as db:
        rows = db.execute("SELECT record FROM dead_letters ORDER BY seq").fetchall()
    return [json.loads(record) for (record,) in rows]


async def run_in_process(
    config: Path, *, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None
) -> RunOutcome:
    """Load ``config`` with a real ``bootstrap()`` and run it to the end of its input."""
    app = bootstrap(stdin=stdin, stdout=stdout)
    loaded = app.load(str(config)).unwrap()
    with anyio.fail_after(RUN_TIMEOUT_S):
        return await app.run(loaded, handle_signals=False)


def cli(
    *args: str, input: bytes | None = None, cwd: Path | None = None, timeout: float = RUN_TIMEOUT_S
) -> subprocess.CompletedProcess[bytes]:
    """Run ``pipeflow ARGS`` to completion; stdout and stderr captured as bytes."""
    return subprocess.run(
        [PIPEFLOW, *args], input=input, cwd=cwd, capture_output=True, timeout=timeout, check=False
    )


def no_traceback(stderr: bytes) -> None:
    """Assert that a process printed no Python traceback."""
    text = stderr.decode("utf-8", "replace")
    assert "Traceback" not in text, text
    assert "internal error" not in text, text


@contextmanager
def started(
    *args: str, cwd: Path | None = None, stdin: int | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``pipeflow ARGS`` in the background; it is killed if the test leaves it running."""
    proc = subprocess.Popen(
        [PIPEFLOW, *args],
        cwd=cwd,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=RUN_TIMEOUT_S)


def terminate(proc: subprocess.Popen[bytes], timeout: float = RUN_TIMEOUT_S) -> tuple[int, bytes, bytes]:
    """Send SIGTERM and wait for the process: ``(exit code, stdout, stderr)``."""
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def free_port(proto: Proto = "tcp") -> int:
    """A port nobody listens on at this moment (bound to 0 and released)."""
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int, proto: Proto) -> bool:
    """Whether a socket is bound to ``port`` (TCP: in LISTEN state), from ``/proc/net``."""
    for table in (f"/proc/net/{proto}", f"/proc/net/{proto}6"):
        if not os.path.exists(table):
            continue
        with open(table, encoding="ascii") as fh:
            next(fh)
            for row in fh:
                cols = row.split()
                local, state = cols[1], cols[3]
                if int(local.rsplit(":", 1)[1], 16) == port and (proto == "udp" or state == "0A"):
                    return True
    return False


def wait_until(
    check: Callable[[], bool],
    what: str,
    *,
    proc: subprocess.Popen[bytes] | None = None,
    timeout: float = 10.0,
) -> None:
    """Poll ``check`` until true; fail with ``what`` after ``timeout`` or if ``proc`` ended."""
    deadline = time.monotonic() + timeout
    while not check():
        if proc is not None and proc.poll() is not None:
            _, err = proc.communicate(timeout=RUN_TIMEOUT_S)
            raise AssertionError(f"pipeflow exited ({proc.returncode}) before {what}: {err.decode()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def wait_listening(proc: subprocess.Popen[bytes], port: int, proto: Proto) -> None:
    """Wait until the process listens on ``port``."""
    wait_until(lambda: _listening(port, proto), f"{proto} port {port}", proc=proc)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that stores the NDJSON it is POSTed (after ``delay_s``)."""

    delay_s: float = 0.0
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""


@contextmanager
def receiver(delay_s: float = 0.0) -> Iterator[Receiver]:
    """Serve a ``Receiver`` in a thread for the duration of the block."""
    state = Receiver(delay_s)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            time.sleep(state.delay_s)
            with state.lock:
                state.requests.append(dict(self.headers.items()))
                state.events.extend(json.loads(line) for line in body.splitlines() if line.strip())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read what was stored."""

    with serving(Handler, join_timeout_s=RUN_TIMEOUT_S) as port:
        state.url = f"http://127.0.0.1:{port}/ingest"
        yield state


__all__ = [
    "PIPEFLOW",
    "RUN_TIMEOUT_S",
    "Proto",
    "Receiver",
    "cli",
    "count_lines",
    "dead_letter_rows",
    "free_port",
    "no_traceback",
    "read_ndjson",
    "receiver",
    "run_in_process",
    "started",
    "terminate",
    "wait_listening",
    "wait_until",
    "write_config",
    "write_ndjson",
]
