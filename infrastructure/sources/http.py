"""``HttpSource``: a standalone HTTP ingest server; a request is answered once its batch is delivered.

``POST /`` or ``POST /ingest`` with NDJSON (or plain lines) in the body. Each request is one
batch. The request waits while the batch is handed to the runtime and until the batch's ``ack``
is called (every event written by its sinks or dead-lettered), then gets ``202`` with
``{"accepted": events, "rejected": lines}``: a client that saw 202 may forget what it sent.

- ``429`` with ``Retry-After`` when the runtime did not take the batch within ``ack_timeout_s``
  (it is behind); nothing of the request was kept.
- ``503`` when the batch was taken but not acknowledged within ``ack_timeout_s``, or the source
  is stopping; the client should resend (sinks drop duplicates by id where they can). Also, with
  ``not delivered: <why>``, as soon as the batch can never be acknowledged (its dead letters could
  not be stored).
- ``413`` when the body is over ``max_body_bytes``. Malformed lines go to the dead-letter queue
  (as ``Rejected``) and are counted in the answer.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import final

import anyio
from anyio.streams.memory import MemoryObjectSendStream
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pipeflow.domain.ports import Clock, IdFactory, SourceBatch
from pipeflow.infrastructure.sources.asgi_server import AsgiServer
from pipeflow.infrastructure.sources.bodies import read_limited
from pipeflow.infrastructure.sources.decode import DEFAULT_MAX_LINE_BYTES, Format, decode_lines
from pipeflow.infrastructure.sources.net import NetControl, NetListener

__all__ = ["HttpSource"]


@final
@dataclass(slots=True)
class _Handoff:
    batch: SourceBatch
    acked: anyio.Event
    taken: bool = False  # set by the source when the runtime receives it


@final
class HttpSource(NetListener):
    """Listens on ``host:port`` (default ``127.0.0.1:8080``) for ingest requests; see the module doc.

    Iterate ``batches()`` under ``contextlib.aclosing`` (the server's task group lives in it). On
    ``stop()`` new requests are refused; requests whose batch was taken wait for their ``ack``.
    """

    def __init__(
        self,
        name: str,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        format: Format = "ndjson",
        ids: IdFactory,
        clock: Clock,
        max_body_bytes: int = 10 << 20,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        ack_timeout_s: float = 30.0,
    ) -> None:
        self.name = name
        self._host = host
        self._port = port
        self._format: Format = format
        self._ids = ids
        self._clock = clock
        self._max_body_bytes = max_body_bytes
        self._max_line_bytes = max_line_bytes
        self._ack_timeout_s = ack_timeout_s
        self._control = NetControl(max_batch=1)

    async def batches(self) -> AsyncGenerator[SourceBatch, None]:
        """One batch per ingest request until ``stop()``.

        :raises OSError: when the address cannot be bound.
        """
        send, receive = anyio.create_memory_object_stream[_Handoff](0)  # taken means received
        server = AsgiServer(self._app(send), self._host, self._port, graceful_s=self._ack_timeout_s + 1)
        try:
            self._control.set_bound(server.bind())
        except OSError:
            send.close()
            receive.close()
            raise
        abandoned = False
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.serve)
            try:
                ended = False
                while not ended:
                    handoffs, ended = await self._control.collect(receive.receive)
                    for handoff in handoffs:
                        handoff.taken = True
                        try:
                            yield handoff.batch
                        except GeneratorExit:
                            # Closed by the consumer: leave the task group normally (anyio would
                            # wrap GeneratorExit in an ExceptionGroup) and stop hard below.
                            abandoned = True
                            return
            finally:
                receive.close()  # requests still waiting to hand off get 503
                send.close()
                server.stop()  # requests waiting for their ack are still answered, unless:
                if abandoned:
                    tg.cancel_scope.cancel()  # nobody is left to acknowledge them

    def _app(self, send: MemoryObjectSendStream[_Handoff]) -> Starlette:
        async def ingest(request: Request) -> Response:
            return await self._ingest(request, send)

        async def health(_request: Request) -> Response:
            return JSONResponse({"status": "ok"})

        return Starlette(
            routes=[
                Route("/", ingest, methods=["POST"]),
                Route("/ingest", ingest, methods=["POST"]),
                Route("/health", health, methods=["GET"]),
            ]
        )

    async def _ingest(self, request: Request, send: MemoryObjectSendStream[_Handoff]) -> Response:
        coding = request.headers.get("content-encoding", "")
        if coding.strip().lower() not in ("", "identity"):  # compressed, it would be read as garbage
            refused = f"unsupported Content-Encoding {coding!r}: send the NDJSON uncompressed"
            return JSONResponse({"error": refused}, status_code=415)
        body = await read_limited(request, self._max_body_bytes)
        if body is None:
            return JSONResponse({"error": f"body over {self._max_body_bytes} bytes"}, status_code=413)
        events, rejected = decode_lines(
            body.split(b"\n"), self._format, self.name, self._ids, self._clock, self._max_line_bytes
        )
        counts = {"accepted": len(events), "rejected": len(rejected)}
        if not events and not rejected:
            return JSONResponse(counts, status_code=202)
        acked, settled = anyio.Event(), anyio.Event()
        failure: list[str] = []  # why the batch can never be acknowledged, once known

        def ack() -> None:
            acked.set()
            settled.set()

        def failed(reason: str) -> None:
            failure.append(reason)
            settled.set()

        handoff = _Handoff(SourceBatch(self.name, events, rejected, ack=ack, failed=failed), acked)
        with anyio.move_on_after(self._ack_timeout_s):
            try:
                await send.send(handoff)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                return _unavailable("the source is stopping")
            await settled.wait()
        if acked.is_set():
            return JSONResponse(counts, status_code=202)
        if failure:
            return _unavailable(f"not delivered: {failure[0]}")
        if not handoff.taken:
            return JSONResponse(
                {"error": "the pipeline is busy"}, status_code=429, headers={"Retry-After": "1"}
            )
        return _unavailable(f"not delivered within {self._ack_timeout_s}s")


def _unavailable(reason: str) -> Response:
    return JSONResponse({"error": reason}, status_code=503, headers={"Retry-After": "1"})
