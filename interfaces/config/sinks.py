"""Sink configs: one model per ``type`` (``file`` and the blocks every sink takes in ``file_sink.py``).

A config is validated against the model its ``type`` names (``variants.py``): this module is
imported when a config names one of these sinks, or for the whole schema (the reference docs).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from pipeflow.domain.errors import ValidationError
from pipeflow.domain.filter import compile_expression
from pipeflow.domain.paths import parse_path
from pipeflow.interfaces.config.base import ADDRESS, Strict
from pipeflow.interfaces.config.file_sink import BufferConfig, FileSink, RetryConfig, SinkBase
from pipeflow.interfaces.config.variants import SinkConfig


class StdoutSink(SinkBase):
    """``stdout``: NDJSON on standard output."""

    type: Literal["stdout"] = Field(description="Selects this sink.")
    format: Literal["ndjson", "parquet"] = Field(
        "ndjson",
        description="`ndjson`: one JSON object per line; `parquet`: one Parquet file per object (columns "
        "typed from the values, objects and arrays as JSON text; `compression` inside the file; the "
        "`parquet` extra).",
    )


class HttpSink(SinkBase):
    """``http``: POST NDJSON batches."""

    type: Literal["http"] = Field(description="Selects this sink.")
    url: str = Field(description="Where NDJSON batches are POSTed.")
    headers: dict[str, str] = Field({}, description="Extra request headers.")
    batch_size: int = Field(500, ge=1, description="Most events in one request.")
    timeout_s: float = Field(
        10.0, gt=0, description="Seconds before a request counts as failed (and is retried)."
    )


class SqliteSink(SinkBase):
    """``sqlite``: one row per event, keyed by its id."""

    type: Literal["sqlite"] = Field(description="Selects this sink.")
    path: str = Field(description="The SQLite database file.")
    table: str = Field(
        "events",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="The table (created when missing); one row per event id.",
    )


class NatsSink(SinkBase):
    """``nats``: JetStream publish, one event per message, message id = event id (de-duplicated)."""

    type: Literal["nats"] = Field(description="Selects this sink.")
    url: str = Field("nats://127.0.0.1:4222", description="The NATS server URL.")
    subject: str = Field(description="The subject to publish to.")
    stream: str | None = Field(None, description="A stream to create for the subject if none exists.")
    timeout_s: float = Field(10.0, gt=0, description="Seconds to wait for the stream to confirm a batch.")


class KafkaSink(SinkBase):
    """``kafka``: one event per record (acks=all), the event id in the ``pipeflow-event-id`` header."""

    type: Literal["kafka"] = Field(description="Selects this sink.")
    bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Comma-separated `host:port` of the brokers to bootstrap from."
    )
    topic: str = Field(description="The topic to produce to.")
    key: str | None = Field(None, description="An expression over the event's fields giving the record key.")
    timeout_s: float = Field(10.0, gt=0, description="Seconds to wait for the broker to confirm a batch.")

    @field_validator("key")
    @classmethod
    def _key_compiles(cls, key: str | None) -> str | None:
        if key is not None and isinstance(compiled := compile_expression(key), ValidationError):
            raise ValueError(str(compiled))
        return key


class MetricFields(SinkBase):
    """Where the Prometheus sinks read a sample in an event: field paths."""

    name_field: str = Field("name", description="The metric name (a string; invalid characters become `_`).")
    value_field: str = Field("value", description="The sample's value (a number).")
    labels_field: str = Field(
        "tags",
        description="An object of labels (`attributes` for OTLP metrics); names made valid, values as text.",
    )

    @field_validator("name_field", "value_field", "labels_field")
    @classmethod
    def _is_path(cls, path: str) -> str:
        if parse_path(path) is None:
            raise ValueError(f"not a field path: {path!r}")
        return path


class PrometheusRemoteWriteSink(MetricFields):
    """``prometheus_remote_write``: each event one sample, sent as remote write (snappy protobuf)."""

    type: Literal["prometheus_remote_write"] = Field(description="Selects this sink.")
    url: str = Field(description="The receiver's endpoint, e.g. `http://127.0.0.1:9090/api/v1/write`.")
    timestamp_field: str | None = Field(
        None,
        description="The sample's time (ISO 8601 or epoch seconds); none or null: the time of sending.",
    )
    headers: dict[str, str] = Field({}, description="Extra request headers (e.g. `Authorization`).")
    batch_size: int = Field(500, ge=1, description="Most samples in one request.")
    timeout_s: float = Field(
        10.0, gt=0, description="Seconds before a request counts as failed (and is retried)."
    )

    @field_validator("timestamp_field")
    @classmethod
    def _time_is_path(cls, path: str | None) -> str | None:
        if path is not None and parse_path(path) is None:
            raise ValueError(f"not a field path: {path!r}")
        return path


class PrometheusExporterSink(MetricFields):
    """``prometheus_exporter``: `/metrics` for scraping: counters and gauges, one series per label set."""

    type: Literal["prometheus_exporter"] = Field(description="Selects this sink.")
    address: str = Field(
        "127.0.0.1:9598",
        pattern=ADDRESS,
        description="`host:port` serving `/metrics` (from the first event).",
    )
    expire_s: float = Field(
        300.0, gt=0, description="Seconds after its last update a series disappears from `/metrics`."
    )


class PostgresSink(SinkBase):
    """``postgres``: one row per event, keyed by its id; a batch is one transaction."""

    type: Literal["postgres"] = Field(description="Selects this sink.")
    url: str = Field(
        description="The server and database, `postgresql://user:password@host:5432/db` (libpq's URL form)."
    )
    table: str = Field(
        "events",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$",
        description="The table, `schema.table` allowed; created when missing as"
        " `(id text primary key, at timestamptz, event jsonb)`.",
    )


class S3Sink(SinkBase):
    """``s3``: whole NDJSON (gzip) or Parquet objects named by strftime prefix and ULID; acked once stored."""

    type: Literal["s3"] = Field(description="Selects this sink.")
    bucket: str = Field(min_length=3, description="The bucket the objects go to (it must exist).")
    key_prefix: str = Field(
        "logs/%Y/%m/%d/",
        description="Start of each object's key, through strftime at the time the object is cut (UTC).",
    )
    endpoint_url: str | None = Field(
        None, description="An S3-compatible endpoint (MinIO, moto...); none: AWS's own for `region`."
    )
    region: str | None = Field(None, description="The AWS region; none: boto3's default chain decides.")
    compression: Literal["gzip", "none"] = Field(
        "gzip", description="`gzip`: objects named `*.ndjson.gz`; `none`: plain `*.ndjson`."
    )
    max_bytes: int = Field(
        16 << 20,
        ge=1,
        description="An object is cut once it holds this many bytes of NDJSON (before compression).",
    )
    max_age_s: float = Field(
        60.0, gt=0, description="An object is cut at the latest this many seconds after its first event came."
    )
    format: Literal["ndjson", "parquet"] = Field(
        "ndjson",
        description="`ndjson`: one JSON object per line; `parquet`: one Parquet file per object (columns "
        "typed from the values, objects and arrays as JSON text; `compression` inside the file; the "
        "`parquet` extra).",
    )


class BasicAuth(Strict):
    """Basic authentication: a user and its password (Elasticsearch's or OpenSearch's own users)."""

    user: str = Field(min_length=1, description="The user name sent with every request.")
    password: str = Field(description="The user's password.")


class ApiKeyAuth(Strict):
    """An Elasticsearch API key, sent as `Authorization: ApiKey ...`."""

    api_key: str = Field(
        min_length=1,
        description="The key's `encoded` value, or `id:api_key` (then base64-encoded, as Logstash does).",
    )


class ElasticsearchSink(SinkBase):
    """``elasticsearch`` (OpenSearch too): ``_bulk`` ``create`` actions keyed by event id."""

    type: Literal["elasticsearch"] = Field(description="Selects this sink.")
    url: str = Field(description="The cluster's base URL, e.g. `https://es1:9200`; `/_bulk` is appended.")
    index: str = Field(
        "logs-%Y.%m.%d",
        min_length=1,
        description="The index, through strftime at the event's `@timestamp` or `timestamp` (UTC), else"
        " at the time of sending.",
    )
    auth: BasicAuth | ApiKeyAuth | None = Field(
        None, description="`{user, password}` for basic auth or `{api_key}`; none: no `Authorization`."
    )
    compression: Literal["gzip", "none"] = Field(
        "gzip", description="`gzip`: request bodies are gzip-compressed; `none`: sent as they are."
    )
    batch_size: int = Field(500, ge=1, description="Most documents in one `_bulk` request.")
    timeout_s: float = Field(
        10.0, gt=0, description="Seconds before a request counts as failed (and is retried)."
    )
    pipeline: str | None = Field(
        None, description="An ingest pipeline every document goes through (`?pipeline=` of `_bulk`)."
    )
    item_retries: int = Field(
        3,
        ge=0,
        le=10,
        description="Within a write, how many times documents answered 429 or 5xx are resent alone"
        " (after 0.1 s, 0.2 s, ...) before the write fails and the sink's `retry` takes over.",
    )


class OtlpSink(SinkBase):
    """``otlp``: OTLP/HTTP protobuf export requests of one signal (logs, metrics or traces)."""

    type: Literal["otlp"] = Field(description="Selects this sink.")
    url: str = Field(
        description="The receiver's base URL, e.g. `http://127.0.0.1:4318`; `/v1/<signal>` is appended."
    )
    signal: Literal["logs", "metrics", "traces"] = Field(
        "logs",
        description="What is sent: events the `otlp` source made go out as they came in; on `logs` "
        "any other event becomes a log record whose body is its fields, on `metrics`/`traces` it is "
        "dead-lettered.",
    )
    headers: dict[str, str] = Field({}, description="Extra request headers (e.g. `Authorization`).")
    batch_size: int = Field(512, ge=1, description="Most events in one export request.")
    timeout_s: float = Field(
        10.0, gt=0, description="Seconds before a request counts as failed (and is retried)."
    )


__all__ = [
    "ApiKeyAuth",
    "BasicAuth",
    "BufferConfig",
    "ElasticsearchSink",
    "FileSink",
    "HttpSink",
    "KafkaSink",
    "MetricFields",
    "NatsSink",
    "OtlpSink",
    "PostgresSink",
    "PrometheusExporterSink",
    "PrometheusRemoteWriteSink",
    "RetryConfig",
    "S3Sink",
    "SinkBase",
    "SinkConfig",
    "SqliteSink",
    "StdoutSink",
]
