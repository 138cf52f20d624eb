"""The §12 mapping, field by field: protobuf and OTLP JSON requests decoded into event fields (null
when unset, lowercase hex ids, ISO 8601 UTC times), every metric kind, refused records, and the way
back (fields -> protobuf -> fields is the identity for events the source made)."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import orjson
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.infrastructure.otlp.read import read_logs, read_traces
from pipeflow.infrastructure.otlp.read_metrics import read_metrics
from pipeflow.infrastructure.otlp.requests import logs_request, metrics_request, traces_request
from pipeflow.infrastructure.otlp.wire import BadRequest, decode_request
from pipeflow.infrastructure.otlp.write import log_record, span
from pipeflow.infrastructure.otlp.write_metrics import metric

T = 1_700_000_000_000_000_001
ISO = "2023-11-14T22:13:20.000000001Z"
TRACE = bytes(range(16))
SPAN = bytes(range(8, 16))


def _logs() -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    resource_logs.resource.attributes.add(key="service.name").value.string_value = "shop"
    scoped = resource_logs.scope_logs.add()
    scoped.scope.name, scoped.scope.version = "app", "2.0"
    full = scoped.log_records.add(
        time_unix_nano=T,
        observed_time_unix_nano=T + 1,
        severity_text="INFO",
        severity_number=9,
        trace_id=TRACE,
        span_id=SPAN,
    )
    full.body.kvlist_value.values.add(key="msg").value.string_value = "hi"
    full.attributes.add(key="n").value.int_value = 3
    full.attributes.add(key="b").value.bytes_value = b"\x01\x02"
    scoped.log_records.add()  # nothing set at all
    return request


def test_a_log_record_maps_every_field_and_unset_ones_are_null() -> None:
    full, empty = read_logs(_logs()).records
    assert full == {
        "timestamp": ISO,
        "observed_timestamp": "2023-11-14T22:13:20.000000002Z",
        "severity_text": "INFO",
        "severity_number": 9,
        "body": {"msg": "hi"},
        "attributes": {"n": 3, "b": "AQI="},
        "resource": {"service.name": "shop"},
        "scope": {"name": "app", "version": "2.0"},
        "trace_id": "000102030405060708090a0b0c0d0e0f",
        "span_id": "08090a0b0c0d0e0f",
        "signal": "log",
    }
    assert empty == {
        "timestamp": None,
        "observed_timestamp": None,
        "severity_text": None,
        "severity_number": None,
        "body": None,
        "attributes": {},
        "resource": {"service.name": "shop"},
        "scope": {"name": "app", "version": "2.0"},
        "trace_id": None,
        "span_id": None,
        "signal": "log",
    }


def _hex_json(request: Any) -> bytes:
    """The OTLP JSON mapping of a request: protobuf's JSON with hex ids instead of base64."""
    document = json_format.MessageToDict(request)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("traceId", "spanId", "parentSpanId"):
                    node[key] = base64.b64decode(value).hex()
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return orjson.dumps(document)


@pytest.mark.parametrize("gzipped", [False, True])
def test_protobuf_and_json_bodies_decode_to_the_same_events(gzipped: bool) -> None:
    request = _logs()
    pack = gzip.compress if gzipped else (lambda b: b)
    binary = decode_request(
        "logs", pack(request.SerializeToString()), "protobuf", gzip=gzipped, limit=1 << 20
    )
    text = decode_request("logs", pack(_hex_json(request)), "json", gzip=gzipped, limit=1 << 20)
    assert isinstance(binary, ExportLogsServiceRequest)
    assert isinstance(text, ExportLogsServiceRequest)
    assert read_logs(binary).records == read_logs(text).records == read_logs(request).records


def test_bodies_that_do_not_decode_are_bad_requests_with_a_reason() -> None:
    cases = {
        "protobuf": decode_request("traces", b"\x0a\xff", "protobuf", gzip=False, limit=100),
        "json": decode_request("traces", b"[1]", "json", gzip=False, limit=100),
        "hex": decode_request(
            "traces",
            b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xy"}]}]}]}',
            "json",
            gzip=False,
            limit=1000,
        ),
        "field": decode_request("logs", b'{"resourceLogs": 3}', "json", gzip=False, limit=100),
        "gzip": decode_request("logs", b"plain", "protobuf", gzip=True, limit=100),
    }
    for name, answer in cases.items():
        assert isinstance(answer, BadRequest), name
        assert (answer.status, bool(answer.reason)) == (400, True), name
    bomb = decode_request("logs", gzip.compress(b"\x00" * 1000), "protobuf", gzip=True, limit=100)
    assert bomb == BadRequest("the body inflates to over 100 bytes", 413)


def _span_request() -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    scoped = request.resource_spans.add().scope_spans.add()
    good = scoped.spans.add(
        name="GET",
        trace_id=TRACE,
        span_id=SPAN,
        parent_span_id=SPAN[::-1],
        trace_state="k=v",
        kind=Span.SPAN_KIND_CONSUMER,
        start_time_unix_nano=T,
        end_time_unix_nano=T + 2_500_000,
        status=Status(code=Status.STATUS_CODE_OK),
    )
    good.events.add(name="e", time_unix_nano=T).attributes.add(key="a").value.bool_value = True
    good.links.add(trace_id=TRACE, span_id=SPAN)
    scoped.spans.add(name="bad", trace_id=b"\x01", span_id=SPAN)
    return request


