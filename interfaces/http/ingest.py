"""``POST /ingest/{source}``: NDJSON into the running topology; 202 only once the batch is delivered.

| case | answer |
|---|---|
| every event written by its sinks, or dead-lettered | ``202`` ``{"accepted", "dead_lettered"}`` |
| the source's buffer cannot hold the batch | ``429`` with ``Retry-After``; nothing was kept |
| the body is over the size limit | ``413``; nothing was read further or kept |
| no ingest source of that name | ``404`` |
| queued but not delivered within the timeout, or the server is stopping | ``503`` with ``Retry-After`` |
| queued but never deliverable (its dead letters could not be stored) | ``503`` at once, with why |

Malformed lines (invalid JSON, not an object, too long) go to the dead-letter queue with the
batch and are counted in ``dead_lettered``. The queue is reached through ``IngestQueue``, a
structural port: this module imports no adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from pipeflow.interfaces.http.bodies import read_body
from pipeflow.interfaces.http.models import ErrorOut
from pipeflow.interfaces.http.responses import error


class IngestTicket(Protocol):
    """A queued batch: what was decoded from the body, and a wait for its delivery."""

    @property
    def accepted(self) -> int:
        """Events decoded from the body."""
        ...

    @property
    def rejected(self) -> int:
        """Malformed lines (dead-lettered with the batch)."""
        ...

    @property
    def failure(self) -> str | None:
        """Why the batch can never be delivered, when that is known (``wait`` then returns early)."""
        ...

    async def wait(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for delivery; whether it happened."""
        ...


class IngestQueue(Protocol):
    """An ingest source as the API sees it: offers never wait."""

    def offer(self, body: bytes) -> IngestTicket | Literal["full", "closed"]:
        """Decode ``body`` into one batch and queue it, or say why not."""
        ...


@final
@dataclass(frozen=True, slots=True)
class IngestLimits:
    """The size limit of a body, how long a request waits for delivery, and the ``Retry-After``."""

    max_body_bytes: int = 10 << 20
    ack_timeout_s: float = 30.0
    retry_after_s: int = 1


class IngestOut(BaseModel):
    """The answer to an accepted batch."""

    accepted: int = Field(description="Events taken into the pipelines (written or dead-lettered).")
    dead_lettered: int = Field(description="Malformed lines, sent to the dead-letter queue.")


def _retry(status: int, code: str, message: str, after: int) -> JSONResponse:
    answer = error(status, code, message)
    answer.headers["Retry-After"] = str(after)
    return answer


async def ingest_answer(
    queue: IngestQueue, body: bytes | None, limits: IngestLimits, content_encoding: str = ""
) -> JSONResponse:
    """The answer to a body (``None``: over the size limit) for ``queue``: the route's and the lane's.

    A body must come as it is (``Content-Encoding`` none or ``identity``): a compressed one would
    be read as garbage and dead-lettered line by line, so it is refused whole (415).
    """
    if content_encoding.strip().lower() not in ("", "identity"):
        message = f"unsupported Content-Encoding {content_encoding!r}: send the NDJSON uncompressed"
        return error(415, "unsupported_encoding", message)
    if body is None:
        return error(413, "too_large", f"the body is over {limits.max_body_bytes} bytes: split it")
    ticket = queue.offer(body)
    if ticket == "full":
        return _retry(429, "busy", "the buffers are full: retry later", limits.retry_after_s)
    if ticket == "closed":
        return _retry(503, "stopping", "the server is shutting down", limits.retry_after_s)
    if not await ticket.wait(limits.ack_timeout_s):
        if ticket.failure is not None:
            message = f"not delivered: {ticket.failure}: resend (at least once)"
            return _retry(503, "not_delivered", message, limits.retry_after_s)
        return _retry(
            503,
            "not_delivered",
            f"queued but not delivered within {limits.ack_timeout_s}s: resend (at least once)",
            limits.retry_after_s,
        )
    return JSONResponse({"accepted": ticket.accepted, "dead_lettered": ticket.rejected}, status_code=202)


def ingest_router(queues: Mapping[str, IngestQueue], limits: IngestLimits = IngestLimits()) -> APIRouter:
    """The ``/ingest/{source}`` endpoint, feeding the named queues."""
    router = APIRouter(prefix="/ingest", tags=["ingest"])
    errors: dict[int | str, dict[str, object]] = {c: {"model": ErrorOut} for c in (404, 413, 415, 429, 503)}

    @router.post(
        "/{source}",
        status_code=202,
        response_model=IngestOut,
        responses=errors,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            }
        },
    )
    async def ingest(source: str, request: Request) -> JSONResponse:
        """Send NDJSON events (one JSON object a line) into the topology through ``source``."""
        queue = queues.get(source)
        if queue is None:
            return error(404, "not_found", f"no ingest source {source!r} (an http source of the config)")
        body = await read_body(request, limits.max_body_bytes)
        return await ingest_answer(queue, body, limits, request.headers.get("content-encoding", ""))

    return router


__all__ = ["IngestLimits", "IngestOut", "IngestQueue", "IngestTicket", "ingest_answer", "ingest_router"]
