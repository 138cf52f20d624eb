"""The ``s3`` sink against moto's S3 server: one whole gzip NDJSON object per write, named by the
clock's strftime prefix and a ULID; multipart for large bodies, aborted when a part fails; errors
told apart (retryable or not) with S3's own words."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.s3 import S3Sink
from tests.fakes import FakeClock
from tests.scaleout.s3_support import CREDENTIALS, client, new_bucket, read_objects

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ULID = "[0-9A-HJKMNP-TV-Z]{26}"
JUNE_2024 = 1_717_243_200.0  # 2024-06-01T12:00:00Z


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def s3(s3_url: str) -> Iterator[S3Client]:
    """A client of the moto server."""
    c = client(s3_url)
    yield c
    c.close()


def _sink(url: str, bucket: str, **options: Any) -> S3Sink:
    return S3Sink("s3", bucket, clock=FakeClock(JUNE_2024), endpoint_url=url, region="us-east-1", **options)


async def test_a_write_is_one_whole_gzip_object_named_by_the_clock_and_a_ulid(
    s3_url: str, s3: S3Client
) -> None:
    bucket = new_bucket(s3)
    sink = _sink(s3_url, bucket)
    await sink.open()
    await sink.write_encoded(b'{"n":1}\n{"n":2}\n')
    await sink.write([Event(EventId("E"), EventMeta("s", 0.0), {"n": 3, "s": "é"})])
    await sink.close()
    objects = read_objects(s3, bucket)
    assert [o.events for o in objects] == [[{"n": 1}, {"n": 2}], [{"n": 3, "s": "é"}]]
    assert all(re.fullmatch(f"logs/2024/06/01/{ULID}\\.ndjson\\.gz", o.key) for o in objects)
    assert {o.content_encoding for o in objects} == {"gzip"}


async def test_without_compression_objects_are_plain_ndjson(s3_url: str, s3: S3Client) -> None:
    bucket = new_bucket(s3)
    sink = _sink(s3_url, bucket, compression="none", key_prefix="app/%H/")
    await sink.open()
    await sink.write_encoded(b'{"n":1}\n')
    await sink.close()
    [stored] = read_objects(s3, bucket)
    assert re.fullmatch(f"app/12/{ULID}\\.ndjson", stored.key)
    assert stored.stored_bytes == len(b'{"n":1}\n')


def _incompressible(count: int) -> bytes:
    return b"".join(b'{"r":"%s"}\n' % os.urandom(96).hex().encode() for _ in range(count))


async def test_a_large_body_goes_up_in_parts_as_one_object(s3_url: str, s3: S3Client) -> None:
    bucket = new_bucket(s3)
    data = _incompressible(60_000)  # about 12 MB of hex: over 5 MiB once gzipped
    sink = _sink(s3_url, bucket, part_bytes=5 << 20)
    await sink.open()
    await sink.write_encoded(data)
    await sink.close()
    [stored] = read_objects(s3, bucket)
    assert stored.stored_bytes > 5 << 20
    assert stored.ndjson == data


async def test_a_failed_part_aborts_the_upload_and_the_retry_stores_one_object(
    s3_url: str, s3: S3Client
) -> None:
    bucket = new_bucket(s3)
    flaky = client(s3_url)
    parts = 0

    def second_part_fails(**_: Any) -> None:
        nonlocal parts
        parts += 1
        if parts == 2:
            raise ConnectionResetError("connection reset by peer")

    flaky.meta.events.register("before-call.s3.UploadPart", second_part_fails)
    sink = _sink(s3_url, bucket, part_bytes=5 << 20, client=flaky)
    await sink.open()
    data = _incompressible(60_000)
    with pytest.raises(SinkError) as failed:
        await sink.write_encoded(data)
    assert failed.value.retryable is True
    assert read_objects(s3, bucket) == []
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []  # aborted
    await sink.write_encoded(data)  # the actor's retry: the very same bytes
    [stored] = read_objects(s3, bucket)
    assert stored.ndjson == data
    assert stored.key in str(failed.value)  # the retry reused the key of the failed try
    await sink.close()


async def test_a_missing_bucket_is_permanent(s3_url: str) -> None:
    sink = _sink(s3_url, "no-such-bucket-here")
    with pytest.raises(SinkError) as failed:
        await sink.open()
    assert failed.value.retryable is False
    assert "404" in failed.value.reason


async def test_a_refused_put_carries_s3s_code_and_message(s3_url: str, s3: S3Client) -> None:
    bucket = new_bucket(s3)
    sink = _sink(s3_url, bucket)
    await sink.open()
    s3.delete_bucket(Bucket=bucket)  # gone between open and write
    with pytest.raises(SinkError) as failed:
        await sink.write_encoded(b'{"n":1}\n')
    await sink.close()
    assert failed.value.retryable is False
    assert "NoSuchBucket" in failed.value.reason


async def test_an_endpoint_that_does_not_answer_is_retryable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = _sink(f"http://127.0.0.1:{port}", "bucket", timeout_s=2)
    with pytest.raises(SinkError) as failed:
        await sink.open()
    assert failed.value.retryable is True


async def test_format_parquet_writes_one_parquet_object_a_write(s3_url: str, s3: S3Client) -> None:
    import io

    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    bucket = new_bucket(s3)
    sink = _sink(s3_url, bucket, format="parquet")
    await sink.open()
    await sink.write_encoded(b'{"n":1,"s":"\xc3\xa9"}\n{"n":2,"tags":["a"]}\n')
    await sink.close()
    (item,) = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert re.fullmatch(f"logs/2024/06/01/{ULID}\\.parquet", item["Key"])
    answer = s3.get_object(Bucket=bucket, Key=item["Key"])
    assert answer["ContentType"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(answer["Body"].read()))
    assert table.to_pylist() == [{"n": 1, "s": "é", "tags": None}, {"n": 2, "s": None, "tags": '["a"]'}]
