"""Metric events the ``otlp`` source made back into OTLP metrics: one metric with one data point each.

Fields the mapping does not know (added on the way) become attributes of the data point.
"""

from __future__ import annotations

from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    ExponentialHistogramDataPoint,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
    SummaryDataPoint,
)

from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.otlp.records import MetricHead, Origin, metric_fields
from pipeflow.domain.otlp.values import TEMPORALITIES
from pipeflow.infrastructure.otlp.anyvalue import fill_attributes
from pipeflow.infrastructure.otlp.fields import (
    NotOtlp,
    read_enum,
    read_float,
    read_int,
    read_object,
    read_text,
    read_time,
)
from pipeflow.infrastructure.otlp.write import extra_attributes, origin

__all__ = ["metric"]

_HEAD = frozenset(
    metric_fields(
        MetricHead("", "", "", "gauge", Origin({}, {})),
        time_unix_nano=0,
        start_time_unix_nano=0,
        attributes={},
        values={},
    )
)
_HISTOGRAM = ("count", "sum", "min", "max", "temporality")
_KEYS = {
    "gauge": _HEAD | {"value"},
    "sum": _HEAD | {"value", "monotonic", "temporality"},
    "histogram": _HEAD.union(_HISTOGRAM, ("bucket_counts", "explicit_bounds")),
    "exponential_histogram": _HEAD.union(
        _HISTOGRAM, ("scale", "zero_count", "zero_threshold", "positive", "negative")
    ),
    "summary": _HEAD | {"count", "sum", "quantiles"},
}


def _numbers(value: Json, key: str) -> list[float]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise NotOtlp(f"{key} is not a list of numbers")
    return [read_float(x, key) for x in value]


def _counts(value: Json, key: str) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, int) and x >= 0 for x in value):
        raise NotOtlp(f"{key} is not a list of counts")
    return [int(x) for x in value if isinstance(x, int)]


def _number_point(point: NumberDataPoint, fields: JsonObject) -> None:
    value = fields.get("value")
    if isinstance(value, int) and not isinstance(value, bool):
        point.as_int = value
    else:
        point.as_double = read_float(value, "value")


def _optionals(point: HistogramDataPoint | ExponentialHistogramDataPoint, fields: JsonObject) -> None:
    """``sum``, ``min`` and ``max`` are optional in OTLP: ``null`` leaves them unset."""
    if (total := fields.get("sum")) is not None:
        point.sum = read_float(total, "sum")
    if (low := fields.get("min")) is not None:
        point.min = read_float(low, "min")
    if (high := fields.get("max")) is not None:
        point.max = read_float(high, "max")


def _histogram(point: HistogramDataPoint, fields: JsonObject) -> None:
    point.MergeFrom(
        HistogramDataPoint(
            count=read_int(fields, "count"),
            bucket_counts=_counts(fields.get("bucket_counts"), "bucket_counts"),
            explicit_bounds=_numbers(fields.get("explicit_bounds"), "explicit_bounds"),
        )
    )
    _optionals(point, fields)


def _exponential(point: ExponentialHistogramDataPoint, fields: JsonObject) -> None:
    point.MergeFrom(
        ExponentialHistogramDataPoint(
            count=read_int(fields, "count"),
            scale=read_int(fields, "scale"),
            zero_count=read_int(fields, "zero_count"),
            zero_threshold=read_float(fields.get("zero_threshold", 0.0), "zero_threshold"),
        )
    )
    _optionals(point, fields)
    for side, buckets in (("positive", point.positive), ("negative", point.negative)):
        given = read_object(fields, side)
        buckets.offset = read_int(given, "offset")
        buckets.bucket_counts.extend(_counts(given.get("bucket_counts"), f"{side}.bucket_counts"))


def _summary(point: SummaryDataPoint, fields: JsonObject) -> None:
    point.count = read_int(fields, "count")
    point.sum = read_float(fields.get("sum", 0.0), "sum")
    quantiles = fields.get("quantiles") or []
    if not isinstance(quantiles, list):
        raise NotOtlp("quantiles is not a list")
    for q in quantiles:
        if not isinstance(q, dict):
            raise NotOtlp("quantiles holds something other than {quantile, value}")
        point.quantile_values.add(
            quantile=read_float(q.get("quantile"), "quantile"), value=read_float(q.get("value"), "value")
        )


def metric(fields: JsonObject) -> tuple[JsonObject, JsonObject, Metric]:
    """The metric (one data point) of an event the ``otlp`` source made, with its resource and scope.

    :raises NotOtlp: when the event is no metric data point (the reason is the message).
    """
    kind = fields.get("kind")
    if fields.get("signal") != "metric" or not isinstance(kind, str) or kind not in _KEYS:
        raise NotOtlp('not a metric data point (signal "metric" and a known kind)')
    made = Metric(name=read_text(fields, "name"), description=read_text(fields, "description"))
    made.unit = read_text(fields, "unit")
    temporality = read_enum(fields, "temporality", TEMPORALITIES)
    point: NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint | SummaryDataPoint
    match kind:
        case "gauge":
            point = made.gauge.data_points.add()
            _number_point(point, fields)
        case "sum":
            made.sum.aggregation_temporality = temporality  # type: ignore[assignment]
            made.sum.is_monotonic = fields.get("monotonic") is True
            point = made.sum.data_points.add()
            _number_point(point, fields)
        case "histogram":
            made.histogram.aggregation_temporality = temporality  # type: ignore[assignment]
            point = made.histogram.data_points.add()
            _histogram(point, fields)
        case "exponential_histogram":
            made.exponential_histogram.aggregation_temporality = temporality  # type: ignore[assignment]
            point = made.exponential_histogram.data_points.add()
            _exponential(point, fields)
        case _:
            point = made.summary.data_points.add()
            _summary(point, fields)
    point.time_unix_nano = read_time(fields, "timestamp")
    point.start_time_unix_nano = read_time(fields, "start_timestamp")
    fill_attributes(point.attributes, extra_attributes(fields, _KEYS[kind]))
    resource, scope = origin(fields)
    return resource, scope, made
