"""Records into one export request per signal, grouped under their resource and scope, in order."""

from __future__ import annotations

from collections.abc import Iterable
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


def logs_request(placed: Iterable[Placed[LogRecord]]) -> ExportLogsServiceRequest:
    """One export request of these log records."""
    request = ExportLogsServiceRequest()
    groups: dict[bytes, RepeatedCompositeFieldContainer[LogRecord]] = {}
    for resource, scope, record in placed:
        key = _key(resource, scope)
        if key not in groups:
            target = request.resource_logs.add()
            scoped = target.scope_logs.add()
            _fill_origin(target.resource, scoped.scope, resource, scope)
            groups[key] = scoped.log_records
        groups[key].append(record)
    return request


def metrics_request(placed: Iterable[Placed[Metric]]) -> ExportMetricsServiceRequest:
    """One export request of these metrics."""
    request = ExportMetricsServiceRequest()
    groups: dict[bytes, RepeatedCompositeFieldContainer[Metric]] = {}
    for resource, scope, metric in placed:
        key = _key(resource, scope)
        if key not in groups:
            target = request.resource_metrics.add()
            scoped = target.scope_metrics.add()
            _fill_origin(target.resource, scoped.scope, resource, scope)
            groups[key] = scoped.metrics
        groups[key].append(metric)
    return request


def traces_request(placed: Iterable[Placed[Span]]) -> ExportTraceServiceRequest:
    """One export request of these spans."""
    request = ExportTraceServiceRequest()
    groups: dict[bytes, RepeatedCompositeFieldContainer[Span]] = {}
    for resource, scope, made in placed:
        key = _key(resource, scope)
        if key not in groups:
            target = request.resource_spans.add()
            scoped = target.scope_spans.add()
            _fill_origin(target.resource, scoped.scope, resource, scope)
            groups[key] = scoped.spans
        groups[key].append(made)
    return request
