"""A Kafka consumer group member killed with ``kill -9`` while another runs: the other takes its
partitions over and nothing is lost (spec section 14: when a partition moves between members,
delivery is at least once, never less).

Two ``pipeflow run`` processes of one group read a topic of a real broker (Tansu) into files of
their own while a producer sends; one is killed once both have written; the other is given the dead
member's partitions when the group drops it (about 10 s) and resumes them at the broker's committed
offsets, not from their start. Every record must be in one of the two files; records the dead
member wrote after its last commit to the broker may be in both (counted).
"""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from pathlib import Path

import anyio
import pytest

from tests.delivery.helpers import numbers_so_far, start, wait_until, write_config
from tests.scaleout.test_kafka_exactly_once import PARTITIONS, _committed, _create, _written, producing

pytestmark = pytest.mark.scaleout

EVENTS = 3000
RATE = 250.0  # records a second: the kill comes while they flow


def _member(folder: Path, bootstrap: str, topic: str, group: str) -> Path:
    folder.mkdir()
    return write_config(
        folder,
        f"""
        state_dir: state
        sources:
          bus:
            type: kafka
            bootstrap_servers: "{bootstrap}"
            topic: {topic}
            group_id: {group}
            batch_size: 100
        sinks:
          out: {{type: file, path: out.ndjson}}
        routes:
          - {{name: all, sink: out}}
        """,
    )


def test_a_member_killed_mid_run_hands_its_partitions_over_and_nothing_is_lost(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    tag = uuid.uuid4().hex[:10]
    topic, group = f"ho-{tag}", f"ho-{tag}"
    anyio.run(_create, kafka_bootstrap, topic)
    configs = [_member(tmp_path / name, kafka_bootstrap, topic, group) for name in ("a", "b")]
    outs = [c.parent / "out.ndjson" for c in configs]
    procs: list[subprocess.Popen[bytes]] = []
    producer, failed = producing(kafka_bootstrap, topic, EVENTS, RATE)
    try:
        procs = [start(config) for config in configs]
        producer.start()
        # Both members hold partitions and have written some of them, and the first has committed
        # positions (so told the broker some) before it dies.
        wait_until(lambda: all(numbers_so_far(out) for out in outs), "both writing", timeout=90)
        wait_until(lambda: _committed(configs[0].parent / "state", topic) >= 200, "positions committed")
        time.sleep(0.5)
        procs[0].send_signal(signal.SIGKILL)
        procs[0].communicate(timeout=30)
        producer.join(timeout=120)
        assert not failed, f"the producer failed: {failed}"
        every = set(range(EVENTS))

        def covered() -> bool:
            return set(numbers_so_far(outs[0])) | set(numbers_so_far(outs[1])) >= every

        wait_until(covered, "every record written by one member or the other", timeout=120)
        procs[1].send_signal(signal.SIGTERM)
        _, err = procs[1].communicate(timeout=60)
        assert procs[1].returncode == 0, err.decode()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)
        producer.join(timeout=120)
    first, second = _written(outs[0]), _written(outs[1])
    assert set(first) | set(second) == set(range(EVENTS))
    # The survivor read every partition: its own, and the dead member's once they moved.
    assert {n % PARTITIONS for n in second if n not in first} == set(range(PARTITIONS))
    twice = sum((first + second).values()) - EVENTS
    # The survivor resumed the dead member's partitions at the broker's offsets, not from the start.
    assert twice < sum(first.values())
    print(f"\nkafka handover: {EVENTS} records, 0 lost, {twice} written twice (at least once)")
