"""OTLP/HTTP bodies: a request's bytes into its export message, answers into bytes.

Protobuf (``application/x-protobuf``) or OTLP's JSON mapping (``application/json``: protobuf's
JSON with trace and span ids as hex rather than base64), gzip or not. A body that does not decode
is a ``BadRequest`` with the reason; nothing of it is used.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass
from typing import Literal, TypeAlias, final

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

__all__ = [
    "BadRequest",
    "Encoding",
    "ExportRequest",
    "Signal",
    "decode_request",
    "encode_message",
    "encoding_of",
    "status_body",
]

Signal: TypeAlias = Literal["logs", "metrics", "traces"]
"""Which OTLP export service: the last part of ``/v1/logs``, ``/v1/metrics``, ``/v1/traces``."""

Encoding: TypeAlias = Literal["protobuf", "json"]
"""How a body is encoded, from its ``Content-Type``."""

ExportRequest: TypeAlias = ExportLogsServiceRequest | ExportMetricsServiceRequest | ExportTraceServiceRequest
"""A decoded export request of any signal."""

_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"})


@final
@dataclass(frozen=True, slots=True)
class BadRequest:
    """Why a body cannot be taken, and the HTTP status that says so (400, 413 or 415)."""

    reason: str
    status: int = 400


def encoding_of(content_type: str) -> Encoding | None:
    """The encoding a ``Content-Type`` names, or ``None`` when OTLP/HTTP has no such encoding.

    >>> encoding_of("application/x-protobuf"), encoding_of("application/json; charset=utf-8")
    ('protobuf', 'json')
    """
    media = content_type.partition(";")[0].strip().lower()
    if media == "application/x-protobuf":
        return "protobuf"
    return "json" if media == "application/json" else None


def _message(signal: Signal) -> ExportRequest:
    match signal:
        case "logs":
            return ExportLogsServiceRequest()
        case "metrics":
            return ExportMetricsServiceRequest()
        case "traces":
            return ExportTraceServiceRequest()


def _gunzip(body: bytes, limit: int) -> bytes | BadRequest:
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflate.decompress(body, limit + 1)
    except zlib.error as exc:
        return BadRequest(f"the body is not valid gzip: {exc}")
    if len(data) > limit:
        return BadRequest(f"the body inflates to over {limit} bytes", 413)
    if not inflate.eof:
        return BadRequest("the gzip body is truncated")
    return data


def _hex_ids_to_base64(node: object) -> None:
    """OTLP JSON writes ids as hex; protobuf's JSON parser reads bytes as base64."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                node[key] = base64.b64encode(bytes.fromhex(value)).decode("ascii")
            else:
                _hex_ids_to_base64(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids_to_base64(item)


def decode_request(
    signal: Signal, body: bytes, encoding: Encoding, *, gzip: bool, limit: int
) -> ExportRequest | BadRequest:
    """The export request in ``body``, or why it is not one (``limit`` bounds the inflated size)."""
    if gzip:
        inflated = _gunzip(body, limit)
        if isinstance(inflated, BadRequest):
            return inflated
        body = inflated
    message = _message(signal)
    try:
        if encoding == "protobuf":
            message.ParseFromString(body)
        else:
            document = orjson.loads(body)
            if not isinstance(document, dict):
                return BadRequest("the JSON body is not an object")
            _hex_ids_to_base64(document)
            json_format.ParseDict(document, message, ignore_unknown_fields=True)
    except DecodeError as exc:
        return BadRequest(f"not an OTLP {signal} export request in protobuf: {exc}")
    except orjson.JSONDecodeError as exc:
        return BadRequest(f"the body is not JSON: {exc}")
    except ValueError as exc:  # a hex id that is not hex
        return BadRequest(f"not an OTLP {signal} export request in JSON: {exc}")
    except json_format.ParseError as exc:
        return BadRequest(f"not an OTLP {signal} export request in JSON: {exc}")
    return message


def encode_message(message: Message, encoding: Encoding) -> bytes:
    """A response message as the request's encoding writes it."""
    if encoding == "protobuf":
        return message.SerializeToString()
    return json_format.MessageToJson(message, indent=None).encode()


def status_body(reason: str, encoding: Encoding) -> bytes:
    """An error answer's body: a ``google.rpc.Status`` with the reason, as OTLP/HTTP asks."""
    code = 3  # INVALID_ARGUMENT
    return encode_message(Status(code=code, message=reason), encoding)
