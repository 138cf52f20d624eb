"""``IngestLane``: ``POST /ingest/{source}`` answered ahead of the framework, for speed.

An ingest request is the one hot request of ``serve``: thousands a second, each a body of events.
Through FastAPI it crosses a dozen middleware layers, the router's matching and the endpoint's
wrappers, about as much CPU as the compiled loop spends on a body of a few hundred events. The
lane sits outermost, in front of the app: a ``POST`` to ``/ingest/<name>`` of a known source with
the right token is read and answered here, by ``ingest_answer``, the same function the route
calls, so the answers are the same byte for byte. Everything else (an unknown source, a missing
token, every other path) goes on to the app, which answers as it always did; the route stays
there too, for the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import final

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from pipeflow.interfaces.http.bearer import bearer_matches
from pipeflow.interfaces.http.bodies import read_raw_body
from pipeflow.interfaces.http.ingest import IngestLimits, IngestQueue, ingest_answer

_PREFIX = "/ingest/"


@final
class IngestLane:
    """ASGI: answers ingest requests itself; passes everything else to ``app``."""

    def __init__(
        self, app: ASGIApp, queues: Mapping[str, IngestQueue], limits: IngestLimits, *, token: str | None
    ) -> None:
        self._app, self._queues, self._limits = app, queues, limits
        self._token = None if token is None else token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An ingest request of a known source, with the token when one is set: here; else the app."""
        queue = self._queue(scope)
        if queue is None:
            await self._app(scope, receive, send)
            return
        try:
            body = await read_raw_body(scope, receive, self._limits.max_body_bytes)
        except ClientDisconnect:  # nobody to answer, and nothing of the body was kept
            return
        coding = next((v for k, v in scope["headers"] if k == b"content-encoding"), b"")
        answer = await ingest_answer(queue, body, self._limits, coding.decode("latin-1"))
        await answer(scope, receive, send)

    def _queue(self, scope: Scope) -> IngestQueue | None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        path: str = scope["path"]
        if not path.startswith(_PREFIX):
            return None
        queue = self._queues.get(path[len(_PREFIX) :])
        if queue is None or self._token is None:
            return queue
        given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        return queue if bearer_matches(given, self._token) else None


__all__ = ["IngestLane"]
