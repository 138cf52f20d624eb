"""The config file's schema as pydantic models: sources, sinks, pipelines, routes, tests.

Sources and sinks are chosen by ``type`` (``variants.py``): the ``file`` source and sink
(``file_source.py``, ``file_sink.py``) are imported with this module, the others (``sources.py``,
``sinks.py``) when a config names one or a name of theirs is read from here (PEP 562). A
function's own fields are validated by the model its plugin registers (looked up by ``type``), so
plugins need no change here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeflow.interfaces.config.base import Format, Strict
from pipeflow.interfaces.config.file_sink import BufferConfig, FileSink, RetryConfig, SinkBase
from pipeflow.interfaces.config.file_source import FileSource
from pipeflow.interfaces.config.variants import SinkConfig, SourceConfig

if TYPE_CHECKING:  # at run time read from their modules on first use (``__getattr__``)
    from pipeflow.interfaces.config.sinks import (
        ApiKeyAuth,
        BasicAuth,
        ElasticsearchSink,
        HttpSink,
        KafkaSink,
        MetricFields,
        NatsSink,
        OtlpSink,
        PostgresSink,
        PrometheusExporterSink,
        PrometheusRemoteWriteSink,
        S3Sink,
        SqliteSink,
        StdoutSink,
    )
    from pipeflow.interfaces.config.sources import (
        HttpSource,
        KafkaSource,
        NatsSource,
        OtlpSource,
        StatsdSource,
        StdinSource,
        SyslogSource,
    )

_LATER: dict[str, str] = {
    **dict.fromkeys(
        (
            "ApiKeyAuth",
            "BasicAuth",
            "ElasticsearchSink",
            "HttpSink",
            "KafkaSink",
            "MetricFields",
            "NatsSink",
            "OtlpSink",
            "PostgresSink",
            "PrometheusExporterSink",
            "PrometheusRemoteWriteSink",
            "S3Sink",
            "SqliteSink",
            "StdoutSink",
        ),
        "pipeflow.interfaces.config.sinks",
    ),
    **dict.fromkeys(
        (
            "HttpSource",
            "KafkaSource",
            "NatsSource",
            "OtlpSource",
            "StatsdSource",
            "StdinSource",
            "SyslogSource",
        ),
        "pipeflow.interfaces.config.sources",
    ),
}


def __getattr__(name: str) -> object:
    """A source or sink model this module does not import itself, from its module (PEP 562)."""
    home = _LATER.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


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
    "ApiKeyAuth",
    "BasicAuth",
    "BufferConfig",
    "Config",
    "ConfigTestCase",
    "ElasticsearchSink",
    "FileSink",
    "FileSource",
    "Format",
    "FunctionConfig",
    "HttpSink",
    "HttpSource",
    "KafkaSink",
    "KafkaSource",
    "MetricFields",
    "NatsSink",
    "NatsSource",
    "OtlpSink",
    "OtlpSource",
    "PipelineConfig",
    "PostgresSink",
    "PrometheusExporterSink",
    "PrometheusRemoteWriteSink",
    "RetryConfig",
    "RouteConfig",
    "S3Sink",
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
