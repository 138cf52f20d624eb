"""A byte flipped in a disk buffer's segment while pipeflow is stopped: the real process skips the
damaged record and counts it (``buffer_skipped`` in the summary), every other event arrives once,
and the run ends (no hang, no traceback).

The first run has its HTTP receiver down, so its deliveries stay in the buffer; it is stopped with
two SIGINTs (the backlog stays on disk). A byte inside a record in the middle of the segment is
flipped; the second run has the receiver up.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import orjson

from pipeflow.domain.record_framing import HEADER_BYTES, header_length
from tests.delivery.helpers import (
    PIPEFLOW,
    counting_receiver,
    dead_letter_rows,
    free_port,
    http_behind_disk_buffer,
    segment_bytes,
    start,
    wait_until,
    write_numbered,
)

EVENTS = 20_000


def _records(data: bytes) -> list[tuple[int, bytes]]:
    """The (offset, payload) of each framed record in a segment's bytes (all whole here)."""
    out: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(data):
        length = header_length(data[offset : offset + HEADER_BYTES])
        assert isinstance(length, int), length
        out.append((offset, data[offset + HEADER_BYTES : offset + HEADER_BYTES + length]))
        offset += HEADER_BYTES + length
    return out


def _numbers(payload: bytes) -> list[int]:
    """The ``n`` of each event of a buffered delivery (NDJSON lines or ``[id, at, fields]`` rows)."""
    numbers = []
    for line in payload.split(b"\n")[1:]:
        if line:
            row = orjson.loads(line)
            numbers.append(int((row[2] if isinstance(row, list) else row)["n"]))
    return numbers


def test_a_flipped_byte_in_a_segment_is_skipped_counted_and_the_rest_arrives(tmp_path: Path) -> None:
    port = free_port()
    write_numbered(tmp_path / "in.ndjson", EVENTS)
    config = http_behind_disk_buffer(
        tmp_path,
        port,
        buffer="{type: disk, max_bytes: 67108864}",
        retry="{attempts: 2, backoff_ms: 50, max_backoff_ms: 500}",
    )
    buffers = tmp_path / "state" / "buffers" / "web"
    first = start(config)
    wait_until(lambda: segment_bytes(buffers) > 0, "records in the disk buffer")
    sizes = [-1, segment_bytes(buffers)]
    while sizes[-1] != sizes[-2]:  # the whole input buffered (and its checkpoint saved meanwhile)
        time.sleep(1.0)
        sizes.append(segment_bytes(buffers))
    first.send_signal(signal.SIGINT)
    time.sleep(0.3)
    first.send_signal(signal.SIGINT)  # the second stops at once, the backlog stays on disk
    first.communicate(timeout=20)

    segments = sorted(f for f in buffers.glob("*.seg") if f.stat().st_size)
    assert segments, "the backlog stayed on disk"
    data = bytearray(segments[0].read_bytes())
    records = _records(bytes(data))
    buffered = [n for _, payload in records for n in _numbers(payload)]
    assert sorted(buffered) == list(range(EVENTS))  # all in one segment (8 MiB of a 64 MiB buffer)
    assert len(records) >= 3, "the input makes several records"
    offset, payload = records[len(records) // 2]
    lost = set(_numbers(payload))
    data[offset + HEADER_BYTES + len(payload) // 2] ^= 0x20  # inside the record's payload
    segments[0].write_bytes(bytes(data))

    with counting_receiver(port) as received:
        second = subprocess.run(
            [PIPEFLOW, "run", str(config), "--summary-file", str(tmp_path / "summary.json")],
            capture_output=True,
            timeout=60,
            check=False,
        )
    assert second.returncode == 0, second.stderr.decode()
    assert b"Traceback" not in second.stderr
    summary = orjson.loads((tmp_path / "summary.json").read_bytes())
    assert summary["buffer_skipped"] == {"web": 1}
    assert summary["buffered_bytes"] == {"web": 0}
    assert received == Counter(n for n in range(EVENTS) if n not in lost)  # each other event once
    assert dead_letter_rows(tmp_path / "state") == []
    assert segment_bytes(buffers) == 0
    print(f"\ncorrupted disk buffer: {len(lost)} events of 1 damaged record skipped, summary {summary}")
