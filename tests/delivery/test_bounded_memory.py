"""Bounded memory: a million events behind a sink that never answers keep the process's peak RSS
bounded, because every stage between the file and the sink is a bounded buffer (backpressure).

What may be held: the sink's buffer (``max_events``, 10 000 by default), the router's inbox (8
batches of 1 024 lines), the batch each stage has in hand and the file source's 1 MiB read chunk:
about 30 000 events of ~1 KiB of Python objects each, ~30 MiB over an interpreter of ~70 MiB. The
whole input held as events would take more than 1 GiB, so a 300 MiB bound separates the two.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from tests.delivery.helpers import start, wait_until, write_config

EVENTS = 1_000_000
BOUND_MIB = 300
SAMPLE_S = 2.0


class SilentServer:
    """Accepts connections and reads requests, and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.received = 0
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        while True:
            try:
                data = conn.recv(1 << 16)
            except OSError:
                return
            if not data:
                return
            self.received += len(data)

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.sock.close()
        for conn in self._conns:
            conn.close()
        self._thread.join(timeout=5)


def _peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


def _read_position(pid: int, path: Path) -> int:
    """How far the process has read ``path`` (its open handle's offset, from ``/proc``)."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink()
        except OSError:
            continue
        if target == path:
            for line in Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text().splitlines():
                if line.startswith("pos:"):
                    return int(line.split()[1])
    raise AssertionError(f"{path} is not open in process {pid}")


def test_blocked_sink_with_a_million_events_behind_it_keeps_rss_bounded(tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    with source.open("w", encoding="utf-8") as fh:
        fh.writelines(f'{{"n": {i}, "level": "info", "msg": "request {i} served"}}\n' for i in range(EVENTS))
    server = SilentServer()
    config = write_config(
        tmp_path,
        f"""
        state_dir: state
        sources:
          app: {{type: file, path: in.ndjson}}
        sinks:
          stuck:
            type: http
            url: "http://127.0.0.1:{server.port}/"
            timeout_s: 600
            retry: {{attempts: 1}}
        routes:
          - {{name: all, sink: stuck}}
        """,
    )
    proc = start(config)
    try:
        wait_until(lambda: server.received > 0, "the first request to the silent server")
        deadline = time.monotonic() + SAMPLE_S
        peak = 0.0
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1].decode()
            peak = max(peak, _peak_rss_mib(proc.pid))
            time.sleep(0.1)
        position = _read_position(proc.pid, source)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=1)
        except subprocess.TimeoutExpired:  # draining waits for the sink that never answers
            proc.kill()
            proc.communicate(timeout=10)
        server.close()
    size = source.stat().st_size
    print(
        f"\nbounded memory: {EVENTS} events behind a silent sink, peak RSS {peak:.1f} MiB;"
        f" read {position / size:.1%} of the input"
    )
    assert peak < BOUND_MIB
    assert position < size // 4, "the source kept reading past what the buffers hold"
