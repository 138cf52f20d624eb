"""Sources and sinks by ``type``: the model a config's ``type`` names, imported when first named.

``SourceConfig`` and ``SinkConfig`` validate as pydantic's discriminated unions on ``type`` do,
with the same errors (``union_tag_not_found``, ``union_tag_invalid`` listing every type, the
variant's own errors), and have the same JSON schema. But a union builds every variant's model when
it is defined, ~15 ms of ``pipeflow run``'s start-up for a config that names one or two of them:
here a variant's module is imported, and its model built, the first time a config names its type
(the ``file`` source and sink, which most configs use, live in modules of their own). The JSON
schema, which lists them all, imports them all.

One difference: the location of a variant's error holds no tag (``sinks.out.path``, where the union
said ``sinks.out.file.path``), which is what the loader reported anyway.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Final, TypeAlias, final

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticKnownError, core_schema

_HERE = "pipeflow.interfaces.config"

SOURCE_TYPES: Final[Mapping[str, str]] = {
    "file": f"{_HERE}.file_source:FileSource",
    "stdin": f"{_HERE}.sources:StdinSource",
    "http": f"{_HERE}.sources:HttpSource",
    "syslog": f"{_HERE}.sources:SyslogSource",
    "statsd": f"{_HERE}.sources:StatsdSource",
    "nats": f"{_HERE}.sources:NatsSource",
    "kafka": f"{_HERE}.sources:KafkaSource",
    "otlp": f"{_HERE}.sources:OtlpSource",
}
"""Every source ``type`` and its model (``module:class``), in the order errors and docs list them."""

SINK_TYPES: Final[Mapping[str, str]] = {
    "file": f"{_HERE}.file_sink:FileSink",
    "stdout": f"{_HERE}.sinks:StdoutSink",
    "http": f"{_HERE}.sinks:HttpSink",
    "sqlite": f"{_HERE}.sinks:SqliteSink",
    "nats": f"{_HERE}.sinks:NatsSink",
    "kafka": f"{_HERE}.sinks:KafkaSink",
    "prometheus_remote_write": f"{_HERE}.sinks:PrometheusRemoteWriteSink",
    "prometheus_exporter": f"{_HERE}.sinks:PrometheusExporterSink",
    "postgres": f"{_HERE}.sinks:PostgresSink",
    "s3": f"{_HERE}.sinks:S3Sink",
    "elasticsearch": f"{_HERE}.sinks:ElasticsearchSink",
    "otlp": f"{_HERE}.sinks:OtlpSink",
}
"""Every sink ``type`` and its model (``module:class``), in the order errors and docs list them."""

_MISSING: Final = object()


@final
class Variants:
    """The pydantic annotation of ``SourceConfig`` and ``SinkConfig``: a model chosen by ``type``.

    >>> from pydantic import TypeAdapter, ValidationError
    >>> sinks = TypeAdapter(SinkConfig)
    >>> sinks.validate_python({"type": "file", "path": "out.ndjson"}).path
    'out.ndjson'
    >>> try:
    ...     sinks.validate_python({"type": "tape"})
    ... except ValidationError as exc:
    ...     print(exc.errors()[0]["msg"][:70])
    Input tag 'tape' found using 'type' does not match any of the expected
    """

    def __init__(self, types: Mapping[str, str]) -> None:
        self._types = types
        self._models: dict[str, type[BaseModel]] = {}
        self._expected = ", ".join(f"'{tag}'" for tag in types)

    def model(self, tag: str) -> type[BaseModel]:
        """The model of ``tag`` (its module imported the first time)."""
        found = self._models.get(tag)
        if found is None:
            module, _, name = self._types[tag].partition(":")
            found = self._models[tag] = getattr(importlib.import_module(module), name)
        return found

    def validate(self, value: Any) -> BaseModel:
        """``value`` validated by the model its ``type`` names (pydantic's errors, as a union's)."""
        if isinstance(value, dict):
            tag = value.get("type", _MISSING)
        elif isinstance(value, BaseModel):
            tag = getattr(value, "type", _MISSING)
        else:
            raise PydanticKnownError("model_attributes_type")
        if tag is _MISSING:
            raise PydanticKnownError("union_tag_not_found", {"discriminator": "'type'"})
        if not isinstance(tag, str) or tag not in self._types:
            context = {"discriminator": "'type'", "tag": str(tag), "expected_tags": self._expected}
            raise PydanticKnownError("union_tag_invalid", context)
        return self.model(tag).model_validate(value)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validation by ``validate``: no variant's model is needed to build it."""
        return core_schema.no_info_plain_validator_function(self.validate)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The schema of the discriminated union of every variant (importing them all)."""
        choices = {tag: self.model(tag).__pydantic_core_schema__ for tag in self._types}
        return handler(core_schema.tagged_union_schema(choices, discriminator="type"))


if TYPE_CHECKING:  # what mypy checks: the unions themselves
    from pipeflow.interfaces.config.file_sink import FileSink
    from pipeflow.interfaces.config.file_source import FileSource
    from pipeflow.interfaces.config.sinks import (
        ElasticsearchSink,
        HttpSink,
        KafkaSink,
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

    SourceConfig: TypeAlias = (
        FileSource
        | StdinSource
        | HttpSource
        | SyslogSource
        | StatsdSource
        | NatsSource
        | KafkaSource
        | OtlpSource
    )
    SinkConfig: TypeAlias = (
        FileSink
        | StdoutSink
        | HttpSink
        | SqliteSink
        | NatsSink
        | KafkaSink
        | PrometheusRemoteWriteSink
        | PrometheusExporterSink
        | PostgresSink
        | S3Sink
        | ElasticsearchSink
        | OtlpSink
    )
else:
    SourceConfig = Annotated[object, Variants(SOURCE_TYPES)]
    SinkConfig = Annotated[object, Variants(SINK_TYPES)]


__all__ = ["SINK_TYPES", "SOURCE_TYPES", "SinkConfig", "SourceConfig", "Variants"]
