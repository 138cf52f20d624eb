"""Helpers of the delivery tests: configs and inputs in a folder, the real ``pipeflow`` process."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PIPEFLOW = str(Path(sys.executable).parent / "pipeflow")
"""The console script installed next to the interpreter running the tests."""


def write_config(folder: Path, text: str) -> Path:
    """Write a config (dedented) as ``folder/pipeflow.yaml``."""
    path = folder / "pipeflow.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def http_behind_disk_buffer(folder: Path, port: int, *, buffer: str, retry: str) -> Path:
    """A config: ``in.ndjson`` into an HTTP sink ``web`` on 127.0.0.1:``port`` with a disk buffer
    (``buffer`` and ``retry`` are the sink's YAML flow mappings)."""
    return write_config(
        folder,
        f"""
        state_dir: state
        sources:
          app: {{type: file, path: in.ndjson}}
        sinks:
          web:
            type: http
            url: http://127.0.0.1:{port}/
            timeout_s: 2
            buffer: {buffer}
            retry: {retry}
        routes:
          - {{name: all, sink: web}}
        """,
    )


def write_numbered(path: Path, count: int, *, start: int = 0) -> None:
    """``count`` NDJSON lines ``{"n": i, ...}`` with a little padding, so batches have some weight."""
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(f'{{"n": {i}, "msg": "event number {i:08d}"}}\n' for i in range(start, start + count))


def numbers_so_far(path: Path) -> Counter[int]:
    """The ``n`` of each whole line of an NDJSON file a process may be writing right now (its last
    line may be half written: it is left out, not counted as torn)."""
    if not path.exists():
        return Counter()
    data = path.read_bytes()
    whole = data[: data.rfind(b"\n") + 1]
    return Counter(int(json.loads(line)["n"]) for line in whole.splitlines() if line.strip())


def ndjson_lines(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The JSON objects of an NDJSON file and how many lines were not JSON (torn by a crash)."""
    if not path.exists():
        return [], 0
    rows: list[dict[str, Any]] = []
    torn = 0
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError:
            torn += 1
    return rows, torn


def dead_letter_rows(state_dir: Path) -> list[dict[str, Any]]:
    """The records of the ``dead_letters`` table of a state database, oldest first."""
    with sqlite3.connect(state_dir / "state.db") as db:
        rows = db.execute("SELECT record FROM dead_letters ORDER BY seq").fetchall()
    return [json.loads(record) for (record,) in rows]


def start(config: Path, *args: str, stdout: int | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """Start ``pipeflow run CONFIG ARGS`` in the background (stderr captured)."""
    return subprocess.Popen(
        [PIPEFLOW, "run", str(config), *args],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )


def wait_until(check: Callable[[], bool], what: str, *, timeout: float = 20.0) -> None:
    """Poll ``check`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


__all__ = [
    "PIPEFLOW",
    "dead_letter_rows",
    "ndjson_lines",
    "start",
    "wait_until",
    "write_config",
    "write_numbered",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def segment_bytes(folder: Path) -> int:
    """The bytes in a disk buffer's segments (0 when the folder is not there yet)."""
    return sum(f.stat().st_size for f in folder.glob("*.seg")) if folder.exists() else 0


@contextmanager
def counting_receiver(port: int) -> Iterator[Counter[int]]:
    """A real HTTP receiver on ``port`` that answers 200 and counts the ``n`` of each NDJSON line posted."""
    received: Counter[int] = Counter()
    lock = threading.Lock()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                received.update(int(json.loads(line)["n"]) for line in body.splitlines() if line)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