def test_a_span_maps_every_field_and_a_malformed_one_is_refused() -> None:
    decoded = read_traces(_span_request())
    (fields,) = decoded.records
    assert fields == {
        "name": "GET",
        "trace_id": TRACE.hex(),
        "span_id": SPAN.hex(),
        "parent_span_id": SPAN[::-1].hex(),
        "trace_state": "k=v",
        "kind": "consumer",
        "start": ISO,
        "end": "2023-11-14T22:13:20.002500001Z",
        "duration_ms": 2.5,
        "attributes": {},
        "status": {"code": "ok", "message": None},
        "events": [{"name": "e", "time": ISO, "attributes": {"a": True}}],
        "links": [{"trace_id": TRACE.hex(), "span_id": SPAN.hex(), "trace_state": None, "attributes": {}}],
        "resource": {},
        "scope": {"name": None, "version": None},
        "signal": "trace",
    }
    (refused,) = decoded.rejected
    assert b'"bad"' in refused.raw
    assert "trace_id" in refused.reason


def _metrics() -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    metrics = request.resource_metrics.add().scope_metrics.add().metrics
    gauge = metrics.add(name="g", unit="C")
    gauge.gauge.data_points.add(time_unix_nano=T, as_double=1.5)
    gauge.gauge.data_points.add(time_unix_nano=T)  # no value: refused
    total = metrics.add(name="s", description="d")
    total.sum.is_monotonic = True
    total.sum.aggregation_temporality = AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
    total.sum.data_points.add(time_unix_nano=T, start_time_unix_nano=T - 1, as_int=7)
    histogram = metrics.add(name="h").histogram
    histogram.aggregation_temporality = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
    histogram.data_points.add(count=3, sum=6.0, bucket_counts=[1, 2, 0], explicit_bounds=[1.0, 5.0], min=1.0)
    exponential = metrics.add(name="e").exponential_histogram
    point = exponential.data_points.add(count=4, scale=2, zero_count=1, zero_threshold=0.1)
    point.positive.offset, point.negative.offset = 3, -1
    point.positive.bucket_counts.extend([1, 2])
    summary = metrics.add(name="q").summary.data_points.add(count=2, sum=3.0)
    summary.quantile_values.add(quantile=0.5, value=1.0)
    metrics.add(name="empty")  # no data: refused
    return request


def test_every_metric_kind_maps_its_fields() -> None:
    decoded = read_metrics(_metrics())
    by_name = {r["name"]: r for r in decoded.records}
    assert [r["kind"] for r in decoded.records] == [
        "gauge",
        "sum",
        "histogram",
        "exponential_histogram",
        "summary",
    ]
    assert {k: by_name["g"][k] for k in ("value", "unit", "timestamp", "start_timestamp")} == {
        "value": 1.5,
        "unit": "C",
        "timestamp": ISO,
        "start_timestamp": None,
    }
    assert {k: by_name["s"][k] for k in ("value", "monotonic", "temporality", "description")} == {
        "value": 7,
        "monotonic": True,
        "temporality": "delta",
        "description": "d",
    }
    assert {
        k: by_name["h"][k]
        for k in ("count", "sum", "bucket_counts", "explicit_bounds", "min", "max", "temporality")
    } == {
        "count": 3,
        "sum": 6.0,
        "bucket_counts": [1, 2, 0],
        "explicit_bounds": [1.0, 5.0],
        "min": 1.0,
        "max": None,
        "temporality": "cumulative",
    }
    assert by_name["e"]["positive"] == {"offset": 3, "bucket_counts": [1, 2]}
    assert (by_name["e"]["negative"], by_name["e"]["sum"]) == ({"offset": -1, "bucket_counts": []}, None)
    assert by_name["q"]["quantiles"] == [{"quantile": 0.5, "value": 1.0}]
    assert all(r["signal"] == "metric" and r["timestamp"] in (ISO, None) for r in decoded.records)
    assert [r.reason for r in decoded.rejected] == [
        "a data point of 'g' has no value",
        "metric 'empty' has no data points of a known kind",
    ]


def _event(fields: dict[str, Any]) -> Event:
    return Event(EventId("01"), EventMeta("otel", 1.5), fields)


def test_events_the_source_made_go_back_to_the_same_fields() -> None:
    logs = read_logs(_logs()).records
    again = read_logs(logs_request(log_record(_event(f)) for f in logs)).records
    assert again == logs
    spans = read_traces(_span_request()).records
    assert read_traces(traces_request(span(f) for f in spans)).records == spans
    points = read_metrics(_metrics()).records
    assert read_metrics(metrics_request(metric(f) for f in points)).records == points


def test_fields_added_on_the_way_become_attributes_and_other_events_log_bodies() -> None:
    (fields, _) = read_logs(_logs()).records
    _, _, record = log_record(_event({**fields, "env": "prod"}))
    assert [(a.key, a.value.string_value) for a in record.attributes][-1] == ("env", "prod")
    resource, scope, plain = log_record(_event({"n": 1, "timestamp": "not a time"}))
    again = read_logs(logs_request([(resource, scope, plain)])).records[0]
    assert again["body"] == {"n": 1, "timestamp": "not a time"}
    assert (again["observed_timestamp"], again["scope"]) == (
        "1970-01-01T00:00:01.500000000Z",
        {"name": "pipeflow", "version": None},
    )
