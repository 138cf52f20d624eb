"""``POST /otlp/{source}/v1/{logs,metrics,traces}``: OTLP/HTTP into the running topology.

The protocol (decoding, the export response, ``partial_success``, 400/415/429/503) is the
``OtlpExporter``'s, a structural port the root satisfies with the ``otlp`` source's receiver (the
same one ``run`` serves at ``/v1/...``); this router finds the source by name and answers ``413``
for a body over the size limit without reading further. It imports no adapter and no protobuf.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pipeflow.interfaces.http.bodies import read_body
from pipeflow.interfaces.http.ingest import IngestLimits
from pipeflow.interfaces.http.responses import error

__all__ = ["OtlpExporter", "OtlpReply", "otlp_router"]


class OtlpReply(Protocol):
    """An OTLP/HTTP answer: status, encoded body, its content type, extra headers."""

    @property
    def status(self) -> int:
        """The HTTP status."""
        ...

    @property
    def body(self) -> bytes:
        """The encoded export response or ``google.rpc.Status``."""
        ...

    @property
    def content_type(self) -> str:
        """The body's media type (the request's encoding)."""
        ...

    @property
    def headers(self) -> dict[str, str]:
        """Extra headers (``Retry-After``)."""
        ...


class OtlpExporter(Protocol):
    """An ``otlp`` source as the API sees it: one export request in, its answer out."""

    async def export(
        self, signal: str, body: bytes, content_type: str, content_encoding: str = ""
    ) -> OtlpReply:
        """Take an export request of ``signal``; answer once its events are delivered (or why not)."""
        ...


def otlp_router(exporters: Mapping[str, OtlpExporter], limits: IngestLimits) -> APIRouter:
    """The ``/otlp/{source}/v1/{signal}`` endpoints, feeding the named ``otlp`` sources."""
    router = APIRouter(prefix="/otlp", tags=["otlp"])

    @router.post(
        "/{source}/v1/{signal}",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
                    "application/json": {"schema": {"type": "object"}},
                },
            }
        },
    )
    async def export(source: str, signal: str, request: Request) -> Response:
        """An OTLP/HTTP export request (protobuf or JSON, gzip or not) into ``source``."""
        exporter = exporters.get(source)
        if exporter is None:
            return error(404, "not_found", f"no otlp source {source!r} in the config")
        body = await read_body(request, limits.max_body_bytes)
        if body is None:
            return error(413, "too_large", f"the body is over {limits.max_body_bytes} bytes: split it")
        answer = await exporter.export(
            signal,
            body,
            request.headers.get("content-type", ""),
            request.headers.get("content-encoding", ""),
        )
        return Response(answer.body, answer.status, headers=answer.headers, media_type=answer.content_type)

    return router
