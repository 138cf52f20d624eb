"""Source configs: one model per ``type``, and their discriminated union."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import Field, field_validator, model_validator

from pipeflow.domain.multiline import MultilineMode, MultilineRule, multiline_rule
from pipeflow.interfaces.config.base import ADDRESS, Format, Strict


class Multiline(Strict):
    """``multiline``: group lines into events (stack traces); one of ``start`` or ``continuation``."""

    start: str | None = Field(
        None, description="A regex: a line it matches begins a new event; any other joins the one before."
    )
    continuation: str | None = Field(
        None, description="A regex: a line it matches joins the event before; any other begins a new one."
    )
    timeout_ms: int = Field(
        1000, ge=1, description="A followed file's last event is complete after this long with no new line."
    )
    max_lines: int = Field(500, ge=1, description="An event is complete at this many lines.")

    @field_validator("start", "continuation")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None and isinstance(problem := multiline_rule("start", pattern), str):
            raise ValueError(problem)
        return pattern

    @model_validator(mode="after")
    def _one_pattern(self) -> Multiline:
        if (self.start is None) == (self.continuation is None):
            raise ValueError("multiline needs exactly one of 'start' or 'continuation'")
        return self

    def rule(self) -> MultilineRule:
        """The domain's grouping rule (the pattern compiles: validation checked it)."""
        mode: MultilineMode = "start" if self.start is not None else "continuation"
        rule = multiline_rule(mode, self.start or self.continuation or "", self.max_lines)
        if isinstance(rule, str):  # not after validation, which compiled the pattern
            raise ValueError(rule)
        return rule


class LineSource(Strict):
    """What the ``file`` and ``stdin`` sources share: ``multiline`` needs ``format: lines``."""

    @model_validator(mode="after")
    def _multiline_reads_lines(self) -> LineSource:
        if getattr(self, "multiline", None) is not None and getattr(self, "format", None) != "lines":
            raise ValueError("multiline needs format: lines")
        return self


class FileSource(LineSource):
    """``file``: read files (a glob is allowed), optionally following them."""

    type: Literal["file"] = Field(description="Selects this source.")
    path: str = Field(description="The file to read; a glob reads every match.")
    format: Format = Field(
        "ndjson",
        description='`ndjson`: a JSON object per line; `lines`: each line becomes `{"message": line}`.',
    )
    follow: bool = Field(
        False, description="Keep reading as files grow, survive rotation, resume from the checkpoint."
    )
    start_at: Literal["beginning", "end"] = Field(
        "beginning", description="Where a file without a checkpoint is read from."
    )
    max_line_bytes: int = Field(1 << 20, ge=1, description="Longer lines are dead-lettered (as `raw`).")
    multiline: Multiline | None = Field(
        None, description="Group lines into multiline events (`format: lines` only; not on the fast path)."
    )


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


SourceConfig: TypeAlias = Annotated[
    FileSource
    | StdinSource
    | HttpSource
    | SyslogSource
    | StatsdSource
    | NatsSource
    | KafkaSource
    | OtlpSource,
    Field(discriminator="type"),
]


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
