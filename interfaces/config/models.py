"""The config file's schema as pydantic models: sources, sinks, pipelines, routes, tests.

Sources and sinks are discriminated unions on ``type``. A function's own fields are validated
by the model its plugin registers (looked up by ``type``), so plugins need no change here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.errors import ValidationError
from domain.filter import compile_expression


class Strict(BaseModel):
    """Base: unknown keys are errors (a typo must not be ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BufferConfig(Strict):
    """A sink's bounded buffer and what happens when it is full."""

    max_events: int = Field(10_000, ge=1, description="Events the buffer holds before `when_full` applies.")
    when_full: Literal["block", "drop_newest", "dead_letter"] = Field(
        "block",
        description="What a full buffer does: `block` (backpressure), `drop_newest` or `dead_letter`.",
    )


class RetryConfig(Strict):
    """Retries of a failed sink write: exponential backoff with jitter, then dead letter."""

    attempts: int = Field(
        5, ge=1, description="Write attempts before the events are dead-lettered (1: no retry)."
    )
    backoff_ms: int = Field(
        100, ge=0, description="Delay before the first retry; it doubles on each attempt, with jitter."
    )
    max_backoff_ms: int = Field(10_000, ge=0, description="Upper bound of the delay between retries.")


Format: TypeAlias = Literal["ndjson", "lines"]


_ADDRESS = r"^(\[[0-9A-Fa-f:.]+\]|[^:\s\[\]]*):\d{1,5}$"  # host:port, [v6]:port or :port


class FileSource(Strict):
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


class StdinSource(Strict):
    """``stdin``: read standard input until EOF."""

    type: Literal["stdin"] = Field(description="Selects this source.")
    format: Format = Field("ndjson", description="`ndjson` or `lines`, as for `file`.")
    max_line_bytes: int = Field(1 << 20, ge=1, description="Longer lines are dead-lettered (as `raw`).")


class HttpSource(Strict):
    """``http``: an HTTP ingest endpoint (standalone under ``run``)."""

    type: Literal["http"] = Field(description="Selects this source.")
    address: str = Field(
        "127.0.0.1:8080",
        pattern=_ADDRESS,
        description="`host:port` to listen on under `run` (`serve` feeds it from `POST /ingest`).",
    )
    format: Format = Field("ndjson", description="`ndjson` or `lines`, as for `file`.")


class SyslogSource(Strict):
    """``syslog``: RFC 5424 / RFC 3164 over UDP or TCP."""

    type: Literal["syslog"] = Field(description="Selects this source.")
    address: str = Field("127.0.0.1:5514", pattern=_ADDRESS, description="`host:port` to listen on.")
    protocol: Literal["udp", "tcp"] = Field("udp", description="Transport to listen on.")


class StatsdSource(Strict):
    """``statsd``: statsd metric lines over UDP."""

    type: Literal["statsd"] = Field(description="Selects this source.")
    address: str = Field("127.0.0.1:8125", pattern=_ADDRESS, description="`host:port` to listen on (UDP).")


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
    FileSource | StdinSource | HttpSource | SyslogSource | StatsdSource | NatsSource | KafkaSource,
    Field(discriminator="type"),
]


class SinkBase(Strict):
    """Fields every sink takes."""

    buffer: BufferConfig = Field(BufferConfig(), description="The sink's own bounded buffer.")
    retry: RetryConfig = Field(RetryConfig(), description="Retries of a failed write.")


class FileSink(SinkBase):
    """``file``: append NDJSON to a file."""

    type: Literal["file"] = Field(description="Selects this sink.")
    path: str = Field(description="The file to append to (never truncated).")
    format: Literal["ndjson"] = Field("ndjson", description="One JSON object per line.")
    fsync: bool = Field(True, description="fsync each batch before its events are acknowledged.")


class StdoutSink(SinkBase):
    """``stdout``: NDJSON on standard output."""

    type: Literal["stdout"] = Field(description="Selects this sink.")
    format: Literal["ndjson"] = Field("ndjson", description="One JSON object per line.")


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


