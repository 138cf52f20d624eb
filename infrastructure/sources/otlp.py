"""``OtlpSource``: a standalone OTLP/HTTP receiver (``POST /v1/logs``, ``/v1/metrics``, ``/v1/traces``).

The protocol (decoding, answers, backpressure) is ``OtlpReceiver``'s, shared with ``serve``'s
``/otlp/{source}/v1/...``; this module adds the server of ``run``: its socket, the ``413`` of a
body over ``max_body_bytes`` (read no further than the limit), and the batches' hand-over to the
runtime. A request is answered once its events are delivered or dead-lettered.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import final

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pipeflow.domain.ports import Clock, IdFactory, SourceBatch
from pipeflow.infrastructure.otlp.receiver import OtlpReceiver
from pipeflow.infrastructure.otlp.wire import status_body
from pipeflow.infrastructure.sources.asgi_server import AsgiServer
from pipeflow.infrastructure.sources.bodies import read_limited
from pipeflow.infrastructure.sources.ingest import DEFAULT_MAX_IN_FLIGHT, IngestSource
from pipeflow.infrastructure.sources.net import NetControl, NetListener

__all__ = ["OtlpSource"]


@final
class OtlpSource(NetListener):
    """Listens on ``host:port`` (default ``127.0.0.1:4318``) for OTLP/HTTP export requests.

    Iterate ``batches()`` under ``contextlib.aclosing`` (the server's task group lives in it). On
    ``stop()`` new requests get 503; requests already queued are delivered and answered.
    """

    def __init__(
        self,
        name: str,
        host: str = "127.0.0.1",
        port: int = 4318,
        *,
        ids: IdFactory,
        clock: Clock,
        max_body_bytes: int = 10 << 20,
        max_events: int = DEFAULT_MAX_IN_FLIGHT,
        ack_timeout_s: float = 30.0,
    ) -> None:
        self.name = name
        self._host, self._port = host, port
        self._max_body_bytes = max_body_bytes
        self._ack_timeout_s = ack_timeout_s
        self._queue = IngestSource(name, ids=ids, clock=clock, max_events=max_events)
        self.receiver = OtlpReceiver(
            self._queue, ids=ids, clock=clock, max_body_bytes=max_body_bytes, ack_timeout_s=ack_timeout_s
        )
        self._control = NetControl(max_batch=1)

    def stop(self) -> None:
        """Take no more requests; what is queued is still delivered (and answered), then the source ends."""
        self._queue.stop()
        self._control.stop()

    async def batches(self) -> AsyncGenerator[SourceBatch, None]:
        """One batch per export request until ``stop()``.

        :raises OSError: when the address cannot be bound.
        """
        server = AsgiServer(self._app(), self._host, self._port, graceful_s=self._ack_timeout_s + 1)
        try:
            self._control.set_bound(server.bind())
        except OSError:
            self._queue.close()
            raise
        abandoned = False
        queued = self._queue.batches()
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.serve)
            try:
                async for batch in queued:
                    try:
                        yield batch
                    except GeneratorExit:
                        # Closed by the consumer: leave the task group normally (anyio would
                        # wrap GeneratorExit in an ExceptionGroup) and stop hard below.
                        abandoned = True
                        return
            finally:
                self._queue.close()  # requests not yet queued get 503
                await queued.aclose()
                server.stop()  # requests waiting for their ack are still answered, unless:
                if abandoned:
                    tg.cancel_scope.cancel()  # nobody is left to acknowledge them

    def _app(self) -> Starlette:
        async def export(request: Request) -> Response:
            body = await read_limited(request, self._max_body_bytes)
            if body is None:
                reason = f"the body is over {self._max_body_bytes} bytes: send smaller exports"
                return Response(status_body(reason, "json"), 413, media_type="application/json")
            answer = await self.receiver.export(
                request.path_params["signal"],
                body,
                request.headers.get("content-type", ""),
                request.headers.get("content-encoding", ""),
            )
            return Response(
                answer.body, answer.status, headers=answer.headers, media_type=answer.content_type
            )

        async def health(_request: Request) -> Response:
            return JSONResponse({"status": "ok"})

        return Starlette(
            routes=[
                Route("/v1/{signal:str}", export, methods=["POST"]),
                Route("/health", health, methods=["GET"]),
            ]
        )
