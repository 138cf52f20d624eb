"""``pipeflow run`` into moto's S3 as a real process: objects cut by size and by age, every event
in exactly one whole object; after ``kill -9`` nothing is lost and no object is partial."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.delivery.helpers import PIPEFLOW, wait_until, write_config, write_numbered
from tests.scaleout.s3_support import client, env, new_bucket, read_objects

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LINES = 60_000


@pytest.fixture
def s3(s3_url: str) -> Iterator[S3Client]:
    """A client of the moto server."""
    c = client(s3_url)
    yield c
    c.close()


def _config(folder: Path, url: str, bucket: str, options: str, *, follow: bool = False) -> Path:
    return write_config(
        folder,
        f"""
        state_dir: state
        sources:
          app: {{type: file, path: in.ndjson, follow: {str(follow).lower()}}}
        sinks:
          lake: {{type: s3, bucket: {bucket}, endpoint_url: "{url}", region: us-east-1, {options}}}
        routes:
          - {{name: all, sink: lake}}
        """,
    )


def _start(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PIPEFLOW, "run", str(config)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, env=env(),
    )  # fmt: skip


def _counts(s3: S3Client, bucket: str) -> Counter[int]:
    return Counter(int(e["n"]) for o in read_objects(s3, bucket) for e in o.events)


def test_objects_are_cut_by_size_and_hold_every_event_once(tmp_path: Path, s3_url: str, s3: S3Client) -> None:
    bucket = new_bucket(s3)
    write_numbered(tmp_path / "in.ndjson", LINES)  # about 2.8 MB of NDJSON
    config = _config(tmp_path, s3_url, bucket, "max_bytes: 1000000, max_age_s: 300")
    done = subprocess.run(
        [PIPEFLOW, "run", str(config)], capture_output=True, timeout=120, env=env(), check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    objects = read_objects(s3, bucket)
    assert len(objects) >= 3
    assert all(len(o.ndjson) <= 1_000_000 for o in objects)
    assert all(o.key.startswith(time.strftime("logs/%Y/%m/", time.gmtime())) for o in objects)
    assert _counts(s3, bucket) == Counter(range(LINES))


def test_a_quiet_input_is_stored_after_max_age_while_pipeflow_runs(
    tmp_path: Path, s3_url: str, s3: S3Client
) -> None:
    bucket = new_bucket(s3)
    write_numbered(tmp_path / "in.ndjson", 100)
    proc = _start(_config(tmp_path, s3_url, bucket, "max_age_s: 0.5", follow=True))
    try:
        wait_until(lambda: sum(_counts(s3, bucket).values()) == 100, "the first object", timeout=30)
        with (tmp_path / "in.ndjson").open("a") as fh:
            fh.writelines(f'{{"n": {n}}}\n' for n in range(100, 150))
        wait_until(lambda: sum(_counts(s3, bucket).values()) == 150, "the second object", timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    assert len(read_objects(s3, bucket)) == 2
    assert _counts(s3, bucket) == Counter(range(150))


def test_kill9_loses_nothing_and_leaves_no_partial_object(tmp_path: Path, s3_url: str, s3: S3Client) -> None:
    bucket = new_bucket(s3)
    half = LINES // 2
    write_numbered(tmp_path / "in.ndjson", half)  # the second half comes after the kill
    options = "max_bytes: 400000, max_age_s: 300"
    proc = _start(_config(tmp_path, s3_url, bucket, options, follow=True))  # never ends by itself
    deadline = time.monotonic() + 60
    while not read_objects(s3, bucket):  # kill once an object is stored
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "no object arrived"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    at_kill = sum(_counts(s3, bucket).values())
    assert 0 < at_kill <= half
    with (tmp_path / "in.ndjson").open("a", encoding="utf-8") as fh:  # the rest of the input
        fh.writelines(f'{{"n": {i}, "msg": "event number {i:08d}"}}\n' for i in range(half, LINES))
    config = _config(tmp_path, s3_url, bucket, options)
    done = subprocess.run(
        [PIPEFLOW, "run", str(config)], capture_output=True, timeout=120, env=env(), check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    counts = _counts(s3, bucket)  # read_objects also fails on any torn object
    assert set(counts) == set(range(LINES)), f"lost: {LINES - len(counts)}"
    print(f"\ns3 kill -9: {at_kill} events stored at the kill, {sum(counts.values()) - LINES} stored twice")


def test_a_run_into_parquet_objects_holds_every_event_once(tmp_path: Path, s3_url: str, s3: S3Client) -> None:
    import io

    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    bucket = new_bucket(s3)
    write_numbered(tmp_path / "in.ndjson", 20_000)
    config = _config(tmp_path, s3_url, bucket, "format: parquet, max_bytes: 500000, max_age_s: 300")
    done = subprocess.run(
        [PIPEFLOW, "run", str(config)], capture_output=True, timeout=120, env=env(), check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) >= 2
    assert all(key.endswith(".parquet") for key in keys)
    numbers: Counter[int] = Counter()
    for key in keys:
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        assert str(table.schema.field("n").type) == "int64"
        numbers.update(table.column("n").to_pylist())
    assert numbers == Counter(range(20_000))
