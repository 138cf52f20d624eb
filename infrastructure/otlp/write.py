"""Events into OTLP records, for the ``otlp`` sink: log records and spans (metrics: ``write_metrics.py``).

An event the ``otlp`` source made goes out as it came in; its fields the mapping does not know
(added on the way) become attributes. Any other event becomes a log record whose body is the
event's fields (observed at the time pipeflow received it).
"""

from __future__ import annotations

from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from pipeflow.domain.events import Event
from pipeflow.domain.json import JsonObject
from pipeflow.domain.otlp.records import Origin, log_fields, span_fields
from pipeflow.domain.otlp.values import SPAN_KINDS, STATUS_CODES
from pipeflow.infrastructure.otlp.anyvalue import fill_attributes, fill_value
from pipeflow.infrastructure.otlp.fields import (
    NotOtlp,
    read_enum,
    read_id,
    read_int,
    read_object,
    read_text,
    read_time,
)

__all__ = ["extra_attributes", "log_record", "origin", "span"]

_NOWHERE = Origin({}, {})
_LOG_KEYS = frozenset(
    log_fields(
        _NOWHERE,
        time_unix_nano=0,
        observed_time_unix_nano=0,
        severity_text="",
        severity_number=0,
        body=None,
        attributes={},
        trace_id=b"",
        span_id=b"",
    )
)
_SPAN_KEYS = frozenset(
    span_fields(
        _NOWHERE,
        name="",
        trace_id=b"",
        span_id=b"",
        parent_span_id=b"",
        trace_state="",
        kind=0,
        start_unix_nano=0,
        end_unix_nano=0,
        attributes={},
        status_code=0,
        status_message="",
        events=[],
        links=[],
    )
)


def origin(fields: JsonObject) -> tuple[JsonObject, JsonObject]:
    """The resource attributes and the scope an OTLP event names."""
    return read_object(fields, "resource"), read_object(fields, "scope")


def extra_attributes(fields: JsonObject, known: frozenset[str]) -> JsonObject:
    """The ``attributes`` object, with the fields the mapping does not know added to it."""
    attributes = read_object(fields, "attributes")
    extra = {k: v for k, v in fields.items() if k not in known}
    return {**attributes, **extra} if extra else attributes


def _otlp_log(fields: JsonObject) -> LogRecord:
    record = LogRecord(
        time_unix_nano=read_time(fields, "timestamp"),
        observed_time_unix_nano=read_time(fields, "observed_timestamp"),
        severity_text=read_text(fields, "severity_text"),
        severity_number=read_int(fields, "severity_number"),  # type: ignore[arg-type]  # an open enum
        trace_id=read_id(fields, "trace_id", 16),
        span_id=read_id(fields, "span_id", 8),
    )
    fill_attributes(record.attributes, extra_attributes(fields, _LOG_KEYS))
    fill_value(record.body, fields.get("body"))
    return record


def log_record(event: Event) -> tuple[JsonObject, JsonObject, LogRecord]:
    """The log record of an event, with its resource attributes and scope."""
    fields = event.fields
    if fields.get("signal") == "log":
        try:
            resource, scope = origin(fields)
            return resource, scope, _otlp_log(fields)
        except NotOtlp:
            pass  # not as the source made it: sent as any other event
    nanos = int(event.meta.received_at * 1e9)
    record = LogRecord(observed_time_unix_nano=nanos)
    fill_value(record.body, fields)
    return {}, {"name": "pipeflow"}, record


def span(fields: JsonObject) -> tuple[JsonObject, JsonObject, Span]:
    """The span of an event the ``otlp`` source made, with its resource attributes and scope.

    :raises NotOtlp: when the event is no span (the reason is the message).
    """
    if fields.get("signal") != "trace":
        raise NotOtlp('not a span (signal is not "trace")')
    status = read_object(fields, "status")
    made = Span(
        name=read_text(fields, "name"),
        trace_id=read_id(fields, "trace_id", 16),
        span_id=read_id(fields, "span_id", 8),
        parent_span_id=read_id(fields, "parent_span_id", 8),
        trace_state=read_text(fields, "trace_state"),
        kind=read_enum(fields, "kind", SPAN_KINDS),  # type: ignore[arg-type]  # an open enum
        start_time_unix_nano=read_time(fields, "start"),
        end_time_unix_nano=read_time(fields, "end"),
    )
    if not made.trace_id or not made.span_id:
        raise NotOtlp("a span needs a trace_id and a span_id")
    made.status.code = read_enum(status, "code", STATUS_CODES)  # type: ignore[assignment]
    made.status.message = read_text(status, "message")
    for item in _objects(fields, "events"):
        added = made.events.add(name=read_text(item, "name"), time_unix_nano=read_time(item, "time"))
        fill_attributes(added.attributes, read_object(item, "attributes"))
    for item in _objects(fields, "links"):
        link = made.links.add(
            trace_id=read_id(item, "trace_id", 16),
            span_id=read_id(item, "span_id", 8),
            trace_state=read_text(item, "trace_state"),
        )
        fill_attributes(link.attributes, read_object(item, "attributes"))
    fill_attributes(made.attributes, extra_attributes(fields, _SPAN_KEYS))
    resource, scope = origin(fields)
    return resource, scope, made


def _objects(fields: JsonObject, key: str) -> list[JsonObject]:
    value = fields.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise NotOtlp(f"{key} is not a list of objects")
    return [x for x in value if isinstance(x, dict)]
