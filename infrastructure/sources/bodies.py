"""Reading a request's body with a size limit, for the sources that listen over HTTP."""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["read_limited"]


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The request's body, or ``None`` as soon as it is known to be over ``limit`` bytes (read no
    further: a declared ``Content-Length`` over the limit is refused before reading)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
