"""The config file's schema as pydantic models: sources, sinks, pipelines, routes, tests.

Sources and sinks are discriminated unions on ``type``. A function's own fields are validated
by the model its plugin registers (looked up by ``type``), so plugins need no change here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    """Base: unknown keys are errors (a typo must not be ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BufferConfig(Strict):
    """A sink's bounded buffer and what happens when it is full."""

    max_events: int = Field(10_000, ge=1)
    when_full: Literal["block", "drop_newest", "dead_letter"] = "block"


class RetryConfig(Strict):
    """Retries of a failed sink write: exponential backoff with jitter, then dead letter."""

    attempts: int = Field(5, ge=1)
    backoff_ms: int = Field(100, ge=0)
    max_backoff_ms: int = Field(10_000, ge=0)


Format: TypeAlias = Literal["ndjson", "lines"]


class FileSource(Strict):
    """``file``: read files (a glob is allowed), optionally following them."""

    type: Literal["file"]
    path: str
    format: Format = "ndjson"
    follow: bool = False
    start_at: Literal["beginning", "end"] = "beginning"
    max_line_bytes: int = Field(1 << 20, ge=1)


class StdinSource(Strict):
    """``stdin``: read standard input until EOF."""

    type: Literal["stdin"]
    format: Format = "ndjson"
    max_line_bytes: int = Field(1 << 20, ge=1)


class HttpSource(Strict):
    """``http``: an HTTP ingest endpoint (standalone under ``run``)."""

    type: Literal["http"]
    address: str = "127.0.0.1:8080"
    format: Format = "ndjson"


class SyslogSource(Strict):
    """``syslog``: RFC 5424 / RFC 3164 over UDP or TCP."""

    type: Literal["syslog"]
    address: str = "127.0.0.1:5514"
    protocol: Literal["udp", "tcp"] = "udp"


class StatsdSource(Strict):
    """``statsd``: statsd metric lines over UDP."""

    type: Literal["statsd"]
    address: str = "127.0.0.1:8125"


SourceConfig: TypeAlias = Annotated[
    FileSource | StdinSource | HttpSource | SyslogSource | StatsdSource, Field(discriminator="type")
]


class SinkBase(Strict):
    """Fields every sink takes."""

    buffer: BufferConfig = BufferConfig()
    retry: RetryConfig = RetryConfig()


class FileSink(SinkBase):
    """``file``: append NDJSON to a file."""

    type: Literal["file"]
    path: str
    format: Literal["ndjson"] = "ndjson"
    fsync: bool = True


class StdoutSink(SinkBase):
    """``stdout``: NDJSON on standard output."""

    type: Literal["stdout"]
    format: Literal["ndjson"] = "ndjson"


class HttpSink(SinkBase):
    """``http``: POST NDJSON batches."""

    type: Literal["http"]
    url: str
    headers: dict[str, str] = {}
    batch_size: int = Field(500, ge=1)
    timeout_s: float = Field(10.0, gt=0)


class SqliteSink(SinkBase):
    """``sqlite``: one row per event, keyed by its id."""

    type: Literal["sqlite"]
    path: str
    table: str = Field("events", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


SinkConfig: TypeAlias = Annotated[FileSink | StdoutSink | HttpSink | SqliteSink, Field(discriminator="type")]


class FunctionConfig(BaseModel):
    """One function: ``type``, the common ``filter``/``disabled``, and the plugin's own fields."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str
    filter: str | None = None
    disabled: bool = False

    def own_fields(self) -> dict[str, Any]:
        """The fields the plugin validates (everything but the common ones)."""
        return dict(self.model_extra or {})


class PipelineConfig(Strict):
    """A named pipeline: a description and its functions."""

    description: str = ""
    functions: list[FunctionConfig] = Field(min_length=1)


class RouteConfig(Strict):
    """A route: a filter, an optional pipeline, one sink or several."""

    name: str
    filter: str = "true"
    pipeline: str | None = None
    sink: str | None = None
    sinks: list[str] | None = None
    final: bool = True

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

    name: str
    input: dict[str, Any] | list[dict[str, Any]]
    expect: dict[str, list[dict[str, Any]]]


class Config(Strict):
    """The whole config file."""

    state_dir: str = ".pipeflow"
    sources: dict[str, SourceConfig] = Field(min_length=1)
    pipelines: dict[str, PipelineConfig] = {}
    sinks: dict[str, SinkConfig] = Field(min_length=1)
    routes: list[RouteConfig] = Field(min_length=1)
    dead_letter: SinkConfig | None = None
    tests: list[ConfigTestCase] = []


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
