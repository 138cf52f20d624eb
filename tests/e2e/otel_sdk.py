"""The real OpenTelemetry Python SDK as a client of an ``otlp`` source: logs, metrics and traces made
with the SDK's own API, exported by its OTLP/HTTP (protobuf) exporters, and what each export held.

Each ``export_*`` records what the SDK made in memory first, then hands exactly that to the OTLP
exporter, so a test can compare what arrived with what was sent. The exporters are synchronous
(``requests``): call them from a thread in async tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    LogRecordExportResult,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult, MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

RESOURCE = Resource.create({"service.name": "shop", "deployment.environment": "test"})
"""The resource every export of these helpers carries."""

START = 1_700_000_000_123_456_789
"""The nanosecond time the helpers' records carry (a fixed one, to compare)."""


def export_logs(
    endpoint: str, headers: Mapping[str, str] | None = None
) -> tuple[bool, Sequence[ReadableLogRecord]]:
    """Two log records (one in a span) sent to ``endpoint``: whether the export succeeded, and them."""
    memory = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
    provider = LoggerProvider(resource=RESOURCE)
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("checkout", "1.2")
    tracer = TracerProvider(resource=RESOURCE).get_tracer("checkout")
    logger.emit(
        timestamp=START,
        observed_timestamp=START + 1,
        severity_number=SeverityNumber.WARN,
        severity_text="WARN",
        body="cart is empty",
        attributes={"user": "ann", "items": 0, "ratio": 0.5, "tags": ["a", "b"], "vip": True},
    )
    with tracer.start_as_current_span("pay"):
        logger.emit(severity_number=SeverityNumber.ERROR, body={"error": "declined", "code": 51})
    records = memory.get_finished_logs()
    exporter = OTLPLogExporter(endpoint=endpoint, headers=dict(headers or {}))
    result = exporter.export(records)
    exporter.shutdown()  # type: ignore[no-untyped-call]
    provider.shutdown()
    return result == LogRecordExportResult.SUCCESS, records


def export_traces(
    endpoint: str, headers: Mapping[str, str] | None = None
) -> tuple[bool, Sequence[ReadableSpan]]:
    """A server span with a failing child: whether the export succeeded, and the spans."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("checkout", "1.2")
    with (
        tracer.start_as_current_span("GET /cart", kind=SpanKind.SERVER, attributes={"http.status": 200}),
        tracer.start_as_current_span("db.query", kind=SpanKind.CLIENT) as child,
    ):
        child.add_event("retry", {"attempt": 2})
        child.set_status(Status(StatusCode.ERROR, "timeout"))
    spans = memory.get_finished_spans()
    exporter = OTLPSpanExporter(endpoint=endpoint, headers=dict(headers or {}))
    result = exporter.export(spans)
    exporter.shutdown()  # type: ignore[no-untyped-call]
    provider.shutdown()
    return result == SpanExportResult.SUCCESS, spans


def export_metrics(endpoint: str, headers: Mapping[str, str] | None = None) -> tuple[bool, MetricsData]:
    """A counter, an up-down counter, a histogram and a gauge: whether the export succeeded, and them."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
    meter = provider.get_meter("checkout", "1.2")
    meter.create_counter("orders", unit="1", description="orders placed").add(3, {"shop": "eu"})
    meter.create_up_down_counter("queue.depth").add(-2)
    latency = meter.create_histogram("latency", unit="ms")
    for value in (5, 20, 300):
        latency.record(value, {"route": "/cart"})
    meter.create_gauge("temperature").set(21.5)
    data = reader.get_metrics_data()
    assert data is not None
    exporter = OTLPMetricExporter(endpoint=endpoint, headers=dict(headers or {}))
    result = exporter.export(data)
    exporter.shutdown()
    provider.shutdown()
    return result == MetricExportResult.SUCCESS, data


__all__ = ["RESOURCE", "START", "export_logs", "export_metrics", "export_traces"]
