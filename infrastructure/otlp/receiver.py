"""``OtlpReceiver``: the OTLP/HTTP export protocol in front of an ingest queue, for ``run`` and ``serve``.

| case | answer |
|---|---|
| every event delivered or dead-lettered | ``200``, the ``Export*ServiceResponse`` |
| the body is no export request of the signal | ``400``, a ``google.rpc.Status`` with the reason |
| the inflated body is over the limit | ``413`` |
| a ``Content-Type`` or ``Content-Encoding`` OTLP/HTTP does not define | ``415`` |
| the queue cannot hold the request's events | ``429`` with ``Retry-After``; nothing is kept |
| queued but not delivered within the timeout, or the source is stopping | ``503`` with ``Retry-After`` |

``partial_success`` in a 200 counts the records refused (dead-lettered with the reason); after a
400 nothing of the body was kept. Answers are encoded as the request was (protobuf or JSON).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import final

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from pipeflow.domain.events import Event, EventMeta
from pipeflow.domain.ports import Clock, IdFactory
from pipeflow.infrastructure.otlp.read import Decoded, read_logs, read_traces
from pipeflow.infrastructure.otlp.read_metrics import read_metrics
from pipeflow.infrastructure.otlp.wire import (
    BadRequest,
    Encoding,
    ExportRequest,
    Signal,
    decode_request,
    encode_message,
    encoding_of,
    status_body,
)
from pipeflow.infrastructure.sources.ingest import IngestSource

__all__ = ["CONTENT_TYPES", "OtlpAnswer", "OtlpReceiver"]

CONTENT_TYPES = {"protobuf": "application/x-protobuf", "json": "application/json"}
"""The ``Content-Type`` of each encoding."""

_SIGNALS: dict[str, Signal] = {"logs": "logs", "metrics": "metrics", "traces": "traces"}


@final
@dataclass(frozen=True, slots=True)
class OtlpAnswer:
    """An HTTP answer: status, body, its content type, and extra headers (``Retry-After``)."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def _read(request: ExportRequest) -> Decoded:
    match request:
        case ExportLogsServiceRequest():
            return read_logs(request)
        case ExportMetricsServiceRequest():
            return read_metrics(request)
        case ExportTraceServiceRequest():
            return read_traces(request)


def _response(
    signal: Signal, decoded: Decoded
) -> ExportLogsServiceResponse | ExportMetricsServiceResponse | ExportTraceServiceResponse:
    refused = len(decoded.rejected)
    reason = decoded.rejected[0].reason if refused else ""
    if refused > 1:
        reason += f" (and {refused - 1} more)"
    match signal:
        case "logs":
            logs = ExportLogsServiceResponse()
            if refused:
                logs.partial_success.rejected_log_records = refused
                logs.partial_success.error_message = reason
            return logs
        case "metrics":
            metrics = ExportMetricsServiceResponse()
            if refused:
                metrics.partial_success.rejected_data_points = refused
                metrics.partial_success.error_message = reason
            return metrics
        case "traces":
            traces = ExportTraceServiceResponse()
            if refused:
                traces.partial_success.rejected_spans = refused
                traces.partial_success.error_message = reason
            return traces


@final
class OtlpReceiver:
    """Decodes export requests into events of source ``queue.name`` and answers once they are delivered."""

    def __init__(
        self,
        queue: IngestSource,
        *,
        ids: IdFactory,
        clock: Clock,
        max_body_bytes: int = 10 << 20,
        ack_timeout_s: float = 30.0,
        retry_after_s: int = 1,
    ) -> None:
        self.queue = queue
        self._ids = ids
        self._clock = clock
        self._max_body_bytes = max_body_bytes
        self._ack_timeout_s = ack_timeout_s
        self._retry_after = {"Retry-After": str(retry_after_s)}

    def _error(
        self, reason: str, encoding: Encoding, status: int, headers: dict[str, str] | None = None
    ) -> OtlpAnswer:
        return OtlpAnswer(status, status_body(reason, encoding), CONTENT_TYPES[encoding], headers or {})

    async def export(
        self, signal: str, body: bytes, content_type: str, content_encoding: str = ""
    ) -> OtlpAnswer:
        """Take one export request of ``signal`` (``logs``, ``metrics``, ``traces``); see the module doc."""
        encoding = encoding_of(content_type)
        if encoding is None:
            return self._error(
                f"unsupported Content-Type {content_type!r}: use application/x-protobuf or application/json",
                "json",
                415,
            )
        known = _SIGNALS.get(signal)
        if known is None:
            return self._error(f"no OTLP signal {signal!r}: logs, metrics or traces", encoding, 404)
        coding = content_encoding.strip().lower()
        if coding not in ("", "identity", "gzip"):
            return self._error(
                f"unsupported Content-Encoding {content_encoding!r}: use gzip or none", encoding, 415
            )
        request = decode_request(known, body, encoding, gzip=coding == "gzip", limit=self._max_body_bytes)
        if isinstance(request, BadRequest):
            return self._error(request.reason, encoding, request.status)
        decoded = _read(request)
        meta = EventMeta(self.queue.name, self._clock.now())
        new_id = self._ids.new_id
        events = [Event(new_id(), meta, fields) for fields in decoded.records]
        ticket = self.queue.offer_events(events, decoded.rejected)
        if ticket == "full":
            return self._error("the pipeline is busy: retry later", encoding, 429, self._retry_after)
        if ticket == "closed":
            return self._error("the source is stopping", encoding, 503, self._retry_after)
        if not await ticket.wait(self._ack_timeout_s):
            reason = f"queued but not delivered within {self._ack_timeout_s}s: resend (at least once)"
            if ticket.failure is not None:
                reason = f"not delivered: {ticket.failure}: resend (at least once)"
            return self._error(reason, encoding, 503, self._retry_after)
        return OtlpAnswer(200, encode_message(_response(known, decoded), encoding), CONTENT_TYPES[encoding])
