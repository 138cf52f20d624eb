"""Reading a request's body with a size limit, for the API's endpoints that take bodies of events.

(The sources that listen under ``run`` have their own, in ``infrastructure/sources/bodies.py``:
this package imports no adapter.)
"""

from __future__ import annotations

from fastapi import Request

__all__ = ["read_body"]


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or ``None`` as soon as it is known to be over ``limit`` bytes (read no further)."""
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
