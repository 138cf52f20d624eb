"""Decoded export requests into event fields: log records and spans (metrics: ``read_metrics.py``).

What cannot become an event (a span without a valid trace or span id) is ``Rejected`` with the
reason, its raw input the record in OTLP's JSON; the export answer counts it in
``partial_success``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import final

from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from pipeflow.domain.json import JsonObject
from pipeflow.domain.otlp.records import Origin, log_fields, scope_object, span_event, span_fields, span_link
from pipeflow.domain.ports import Rejected
from pipeflow.infrastructure.otlp.anyvalue import attributes_object, json_value

__all__ = ["Decoded", "origin_of", "read_logs", "read_traces", "rejected"]


@final
@dataclass(slots=True)
class Decoded:
    """The event fields of a request's records, in order, and the records that were refused."""

    records: list[JsonObject] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def origin_of(resource: Resource, scope: InstrumentationScope) -> Origin:
    """The resource's attributes and the scope's ``{name, version}``."""
    return Origin(attributes_object(resource.attributes), scope_object(scope.name, scope.version))


def rejected(message: Message, reason: str) -> Rejected:
    """A refused record: its OTLP JSON as the raw input, and why."""
    return Rejected(json_format.MessageToJson(message, indent=None).encode(), reason)


def read_logs(request: ExportLogsServiceRequest) -> Decoded:
    """Every log record of the request as event fields."""
    out = Decoded()
    append = out.records.append
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            origin = origin_of(resource_logs.resource, scope_logs.scope)
            for r in scope_logs.log_records:
                append(
                    log_fields(
                        origin,
                        time_unix_nano=r.time_unix_nano,
                        observed_time_unix_nano=r.observed_time_unix_nano,
                        severity_text=r.severity_text,
                        severity_number=r.severity_number,
                        body=json_value(r.body),
                        attributes=attributes_object(r.attributes),
                        trace_id=r.trace_id,
                        span_id=r.span_id,
                    )
                )
    return out


def read_traces(request: ExportTraceServiceRequest) -> Decoded:
    """Every span of the request as event fields; a span with a malformed id is rejected."""
    out = Decoded()
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            origin = origin_of(resource_spans.resource, scope_spans.scope)
            for s in scope_spans.spans:
                if len(s.trace_id) != 16 or len(s.span_id) != 8 or len(s.parent_span_id) not in (0, 8):
                    reason = "a span needs a 16-byte trace_id and an 8-byte span_id (parent: 8 or none)"
                    out.rejected.append(rejected(s, reason))
                    continue
                events = [
                    span_event(e.name, e.time_unix_nano, attributes_object(e.attributes)) for e in s.events
                ]
                links = [
                    span_link(k.trace_id, k.span_id, k.trace_state, attributes_object(k.attributes))
                    for k in s.links
                ]
                out.records.append(
                    span_fields(
                        origin,
                        name=s.name,
                        trace_id=s.trace_id,
                        span_id=s.span_id,
                        parent_span_id=s.parent_span_id,
                        trace_state=s.trace_state,
                        kind=s.kind,
                        start_unix_nano=s.start_time_unix_nano,
                        end_unix_nano=s.end_time_unix_nano,
                        attributes=attributes_object(s.attributes),
                        status_code=s.status.code,
                        status_message=s.status.message,
                        events=list(events),
                        links=list(links),
                    )
                )
    return out