SinkConfig: TypeAlias = Annotated[
    FileSink | StdoutSink | HttpSink | SqliteSink | NatsSink | KafkaSink, Field(discriminator="type")
]


class FunctionConfig(BaseModel):
    """One function: ``type``, the common ``filter``/``disabled``, and the plugin's own fields."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(
        description="The function: a built-in one or an installed plugin (`pipeflow plugins` lists them)."
    )
    filter: str | None = Field(
        None, description="An expression: the function sees only events for which it is true; others pass."
    )
    disabled: bool = Field(False, description="Skip this function, keeping it in the config.")

    def own_fields(self) -> dict[str, Any]:
        """The fields the plugin validates (everything but the common ones)."""
        return dict(self.model_extra or {})


class PipelineConfig(Strict):
    """A named pipeline: a description and its functions."""

    description: str = Field("", description="What the pipeline is for.")
    functions: list[FunctionConfig] = Field(min_length=1, description="The functions, applied in order.")


class RouteConfig(Strict):
    """A route: a filter, an optional pipeline, one sink or several."""

    name: str = Field(description="The route's name (in `explain`, metrics and dead letters).")
    filter: str = Field("true", description="The expression an event must match to take this route.")
    pipeline: str | None = Field(None, description="The pipeline the events go through (none: unchanged).")
    sink: str | None = Field(None, description="The sink the events go to (or `sinks`).")
    sinks: list[str] | None = Field(None, description="Several sinks, each getting the events.")
    final: bool = Field(
        True, description="Stop here; `false` takes a copy and the event goes on to the next routes."
    )

    @model_validator(mode="after")
    def _one_kind_of_sink(self) -> RouteConfig:
        if (self.sink is None) == (self.sinks is None):
            raise ValueError("a route needs exactly one of 'sink' or 'sinks'")
        if self.sinks is not None and not self.sinks:
            raise ValueError("'sinks' must name at least one sink")
        return self

    def sink_names(self) -> list[str]:
        """The sinks this route sends to."""
        return [self.sink] if self.sink is not None else list(self.sinks or [])


class ConfigTestCase(Strict):
    """A config test: input events and what each sink must receive."""

    name: str = Field(description="Printed on the case's pass/fail line.")
    input: dict[str, Any] | list[dict[str, Any]] = Field(
        description="One event, or a list of events, fed to the routes."
    )
    expect: dict[str, list[dict[str, Any]]] = Field(
        description="For each sink, exactly the events it must receive (`[]`: none)."
    )


class Config(Strict):
    """The whole config file."""

    state_dir: str = Field(
        ".pipeflow", description="Folder of the SQLite state: checkpoints, dead letters, stored versions."
    )
    sources: dict[str, SourceConfig] = Field(min_length=1, description="Where events come from, by name.")
    pipelines: dict[str, PipelineConfig] = Field({}, description="Named lists of functions.")
    sinks: dict[str, SinkConfig] = Field(min_length=1, description="Where events go, by name.")
    routes: list[RouteConfig] = Field(
        min_length=1, description="Checked in order; the first match takes the event."
    )
    dead_letter: SinkConfig | None = Field(
        None, description="Where dead letters go (default: a table in the state database)."
    )
    tests: list[ConfigTestCase] = Field([], description="Cases run by `pipeflow test`.")


__all__ = [
    "BufferConfig",
    "Config",
    "ConfigTestCase",
    "FileSink",
    "FileSource",
    "Format",
    "FunctionConfig",
    "HttpSink",
    "HttpSource",
    "KafkaSink",
    "KafkaSource",
    "NatsSink",
    "NatsSource",
    "PipelineConfig",
    "RetryConfig",
    "RouteConfig",
    "SinkBase",
    "SinkConfig",
    "SourceConfig",
    "SqliteSink",
    "StatsdSource",
    "StdinSource",
    "StdoutSink",
    "Strict",
    "SyslogSource",
]
