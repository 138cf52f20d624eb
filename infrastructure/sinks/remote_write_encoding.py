"""Prometheus remote write 1.0 bodies: a protobuf ``WriteRequest``, snappy-compressed (block format).

The message classes are the ones OpenTelemetry's remote-write exporter generates from Prometheus's
``remote.proto`` and ``types.proto``; snappy is cramjam's.
"""

from __future__ import annotations

from collections.abc import Sequence

import cramjam
from opentelemetry.exporter.prometheus_remote_write.gen.remote_pb2 import WriteRequest

from pipeflow.domain.metric_samples import Sample

__all__ = ["CONTENT_HEADERS", "decode_write_request", "encode_write_request"]

CONTENT_HEADERS = {
    "Content-Type": "application/x-protobuf",
    "Content-Encoding": "snappy",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}
"""The headers remote write 1.0 asks of every request."""


def encode_write_request(samples: Sequence[Sample], now_ms: int) -> bytes:
    """One ``TimeSeries`` per series (labels sorted, ``__name__`` among them), samples in time order.

    A sample without a time gets ``now_ms``. Of two samples of one series at one millisecond the
    later one is sent: Prometheus keeps one value per series and time, and refuses a second.
    """
    points: dict[tuple[str, tuple[tuple[str, str], ...]], dict[int, float]] = {}
    for sample in samples:
        at = sample.timestamp_ms if sample.timestamp_ms is not None else now_ms
        points.setdefault(sample.series, {})[at] = sample.value
    request = WriteRequest()
    for (name, labels), values in points.items():
        series = request.timeseries.add()
        for label_name, value in sorted((("__name__", name), *labels)):
            series.labels.add(name=label_name, value=value)
        for at in sorted(values):
            series.samples.add(value=values[at], timestamp=at)
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def decode_write_request(body: bytes) -> WriteRequest:
    """The ``WriteRequest`` in a body (the receiver's side; tests and debugging)."""
    request = WriteRequest()
    request.ParseFromString(bytes(cramjam.snappy.decompress_raw(body)))
    return request
