"""Two ``pipeflow run`` worker processes share one durable; one is SIGKILLed mid-batch; nothing is lost.

The sink is an HTTP receiver in this test. Once worker ``a`` has delivered some events, the receiver
holds ``a``'s requests unanswered: ``a`` is then, for certain, in the middle of a batch that no sink
has written, so NATS has not been acked (a small sink buffer keeps ``a`` from fetching much more:
backpressure). Worker ``b`` starts and shares the work; ``a`` is killed
with SIGKILL. JetStream redelivers what ``a`` held after ``ack_wait_s`` and ``b`` delivers it: every
event is answered by the receiver at least once. Duplicates (answered more than once) are counted
and printed; they can only come from batches written but not yet acked when ``a`` died.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.http_server import serving
from tests.scaleout.workers_support import (
    WAIT_S,
    new_topic,
    processes,
    publish,
    stop,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.scaleout

FIRST, SECOND = 600, 1400
"""Events published before ``a`` is held, and while both workers run."""


@dataclass
class Collector:
    """What the receiver answered (by event ``n``), per worker, and what it holds from the victim."""

    victim: str
    hold_after: int
    answered: Counter[int] = field(default_factory=Counter)
    by_worker: Counter[str] = field(default_factory=Counter)
    held: set[int] = field(default_factory=set)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def snapshot(self) -> tuple[Counter[int], Counter[str]]:
        """Copies of ``answered`` and ``by_worker``."""
        with self.lock:
            return Counter(self.answered), Counter(self.by_worker)


@contextmanager
def collector(victim: str, hold_after: int) -> Iterator[Collector]:
    """A threaded HTTP receiver on 127.0.0.1; see the module doc."""
    state = Collector(victim, hold_after)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            numbers = [int(json.loads(line)["n"]) for line in body.splitlines() if line.strip()]
            worker = self.headers.get("X-Worker", "")
            with state.lock:
                hold = worker == state.victim and state.by_worker[worker] >= state.hold_after
                if hold:
                    state.held.update(numbers)
                else:
                    state.answered.update(numbers)
                    state.by_worker[worker] += len(numbers)
            if hold:
                state.holding.set()
                state.release.wait(WAIT_S)  # the victim dies meanwhile; this answer goes nowhere
                self.send_response(503)
            else:
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    with serving(Handler, join_timeout_s=WAIT_S) as port:
        state.url = f"http://127.0.0.1:{port}/bulk"
        try:
            yield state
        finally:
            state.release.set()  # a held answer must not keep the server from shutting down


def test_a_worker_killed_mid_batch_loses_nothing(tmp_path: Path, nats_url: str) -> None:
    topic = new_topic(nats_url)
    total = FIRST + SECOND
    source = topic.source_yaml(ack_wait_s=1.5, batch_size=50)
    with collector("a", hold_after=100) as sink, processes() as start:

        def http_sink(worker: str) -> str:
            return (
                f'{{type: http, url: "{sink.url}", headers: {{X-Worker: {worker}}}, batch_size: 50, '
                "timeout_s: 60, retry: {attempts: 1}, buffer: {max_events: 100}}"
            )

        configs = {w: worker_config(tmp_path, w, source, http_sink(w)) for w in ("a", "b")}
        publish(topic, range(FIRST))
        a = start("run", str(configs["a"]), cwd=tmp_path)
        wait_for(sink.holding.is_set, "worker a to be mid-batch", a)
        b = start("run", str(configs["b"]), cwd=tmp_path)
        publish(topic, range(FIRST, total))
        wait_for(lambda: sink.snapshot()[1]["b"] > 0, "worker b to deliver", b)
        a.kill()
        a.communicate(timeout=WAIT_S)
        killed_at = time.monotonic()
        with sink.lock:
            held_at_kill, before_kill = set(sink.held), set(sink.answered)
        wait_for(lambda: len(sink.snapshot()[0]) == total, "every event to be delivered", b)
        recovered_s = time.monotonic() - killed_at
        code, err = stop(b)
    answered, by_worker = sink.snapshot()
    duplicates = sum(answered.values()) - total
    print(
        f"\nSIGKILL scenario: {total} events, worker a delivered {by_worker['a']} then held "
        f"{len(held_at_kill)} unacked when killed; worker b delivered {by_worker['b']}; "
        f"all {total} delivered {recovered_s:.1f}s after the kill; duplicates: {duplicates}"
    )
    assert code == 0, err
    assert "Traceback" not in err, err
    assert sorted(answered) == list(range(total))
    assert held_at_kill, "worker a was killed holding nothing"
    assert held_at_kill.isdisjoint(before_kill)  # while a lived (in progress), nobody else got them
    assert held_at_kill <= set(answered)  # after the kill, they were redelivered to b
