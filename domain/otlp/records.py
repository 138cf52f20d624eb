"""The event a log record, a metric data point or a span becomes (spec section 12).

Each function takes values already decoded from the wire (attributes and bodies as JSON values,
ids as bytes, times as nanoseconds) and returns the event's fields. Besides the fields the spec
lists, a few OTLP fields it does not name are kept so nothing is lost on the way out again:
``start_timestamp`` of a data point, ``min``/``max`` of histograms, the exponential histogram's
buckets, a summary's ``quantiles``, and a span's ``trace_state``, ``events`` and ``links``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias, final

from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.otlp.values import (
    SPAN_KINDS,
    STATUS_CODES,
    TEMPORALITIES,
    enum_name,
    hex_id,
    iso_time,
)

__all__ = [
    "MetricHead",
    "MetricKind",
    "Origin",
    "log_fields",
    "metric_fields",
    "scope_object",
    "span_event",
    "span_fields",
    "span_link",
    "temporality_name",
]

MetricKind: TypeAlias = Literal["gauge", "sum", "histogram", "exponential_histogram", "summary"]
"""What kind of metric a data point belongs to."""


@final
@dataclass(frozen=True, slots=True)
class Origin:
    """Where records come from: the resource's attributes and the instrumentation scope."""

    resource: JsonObject
    scope: JsonObject


@final
@dataclass(frozen=True, slots=True)
class MetricHead:
    """What every data point of one metric shares."""

    name: str
    description: str
    unit: str
    kind: MetricKind
    origin: Origin


def scope_object(name: str, version: str) -> JsonObject:
    """An instrumentation scope as ``{name, version}`` (``null`` when unset).

    >>> scope_object("app", ""), scope_object("", "1.0")
    ({'name': 'app', 'version': None}, {'name': None, 'version': '1.0'})
    """
    return {"name": name or None, "version": version or None}


def temporality_name(number: int) -> str:
    """An aggregation temporality's name: ``delta``, ``cumulative`` or ``unspecified``.

    >>> temporality_name(2)
    'cumulative'
    """
    return enum_name(TEMPORALITIES, number)


def log_fields(
    origin: Origin,
    *,
    time_unix_nano: int,
    observed_time_unix_nano: int,
    severity_text: str,
    severity_number: int,
    body: Json,
    attributes: JsonObject,
    trace_id: bytes,
    span_id: bytes,
) -> JsonObject:
    """A log record's event (``signal: "log"``); unset times, ids, severities are ``null``.

    >>> f = log_fields(Origin({}, scope_object("", "")), time_unix_nano=0, observed_time_unix_nano=0,
    ...     severity_text="", severity_number=9, body="hi", attributes={}, trace_id=b"", span_id=b"")
    >>> f["body"], f["severity_text"], f["severity_number"], f["timestamp"], f["signal"]
    ('hi', None, 9, None, 'log')
    """
    return {
        "timestamp": iso_time(time_unix_nano),
        "observed_timestamp": iso_time(observed_time_unix_nano),
        "severity_text": severity_text or None,
        "severity_number": severity_number or None,
        "body": body,
        "attributes": attributes,
        "resource": origin.resource,
        "scope": origin.scope,
        "trace_id": hex_id(trace_id),
        "span_id": hex_id(span_id),
        "signal": "log",
    }


def metric_fields(
    head: MetricHead,
    *,
    time_unix_nano: int,
    start_time_unix_nano: int,
    attributes: JsonObject,
    values: JsonObject,
) -> JsonObject:
    """A data point's event (``signal: "metric"``): the metric's head, then ``values`` of its kind.

    ``values`` holds ``value`` (gauge), ``value``, ``monotonic``, ``temporality`` (sum), ``count``,
    ``sum``, ``bucket_counts``, ``explicit_bounds`` ... (histograms), as the decoder found them.

    >>> head = MetricHead("jobs", "", "1", "gauge", Origin({}, scope_object("", "")))
    >>> f = metric_fields(head, time_unix_nano=0, start_time_unix_nano=0, attributes={}, values={"value": 3})
    >>> f["name"], f["kind"], f["value"], f["timestamp"], f["signal"]
    ('jobs', 'gauge', 3, None, 'metric')
    """
    fields: JsonObject = {
        "name": head.name,
        "description": head.description,
        "unit": head.unit,
        "kind": head.kind,
    }
    fields.update(values)
    fields["attributes"] = attributes
    fields["resource"] = head.origin.resource
    fields["scope"] = head.origin.scope
    fields["timestamp"] = iso_time(time_unix_nano)
    fields["start_timestamp"] = iso_time(start_time_unix_nano)
    fields["signal"] = "metric"
    return fields


def span_fields(
    origin: Origin,
    *,
    name: str,
    trace_id: bytes,
    span_id: bytes,
    parent_span_id: bytes,
    trace_state: str,
    kind: int,
    start_unix_nano: int,
    end_unix_nano: int,
    attributes: JsonObject,
    status_code: int,
    status_message: str,
    events: list[Json],
    links: list[Json],
) -> JsonObject:
    """A span's event (``signal: "trace"``); ``duration_ms`` is ``null`` unless both ends are set.

    >>> f = span_fields(Origin({}, {}), name="GET", trace_id=b"\\x01" * 16, span_id=b"\\x02" * 8,
    ...     parent_span_id=b"", trace_state="", kind=2, start_unix_nano=1_000_000,
    ...     end_unix_nano=3_500_000, attributes={}, status_code=2, status_message="boom",
    ...     events=[], links=[])
    >>> f["kind"], f["duration_ms"], f["status"], f["parent_span_id"], f["span_id"]
    ('server', 2.5, {'code': 'error', 'message': 'boom'}, None, '0202020202020202')
    """
    both = start_unix_nano and end_unix_nano
    return {
        "name": name,
        "trace_id": hex_id(trace_id),
        "span_id": hex_id(span_id),
        "parent_span_id": hex_id(parent_span_id),
        "trace_state": trace_state or None,
        "kind": enum_name(SPAN_KINDS, kind),
        "start": iso_time(start_unix_nano),
        "end": iso_time(end_unix_nano),
        "duration_ms": (end_unix_nano - start_unix_nano) / 1e6 if both else None,
        "attributes": attributes,
        "status": {"code": enum_name(STATUS_CODES, status_code), "message": status_message or None},
        "events": events,
        "links": links,
        "resource": origin.resource,
        "scope": origin.scope,
        "signal": "trace",
    }


def span_event(name: str, time_unix_nano: int, attributes: JsonObject) -> JsonObject:
    """One of a span's events: ``{name, time, attributes}``.

    >>> span_event("retry", 0, {"n": 1})
    {'name': 'retry', 'time': None, 'attributes': {'n': 1}}
    """
    return {"name": name, "time": iso_time(time_unix_nano), "attributes": attributes}


def span_link(trace_id: bytes, span_id: bytes, trace_state: str, attributes: JsonObject) -> JsonObject:
    """One of a span's links: ``{trace_id, span_id, trace_state, attributes}``.

    >>> span_link(b"\\x0a", b"\\x0b", "", {})
    {'trace_id': '0a', 'span_id': '0b', 'trace_state': None, 'attributes': {}}
    """
    return {
        "trace_id": hex_id(trace_id),
        "span_id": hex_id(span_id),
        "trace_state": trace_state or None,
        "attributes": attributes,
    }
