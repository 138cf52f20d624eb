"""Exactly once from Kafka into a file across ``kill -9`` (spec section 14): a real ``pipeflow run``
reads a topic of a real broker (Tansu) into a file sink while a producer sends into it, is killed
with SIGKILL at seeded random moments while it writes, and is restarted; at the end every record is
in the file exactly once (at least once, as before, the first restart wrote about 2,100 of 6,000
records twice).

The partitions' positions are committed with the file's length in one SQLite transaction and a
restart seeks there; the broker's committed offsets only follow. A restart after a kill waits about
20 s for the group to drop the dead member. ``PIPEFLOW_KAFKA_EO_EVENTS`` and
``PIPEFLOW_KAFKA_EO_KILLS`` raise the counts (CI: 6,000 records, 1 kill; the full run:
``PIPEFLOW_KAFKA_EO_EVENTS=20000 PIPEFLOW_KAFKA_EO_KILLS=3``).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from collections import Counter
from functools import partial
from pathlib import Path

import anyio
import pytest
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # type: ignore[import-untyped]

from tests.delivery.helpers import ndjson_lines, numbers_so_far, start, wait_until, write_config

pytestmark = pytest.mark.scaleout

EVENTS = int(os.environ.get("PIPEFLOW_KAFKA_EO_EVENTS", "6000"))
KILLS = int(os.environ.get("PIPEFLOW_KAFKA_EO_KILLS", "1"))
RATE = 400.0  # records a second: the kills come while they flow
PARTITIONS = 3
SEED = 17


async def _create(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    finally:
        await admin.close()


async def _produce(bootstrap: str, topic: str, count: int, per_second: float) -> None:
    """Send ``count`` records ``{"n": i}`` round the partitions, ``per_second`` of them a second."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        began = anyio.current_time()
        sent = []
        for i in range(count):
            value = b'{"n": %d, "pad": "%s"}' % (i, b"x" * 40)
            sent.append(await producer.send(topic, value, partition=i % PARTITIONS))
            if i % 50 == 49:
                await anyio.sleep(max(0.0, began + (i + 1) / per_second - anyio.current_time()))
        for future in sent:
            await future
    finally:
        await producer.stop()


def producing(
    bootstrap: str, topic: str, count: int, per_second: float
) -> tuple[threading.Thread, list[BaseException]]:
    """A thread (not started) that sends ``count`` records (``_produce``), and where its failure goes."""
    failed: list[BaseException] = []

    def produce() -> None:
        try:
            anyio.run(_produce, bootstrap, topic, count, per_second)
        except BaseException as exc:  # noqa: BLE001 - reported by the test that started it
            failed.append(exc)

    return threading.Thread(target=produce), failed


def _written(path: Path) -> Counter[int]:
    rows, torn = ndjson_lines(path)
    assert torn == 0, "a torn line was left in the file"
    return Counter(int(row["n"]) for row in rows)


def _committed(state: Path, topic: str) -> int:
    """The positions committed for the topic's partitions, added up (0 before there are any)."""
    if not (state / "state.db").exists():
        return 0
    try:
        with sqlite3.connect(state / "state.db") as db:
            sql = 'SELECT "offset" FROM checkpoints WHERE path LIKE ?'
            return sum(int(offset) for (offset,) in db.execute(sql, (f"kafka:{topic}:%",)))
    except sqlite3.OperationalError:  # the tables are not made yet
        return 0


def _moved(state: Path, topic: str, target: int) -> bool:
    return _committed(state, topic) >= target


def test_kill9_during_a_kafka_run_into_a_file_then_a_restart_writes_each_record_once(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    tag = uuid.uuid4().hex[:10]
    topic = f"eo-{tag}"
    anyio.run(_create, kafka_bootstrap, topic)
    out = tmp_path / "out.ndjson"
    config = write_config(
        tmp_path,
        f"""
        state_dir: state
        sources:
          bus:
            type: kafka
            bootstrap_servers: "{kafka_bootstrap}"
            topic: {topic}
            group_id: eo-{tag}
            batch_size: 100
        sinks:
          out: {{type: file, path: out.ndjson}}
        routes:
          - {{name: all, sink: out}}
        """,
    )
    producer, failed = producing(kafka_bootstrap, topic, EVENTS, RATE)
    producer.start()
    rng = random.Random(SEED)
    proc: subprocess.Popen[bytes] | None = None
    try:
        for _ in range(KILLS):
            target = _committed(tmp_path / "state", topic) + rng.randrange(50, 500)
            proc = start(config)
            # Killed a moment after this process committed positions past the last run's: records
            # written since and not committed, the broker's offsets behind the committed ones.
            wait_until(partial(_moved, tmp_path / "state", topic, target), "positions committed", timeout=90)
            time.sleep(rng.uniform(0.0, 0.4))
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
        producer.join(timeout=120)
        assert not failed, f"the producer failed: {failed}"
        proc = start(config)
        wait_until(lambda: sum(numbers_so_far(out).values()) >= EVENTS, "every record written", timeout=90)
        # Every position committed with the file: nothing is left to read again.
        wait_until(partial(_moved, tmp_path / "state", topic, EVENTS), "every position committed")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
        producer.join(timeout=120)
    written = _written(out)
    assert sum(written.values()) == EVENTS, f"{sum(written.values()) - EVENTS} records too many"
    assert written == Counter(range(EVENTS)), "a record is missing or written twice"
