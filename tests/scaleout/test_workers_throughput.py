"""Throughput of 1 and 2 ``pipeflow run`` worker processes consuming the same stream through one durable.

The stream is filled first; each worker runs the same pipeline (one ``eval``) into its own file
sink. The time is taken from the first event written to the last, and printed with the split
between workers. Nothing is asserted about speed-up (on a 2-core machine the server, the workers
and this test share the cores); what is asserted is that every event is written exactly once and,
with 2 workers, that both took part.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.scaleout.workers_support import (
    count_lines,
    new_topic,
    processes,
    publish,
    read_numbers,
    stop,
    wait_for,
    worker_config,
)

pytestmark = pytest.mark.scaleout

EVENTS = 20_000


def _consume(folder: Path, nats_url: str, workers: int) -> tuple[float, list[int]]:
    """Fill a fresh stream, run ``workers`` processes until every event is written: (events/s, per worker)."""
    folder.mkdir()
    topic = new_topic(nats_url)
    publish(topic, range(EVENTS))
    source = topic.source_yaml(ack_wait_s=30, batch_size=512)
    names = [f"w{i}" for i in range(1, workers + 1)]
    outs = [folder / f"out-{w}.ndjson" for w in names]
    configs = [
        worker_config(folder, w, source, f"{{type: file, path: {out.name}}}")
        for w, out in zip(names, outs, strict=True)
    ]
    with processes() as start:
        procs = [start("run", str(config), cwd=folder) for config in configs]
        wait_for(lambda: any(count_lines(out) for out in outs), "the first event", *procs)
        begun = time.monotonic()
        wait_for(lambda: sum(count_lines(out) for out in outs) >= EVENTS, f"{EVENTS} events", *procs)
        elapsed = time.monotonic() - begun
        ended = [stop(proc) for proc in procs]
    for code, err in ended:
        assert code == 0, err
    written = [read_numbers(out) for out in outs]
    assert sorted(n for numbers in written for n in numbers) == list(range(EVENTS))
    return EVENTS / elapsed, [len(numbers) for numbers in written]


def test_one_and_two_workers_on_one_stream(tmp_path: Path, nats_url: str) -> None:
    one, _ = _consume(tmp_path / "one", nats_url, 1)
    two, split = _consume(tmp_path / "two", nats_url, 2)
    print(
        f"\nthroughput, {EVENTS} events from one stream: 1 worker {one:,.0f} events/s; "
        f"2 workers {two:,.0f} events/s (split {split[0]} / {split[1]}, x{two / one:.2f})"
    )
    assert min(split) > 0, split
