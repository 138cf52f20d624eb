"""``GET /tap?route=R`` or ``?sink=S``: a live, sampled NDJSON stream of the events passing by.

Each line is ``{"route", "sink", "event"}``. ``rate`` caps the events per second (a sample:
the rest are skipped), ``limit`` ends the stream after that many lines; otherwise it runs until
the client disconnects or the server stops. A reader too slow for the stream loses lines; it
never slows the pipeline. The hub is reached through ``TapHub``, a structural port: this module
imports no adapter. Auth is the app's, like every endpoint but ``/health``.

| case | answer |
|---|---|
| a route in force or a configured sink | ``200``, ``application/x-ndjson``, streamed |
| neither or both of ``route`` and ``sink``, a bad ``rate`` or ``limit`` | ``422`` |
| no route of that name in force, no sink of that name | ``404`` |
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, final

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from pipeflow.interfaces.http.models import ErrorOut
from pipeflow.interfaces.http.responses import error

NDJSON = "application/x-ndjson"
"""The media type of the stream."""


class TapStream(Protocol):
    """One subscription: the lines tapped for it, until it is closed or the hub ends it."""

    def __aiter__(self) -> AsyncIterator[Mapping[str, object]]:
        """The lines as they come."""
        ...

    def close(self) -> None:
        """Unsubscribe (idempotent)."""
        ...


class TapHub(Protocol):
    """The runtime's tap as the API sees it."""

    def subscribe(self, kind: Literal["route", "sink"], name: str, *, rate: float) -> TapStream:
        """A new subscription to one route's or one sink's events at ``rate`` events/s."""
        ...


@final
@dataclass(frozen=True, slots=True)
class TapView:
    """The hub, and the names a tap may watch: the routes in force now, the configured sinks."""

    hub: TapHub
    routes: Callable[[], Collection[str]]
    sinks: Collection[str]


class _TapResponse(StreamingResponse):
    """A streaming response that closes its subscription however the response ends."""

    def __init__(self, stream: TapStream, limit: int | None) -> None:
        super().__init__(_lines(stream, limit), media_type=NDJSON, headers={"Cache-Control": "no-store"})
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream, then unsubscribe (also on a disconnect or a cancellation)."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._stream.close()


async def _lines(stream: TapStream, limit: int | None) -> AsyncIterator[bytes]:
    sent = 0
    async for line in stream:
        yield orjson.dumps(line) + b"\n"
        sent += 1
        if limit is not None and sent >= limit:
            return


def tap_router(view: TapView) -> APIRouter:
    """``GET /tap``."""
    router = APIRouter(tags=["operations"])

    @router.get(
        "/tap",
        response_class=StreamingResponse,
        responses={
            200: {"content": {NDJSON: {}}, "description": 'NDJSON lines `{"route", "sink", "event"}`'},
            404: {"model": ErrorOut, "description": "No route in force or sink of that name"},
            422: {"model": ErrorOut, "description": "Neither or both of route and sink, or a bad value"},
        },
    )
    async def tap(
        route: str | None = Query(None, description="Watch the events this route sends to its sinks."),
        sink: str | None = Query(None, description="Watch the events sent to this sink."),
        rate: float = Query(10.0, gt=0, le=100_000, description="At most this many events per second."),
        limit: int | None = Query(None, ge=1, description="End the stream after this many events."),
    ) -> Response:
        """A live, sampled stream of the events passing one route or going to one sink."""
        if (route is None) == (sink is None):
            return error(422, "invalid", "give exactly one of the query parameters route and sink")
        if route is not None:
            if route not in view.routes():
                return error(404, "not_found", f"route {route!r} not found in the route table in force")
            return _TapResponse(view.hub.subscribe("route", route, rate=rate), limit)
        assert sink is not None
        if sink not in view.sinks:
            return error(404, "not_found", f"sink {sink!r} not found among the configured sinks")
        return _TapResponse(view.hub.subscribe("sink", sink, rate=rate), limit)

    return router


__all__ = ["NDJSON", "TapHub", "TapStream", "TapView", "tap_router"]
