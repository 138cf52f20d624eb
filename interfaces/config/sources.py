"""Source configs: one model per ``type`` (``file`` and its ``multiline`` in ``file_source.py``).

A config is validated against the model its ``type`` names (``variants.py``): this module is
imported when a config names one of these sources, or for the whole schema (the reference docs).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeflow.interfaces.config.base import ADDRESS, Format, Strict
from pipeflow.interfaces.config.file_source import FileSource, LineSource, Multiline
from pipeflow.interfaces.config.variants import SourceConfig


class StdinSource(LineSource):
    """``stdin``: read standard input until EOF."""

    type: Literal["stdin"] = Field(description="Selects this source.")
    format: Format = Field("ndjson", description="`ndjson` or `lines`, as for `file`.")
    max_line_bytes: int = Field(1 << 20, ge=1, description="Longer lines are dead-lettered (as `raw`).")
    multiline: Multiline | None = Field(
        None, description="Group lines into multiline events (`format: lines` only; not on the fast path)."
    )


class HttpSource(Strict):
    """``http``: an HTTP ingest endpoint (standalone under ``run``)."""

    type: Literal["http"] = Field(description="Selects this source.")
    address: str = Field(
        "127.0.0.1:8080",
        pattern=ADDRESS,
        description="`host:port` to listen on under `run` (`serve` feeds it from `POST /ingest`).",
    )
    format: Format = Field("ndjson", description="`ndjson` or `lines`, as for `file`.")


class SyslogSource(Strict):
    """``syslog``: RFC 5424 / RFC 3164 over UDP or TCP."""

    type: Literal["syslog"] = Field(description="Selects this source.")
    address: str = Field("127.0.0.1:5514", pattern=ADDRESS, description="`host:port` to listen on.")
    protocol: Literal["udp", "tcp"] = Field("udp", description="Transport to listen on.")


class StatsdSource(Strict):
    """``statsd``: statsd metric lines over UDP."""

    type: Literal["statsd"] = Field(description="Selects this source.")
    address: str = Field("127.0.0.1:8125", pattern=ADDRESS, description="`host:port` to listen on (UDP).")


class OtlpSource(Strict):
    """``otlp``: OpenTelemetry over HTTP (OTLP/HTTP): logs, metrics and traces, protobuf or JSON."""

    type: Literal["otlp"] = Field(description="Selects this source.")
    address: str = Field(
        "127.0.0.1:4318",
        pattern=ADDRESS,
        description="`host:port` serving `/v1/logs`, `/v1/metrics`, `/v1/traces` under `run` "
        "(`serve` serves them at `/otlp/{source}/v1/...`).",
    )


class NatsSource(Strict):
    """``nats``: a JetStream pull consumer; workers with the same ``durable`` share the work."""

    type: Literal["nats"] = Field(description="Selects this source.")
    url: str = Field("nats://127.0.0.1:4222", description="The NATS server URL.")
    stream: str = Field(description="The JetStream stream (created if missing).")
    subject: str = Field(description="The subject to consume.")
    durable: str = Field(description="The durable consumer name; workers sharing it share the messages.")
    ack_wait_s: float = Field(
        30.0, gt=0, description="Seconds before an unacknowledged message is redelivered."
    )
    format: Format = Field("ndjson", description="How each message's lines become events.")
    batch_size: int = Field(512, ge=1, description="Messages fetched per batch.")


class KafkaSource(Strict):
    """``kafka``: a consumer-group member; workers with the same ``group_id`` share the partitions."""

    type: Literal["kafka"] = Field(description="Selects this source.")
    bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Comma-separated `host:port` of the brokers to bootstrap from."
    )
    topic: str = Field(description="The topic to consume.")
    group_id: str = Field(description="The consumer group; workers sharing it share the partitions.")
    format: Format = Field("ndjson", description="How each record's lines become events.")
    batch_size: int = Field(512, ge=1, description="Records fetched per batch.")


__all__ = [
    "FileSource",
    "HttpSource",
    "KafkaSource",
    "LineSource",
    "Multiline",
    "NatsSource",
    "OtlpSource",
    "SourceConfig",
    "StatsdSource",
    "StdinSource",
    "SyslogSource",
]
