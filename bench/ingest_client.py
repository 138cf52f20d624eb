"""The load generator of ``bench/serve_w1.py``: NDJSON bodies POSTed to ``/ingest/<source>`` of a ``serve``.

Runs as a process of its own (the benchmark measures the server's CPU, not this one's). It reads the
first ``-n`` lines of the input, cuts them into bodies of ``--lines`` lines (body ``k`` holds lines
``k*L .. (k+1)*L - 1``), opens ``--connections`` keep-alive connections (one ``httpx.Client`` per
thread, each opened with a ``GET /health`` before the clock starts), then prints ``ready`` and waits
for a line on stdin. On that line every thread takes the next body from a shared counter and POSTs
it, again and again: a ``429`` (or ``503``) is resent after its ``Retry-After``, a ``202`` is
counted (with the ``accepted`` and ``dead_lettered`` of its answer), anything else stops the run.
A connection sends its next body only after the previous one's ``202``, so the bodies of one
connection are accepted in the order it sent them; which bodies each connection sent, in order,
is part of the report.

The report is one JSON line on stdout: ``bodies``, ``ok`` (202s), ``accepted``, ``dead_lettered``,
``retries`` (429s), ``seconds`` (from the start line to the last 202), ``client_cpu_s`` (this
process, same span), ``order`` (body indices per connection) and ``errors`` (empty when all went
well). The connections are closed once stdin gives another line (or ends), after the benchmark
has read the server's CPU. Exit 0 when every body got its 202, 1 otherwise.

Usage: ``python bench/ingest_client.py --url URL --token T --source web --input FILE -n N``
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def bodies(path: Path, n: int, lines: int) -> list[bytes]:
    """The first ``n`` lines of ``path`` as NDJSON bodies of ``lines`` lines each (the last may be short)."""
    with path.open("rb") as fh:
        rows = [line if line.endswith(b"\n") else line + b"\n" for _, line in zip(range(n), fh, strict=False)]
    return [b"".join(rows[i : i + lines]) for i in range(0, len(rows), lines)]


@dataclass
class Tally:
    """What the connections did, shared between their threads (under ``lock``)."""

    next_body: int = 0
    ok: int = 0
    accepted: int = 0
    dead_lettered: int = 0
    retries: int = 0
    last_202: float = 0.0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, count: int) -> int | None:
        """The next body to send, or None when all are taken or the run failed."""
        with self.lock:
            if self.errors or self.next_body >= count:
                return None
            self.next_body += 1
            return self.next_body - 1


Counted = Callable[[httpx.Response, int], tuple[int, int]]
"""What an answer to body ``k`` says: events accepted and dead-lettered."""


def ingest_counts(answer: httpx.Response, k: int) -> tuple[int, int]:
    """``/ingest``'s 202 body: ``{"accepted": a, "dead_lettered": d}``."""
    counts = answer.json()
    return int(counts["accepted"]), int(counts["dead_lettered"])


def connection(
    client: httpx.Client,
    path: str,
    payloads: list[bytes],
    tally: Tally,
    sent: list[int],
    go: threading.Event,
    expect: int = 202,
    counted: Counted = ingest_counts,
) -> None:
    """One keep-alive connection: POST the next body until none is left (429: wait, resend).

    ``expect`` is the status of success (``/ingest``: 202, OTLP: 200); ``counted`` reads its answer.
    """
    go.wait()
    while (k := tally.take(len(payloads))) is not None:
        sent.append(k)
        while True:
            try:
                answer = client.post(path, content=payloads[k])
            except httpx.HTTPError as exc:
                with tally.lock:
                    tally.errors.append(f"body {k}: {type(exc).__name__}: {exc}")
                return
            if answer.status_code in (429, 503):  # backpressure: resend after ``Retry-After``
                with tally.lock:
                    tally.retries += 1
                time.sleep(float(answer.headers.get("retry-after", "1")))
                continue
            if answer.status_code != expect:
                with tally.lock:
                    tally.errors.append(f"body {k}: {answer.status_code} {answer.text[:200]}")
                return
            accepted, dead = counted(answer, k)
            with tally.lock:
                tally.ok += 1
                tally.accepted += accepted
                tally.dead_lettered += dead
                tally.last_202 = time.perf_counter()
            break


def cpu_s() -> float:
    """User + system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    """Prepare the bodies and connections, wait for the start line, send, print the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--url", required=True, help="base URL of the server, e.g. http://127.0.0.1:3000")
    ap.add_argument("--token", required=True, help="the bearer token")
    ap.add_argument("--source", default="web", help="the http source to ingest into")
    ap.add_argument("--input", type=Path, required=True, help="NDJSON input")
    ap.add_argument("-n", type=int, required=True, help="lines of the input to send")
    ap.add_argument("--lines", type=int, default=1000, help="lines per body (default 1,000)")
    ap.add_argument("--connections", type=int, default=4, help="keep-alive connections (default 4)")
    args = ap.parse_args(argv)
    payloads = bodies(args.input, args.n, args.lines)
    path = f"/ingest/{args.source}"
    return drive(args.url, args.token, path, "application/x-ndjson", payloads, args.connections)


def drive(
    url: str,
    token: str,
    path: str,
    content_type: str,
    payloads: list[bytes],
    connections: int,
    expect: int = 202,
    counted: Counted = ingest_counts,
) -> int:
    """Open the connections, print ``ready``, send every payload on the start line, print the report.

    Exit code 0 when every body got its ``expect`` status (also what the OTLP load generator,
    ``bench/otlp_client.py``, runs).
    """
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    clients = [
        httpx.Client(base_url=url, headers=headers, timeout=120.0, trust_env=False)
        for _ in range(connections)
    ]
    for client in clients:  # opens each keep-alive connection before the clock starts
        client.get("/health").raise_for_status()
    tally, go = Tally(), threading.Event()
    order: list[list[int]] = [[] for _ in clients]
    threads = [
        threading.Thread(
            target=connection, args=(c, path, payloads, tally, sent, go, expect, counted), daemon=True
        )
        for c, sent in zip(clients, order, strict=True)
    ]
    for thread in threads:
        thread.start()
    print("ready", flush=True)
    if not sys.stdin.readline():
        return 1  # the benchmark went away
    cpu0, start = cpu_s(), time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    cpu1 = cpu_s()
    if tally.ok < len(payloads) and not tally.errors:
        tally.errors.append(f"{len(payloads) - tally.ok} bodies got no 202")
    report = {
        "bodies": len(payloads),
        "ok": tally.ok,
        "accepted": tally.accepted,
        "dead_lettered": tally.dead_lettered,
        "retries": tally.retries,
        "seconds": max(tally.last_202 - start, 0.0),
        "client_cpu_s": cpu1 - cpu0,
        "order": order,
        "errors": tally.errors,
    }
    print(json.dumps(report), flush=True)
    sys.stdin.readline()  # the connections stay open until the server's CPU is read
    for client in clients:
        client.close()
    return 0 if not tally.errors else 1


if __name__ == "__main__":
    sys.exit(main())
