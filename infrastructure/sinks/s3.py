"""``S3Sink``: each write becomes one whole object (gzip NDJSON, or Parquet), named by a strftime
prefix and a ULID.

The sink actor gathers deliveries for this sink (``actors/gather.py``: up to ``max_bytes`` of
NDJSON or ``max_age_s``), so one ``write`` is one object, and its events are acknowledged only
once ``write`` returned, that is once S3 stored the whole object. boto3 is imported when the sink
opens (the ``s3`` extra) and its blocking calls run in a worker thread.
"""

from __future__ import annotations

import importlib.util
import time
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, final

import anyio

from pipeflow.domain.events import Event
from pipeflow.domain.ports import Clock, IdFactory
from pipeflow.infrastructure.ids import UlidFactory
from pipeflow.infrastructure.sinks.encode import encode_ndjson
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.s3_upload import MIN_PART_BYTES, ObjectSpec, describe_error, store_object

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["Compression", "ObjectFormat", "S3Sink", "object_key"]

Compression = Literal["gzip", "none"]
ObjectFormat = Literal["ndjson", "parquet"]


def object_key(
    prefix: str, at: float, ulid: str, compression: Compression, format: ObjectFormat = "ndjson"
) -> str:
    """The key of an object cut at ``at`` (epoch seconds): ``prefix`` through strftime (UTC), a ULID.

    >>> object_key("logs/%Y/%m/%d/", 0.0, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "gzip")
    'logs/1970/01/01/01ARZ3NDEKTSV4RRFFQ69G5FAV.ndjson.gz'
    >>> object_key("p/", 0.0, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "gzip", "parquet")
    'p/01ARZ3NDEKTSV4RRFFQ69G5FAV.parquet'
    """
    suffixes = {"gzip": ".ndjson.gz", "none": ".ndjson"}
    suffix = ".parquet" if format == "parquet" else suffixes[compression]  # Parquet: compressed inside
    return time.strftime(prefix, time.gmtime(at)) + ulid + suffix


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip member, as gzip(1) reads it
    return packer.compress(data) + packer.flush()


@final
class S3Sink:
    """Stores each write as one object in ``bucket``: NDJSON, gzip-compressed unless ``none``, or
    with ``format="parquet"`` one Parquet file (``sinks.parquet``; ``compression`` inside it).

    Bodies over ``part_bytes`` go up as a multipart upload (aborted when any part fails). A write
    that failed and is tried again with the very same bytes (the actor's retry) reuses its key,
    so an upload whose answer was lost is overwritten rather than stored twice. Credentials come
    from boto3's usual chain (environment, profile, instance role).
    """

    def __init__(
        self,
        name: str,
        bucket: str,
        *,
        clock: Clock,
        key_prefix: str = "logs/%Y/%m/%d/",
        endpoint_url: str | None = None,
        region: str | None = None,
        compression: Compression = "gzip",
        format: ObjectFormat = "ndjson",
        ids: IdFactory | None = None,
        part_bytes: int = 8 << 20,
        timeout_s: float = 30.0,
        client: S3Client | None = None,
    ) -> None:
        if part_bytes < MIN_PART_BYTES:
            raise ValueError(f"part_bytes must be at least {MIN_PART_BYTES} (S3's smallest part)")
        self.name = name
        self._bucket = bucket
        self._prefix = key_prefix
        self._endpoint_url = endpoint_url
        self._region = region
        self._compression: Compression = compression
        self._format: ObjectFormat = format
        self._clock = clock
        self._ids: IdFactory = ids if ids is not None else UlidFactory()
        self._part_bytes = part_bytes
        self._timeout_s = timeout_s
        self._client = client
        self._failed: tuple[bytes, ObjectSpec, bytes] | None = None  # data, where it went, its body

    async def open(self) -> None:
        """Make the S3 client and check that the bucket can be reached.

        :raises SinkError: when boto3 is missing, or the bucket cannot be reached (S3's reason).
        """
        if self._client is None:
            try:
                self._client = await anyio.to_thread.run_sync(self._make_client)
            except ImportError as exc:
                reason = f"the s3 sink needs boto3: pip install 'pipeflow[s3]' ({exc})"
                raise SinkError(self.name, reason, retryable=False) from exc
        if self._format == "parquet" and importlib.util.find_spec("pyarrow") is None:
            reason = "format: parquet needs pyarrow: pip install 'pipeflow[parquet]'"
            raise SinkError(self.name, reason, retryable=False)
        client = self._client
        try:
            await anyio.to_thread.run_sync(lambda: client.head_bucket(Bucket=self._bucket))
        except Exception as exc:
            reason, retryable = describe_error(exc)
            raise SinkError(self.name, f"bucket {self._bucket!r}: {reason}", retryable=retryable) from exc

    async def write(self, events: Sequence[Event]) -> None:
        """Store the events' fields as one object.

        :raises SinkError: when the object was not stored (nothing of it is visible).
        """
        if events:
            await self.write_encoded(encode_ndjson(events))

    async def write_encoded(self, data: bytes) -> None:
        """Store NDJSON ``data`` as one whole object, returning once S3 has it.

        :raises SinkError: when the object was not stored (nothing of it is visible).
        :raises RuntimeError: when the sink is not open (a bug in the caller).
        """
        client = self._client
        if client is None:
            raise RuntimeError(f"s3 sink {self.name!r} written before open()")
        if not data:
            return
        if self._failed is not None and self._failed[0] is data:
            _, spec, body = self._failed
        else:
            spec = self._spec(self._clock.now())
            body = await self._body(data)
        self._failed = None
        try:
            await anyio.to_thread.run_sync(
                lambda: store_object(client, spec, body, part_bytes=self._part_bytes)
            )
        except Exception as exc:
            self._failed = (data, spec, body)
            reason, retryable = describe_error(exc)
            raise SinkError(self.name, f"{spec.key}: {reason}", retryable=retryable) from exc

    async def close(self) -> None:
        """Close the client's connections (every object was already stored)."""
        client, self._client = self._client, None
        self._failed = None
        if client is not None:
            client.close()

    async def _body(self, data: bytes) -> bytes:
        """The object's bytes for NDJSON ``data``."""
        if self._format == "parquet":
            from pipeflow.infrastructure.sinks.parquet import ndjson_to_parquet  # the parquet extra

            return await anyio.to_thread.run_sync(ndjson_to_parquet, data, self._compression)
        return await anyio.to_thread.run_sync(_gzip, data) if self._compression == "gzip" else data

    def _spec(self, at: float) -> ObjectSpec:
        key = object_key(self._prefix, at, self._ids.new_id(), self._compression, self._format)
        if self._format == "parquet":
            return ObjectSpec(self._bucket, key, "application/vnd.apache.parquet", None)
        encoding = "gzip" if self._compression == "gzip" else None
        return ObjectSpec(self._bucket, key, "application/x-ndjson", encoding)

    def _make_client(self) -> S3Client:
        import boto3  # the s3 extra: imported only by a run that has an s3 sink
        from botocore.config import Config

        config = Config(
            connect_timeout=self._timeout_s,
            read_timeout=self._timeout_s,
            retries={"total_max_attempts": 1},  # one try per write: the sink actor retries
            s3={"addressing_style": "path"} if self._endpoint_url else None,
        )
        session = boto3.session.Session()
        return session.client("s3", endpoint_url=self._endpoint_url, region_name=self._region, config=config)
