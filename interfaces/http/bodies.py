"""Reading a request's body with a size limit, for the API's endpoints that take bodies of events.

(The sources that listen under ``run`` have their own, in ``infrastructure/sources/bodies.py``:
this package imports no adapter.)
"""

from __future__ import annotations

from fastapi import Request
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope

__all__ = ["read_body", "read_raw_body"]


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or ``None`` as soon as it is known to be over ``limit`` bytes (read no further)."""
    return await read_raw_body(request.scope, request.receive, limit)


async def read_raw_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """``read_body`` on the raw ASGI calls (an endpoint served ahead of the framework uses it alone).

    :raises ClientDisconnect: when the client went away before the whole body came.
    """
    declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: nothing of it is kept
            raise ClientDisconnect
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
