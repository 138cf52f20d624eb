"""Records into one export request per signal, grouped under their resource and scope, in order."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import orjson
from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from pipeflow.domain.json import JsonObject
from pipeflow.infrastructure.otlp.anyvalue import fill_attributes
from pipeflow.infrastructure.otlp.fields import read_text

__all__ = ["Placed", "logs_request", "metrics_request", "traces_request"]

_R = TypeVar("_R", bound=Message)

Placed = tuple[JsonObject, JsonObject, _R]
"""A record with the resource attributes and the scope (``{name, version}``) it goes under."""


def _fill_origin(
    resource: Resource, scope: InstrumentationScope, attrs: JsonObject, named: JsonObject
) -> None:
    fill_attributes(resource.attributes, attrs)
    scope.name = read_text(named, "name")
    scope.version = read_text(named, "version")


def _key(resource: JsonObject, scope: JsonObject) -> bytes:
    return orjson.dumps([resource, scope], option=orjson.OPT_SORT_KEYS)


def _group(
    placed: Iterable[Placed[_R]],
    open_group: Callable[[], tuple[Resource, InstrumentationScope, RepeatedCompositeFieldContainer[_R]]],
) -> None:
    """Append each record to its (resource, scope) group, opening a group the first time one is seen."""
    groups: dict[bytes, RepeatedCompositeFieldContainer[_R]] = {}
    for resource, scope, record in placed:
        key = _key(resource, scope)
        records = groups.get(key)
        if records is None:
            target, target_scope, records = open_group()
            _fill_origin(target, target_scope, resource, scope)
            groups[key] = records
        records.append(record)


def logs_request(placed: Iterable[Placed[LogRecord]]) -> ExportLogsServiceRequest:
    """One export request of these log records."""
    request = ExportLogsServiceRequest()

    def open_group() -> tuple[Resource, InstrumentationScope, RepeatedCompositeFieldContainer[LogRecord]]:
        target = request.resource_logs.add()
        scoped = target.scope_logs.add()
        return target.resource, scoped.scope, scoped.log_records

    _group(placed, open_group)
    return request


def metrics_request(placed: Iterable[Placed[Metric]]) -> ExportMetricsServiceRequest:
    """One export request of these metrics."""
    request = ExportMetricsServiceRequest()

    def open_group() -> tuple[Resource, InstrumentationScope, RepeatedCompositeFieldContainer[Metric]]:
        target = request.resource_metrics.add()
        scoped = target.scope_metrics.add()
        return target.resource, scoped.scope, scoped.metrics

    _group(placed, open_group)
    return request


def traces_request(placed: Iterable[Placed[Span]]) -> ExportTraceServiceRequest:
    """One export request of these spans."""
    request = ExportTraceServiceRequest()

    def open_group() -> tuple[Resource, InstrumentationScope, RepeatedCompositeFieldContainer[Span]]:
        target = request.resource_spans.add()
        scoped = target.scope_spans.add()
        return target.resource, scoped.scope, scoped.spans

    _group(placed, open_group)
    return request
