"""Decoded metric export requests into event fields: one event per data point, of every kind.

A number data point without a value, or a metric without data, is ``Rejected`` with the reason.
"""

from __future__ import annotations

from typing import Literal

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    ExponentialHistogramDataPoint,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
    SummaryDataPoint,
)

from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.otlp.records import MetricHead, MetricKind, Origin, metric_fields, temporality_name
from pipeflow.infrastructure.otlp.anyvalue import attributes_object
from pipeflow.infrastructure.otlp.read import Decoded, origin_of, rejected

__all__ = ["read_metrics"]

_Point = NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint | SummaryDataPoint


def _number(point: NumberDataPoint) -> int | float | None:
    match point.WhichOneof("value"):
        case "as_int":
            return point.as_int
        case "as_double":
            return point.as_double
        case _:
            return None


def _optional(
    point: HistogramDataPoint | ExponentialHistogramDataPoint, name: Literal["sum", "min", "max"]
) -> float | None:
    return float(getattr(point, name)) if point.HasField(name) else None


def _values(metric: Metric, kind: MetricKind, point: _Point) -> JsonObject | None:
    """The kind's own fields of a data point, or ``None`` when the point has no value."""
    match point:
        case NumberDataPoint():
            value = _number(point)
            if value is None:
                return None
            if kind == "gauge":
                return {"value": value}
            temporality = temporality_name(metric.sum.aggregation_temporality)
            return {"value": value, "monotonic": metric.sum.is_monotonic, "temporality": temporality}
        case HistogramDataPoint():
            return {
                "count": point.count,
                "sum": _optional(point, "sum"),
                "bucket_counts": list[Json](point.bucket_counts),
                "explicit_bounds": list[Json](point.explicit_bounds),
                "min": _optional(point, "min"),
                "max": _optional(point, "max"),
                "temporality": temporality_name(metric.histogram.aggregation_temporality),
            }
        case ExponentialHistogramDataPoint():
            return {
                "count": point.count,
                "sum": _optional(point, "sum"),
                "scale": point.scale,
                "zero_count": point.zero_count,
                "zero_threshold": point.zero_threshold,
                "positive": {
                    "offset": point.positive.offset,
                    "bucket_counts": list[Json](point.positive.bucket_counts),
                },
                "negative": {
                    "offset": point.negative.offset,
                    "bucket_counts": list[Json](point.negative.bucket_counts),
                },
                "min": _optional(point, "min"),
                "max": _optional(point, "max"),
                "temporality": temporality_name(metric.exponential_histogram.aggregation_temporality),
            }
        case SummaryDataPoint():
            quantiles: list[Json] = [
                {"quantile": q.quantile, "value": q.value} for q in point.quantile_values
            ]
            return {"count": point.count, "sum": point.sum, "quantiles": quantiles}


def _points(metric: Metric, kind: MetricKind) -> list[_Point]:
    match kind:
        case "gauge":
            return list(metric.gauge.data_points)
        case "sum":
            return list(metric.sum.data_points)
        case "histogram":
            return list(metric.histogram.data_points)
        case "exponential_histogram":
            return list(metric.exponential_histogram.data_points)
        case "summary":
            return list(metric.summary.data_points)


def _read_metric(metric: Metric, origin: Origin, out: Decoded) -> None:
    data = metric.WhichOneof("data")
    if data not in ("gauge", "sum", "histogram", "exponential_histogram", "summary"):
        out.rejected.append(rejected(metric, f"metric {metric.name!r} has no data points of a known kind"))
        return
    kind: MetricKind = data
    head = MetricHead(metric.name, metric.description, metric.unit, kind, origin)
    for point in _points(metric, kind):
        values = _values(metric, kind, point)
        if values is None:
            out.rejected.append(rejected(point, f"a data point of {metric.name!r} has no value"))
            continue
        out.records.append(
            metric_fields(
                head,
                time_unix_nano=point.time_unix_nano,
                start_time_unix_nano=point.start_time_unix_nano,
                attributes=attributes_object(point.attributes),
                values=values,
            )
        )


def read_metrics(request: ExportMetricsServiceRequest) -> Decoded:
    """Every data point of the request as event fields; points without a value are rejected."""
    out = Decoded()
    for resource_metrics in request.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            origin = origin_of(resource_metrics.resource, scope_metrics.scope)
            for metric in scope_metrics.metrics:
                _read_metric(metric, origin, out)
    return out
