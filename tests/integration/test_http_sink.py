from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.http import HttpSink, idempotency_key
from pipeflow.infrastructure.sources.asgi_server import AsgiServer


@dataclass
class Recorder:
    """An HTTP receiver that records each request and answers with the next scripted status."""

    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    hold: anyio.Event | None = None  # when set, requests wait for it before answering

    async def endpoint(self, request: Request) -> Response:
        self.requests.append((dict(request.headers), await request.body()))
        if self.hold is not None:
            await self.hold.wait()
        status = self.statuses.pop(0) if self.statuses else 200
        return Response("nope" if status >= 300 else "", status_code=status)


@asynccontextmanager
async def serving(recorder: Recorder) -> AsyncIterator[str]:
    app = Starlette(routes=[Route("/in", recorder.endpoint, methods=["POST"])])
    server = AsgiServer(app, "127.0.0.1", 0, graceful_s=1)
    host, port = server.bind()
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve)
        try:
            yield f"http://{host}:{port}/in"
        finally:
            if recorder.hold is not None:
                recorder.hold.set()
            server.stop()


def events(n: int) -> list[Event]:
    return [Event(EventId(f"01ID{i:04d}"), EventMeta("src", 1.0), {"i": i, "msg": "ü"}) for i in range(n)]


async def test_batches_are_posted_as_ndjson_with_idempotency_headers() -> None:
    with anyio.fail_after(15):
        recorder = Recorder()
        async with serving(recorder) as url:
            sink = HttpSink("out", url, headers={"Authorization": "Bearer t"}, batch_size=2, timeout_s=5)
            await sink.open()
            batch = events(5)
            await sink.write(batch)
            await sink.close()
        assert len(recorder.requests) == 3
        for (headers, body), chunk in zip(
            recorder.requests, [batch[0:2], batch[2:4], batch[4:]], strict=True
        ):
            ids = [e.id for e in chunk]
            assert headers["authorization"] == "Bearer t"
            assert headers["content-type"] == "application/x-ndjson"
            assert headers["x-pipeflow-event-ids"] == ",".join(ids)
            assert headers["idempotency-key"] == idempotency_key(ids)
            assert [orjson.loads(line) for line in body.splitlines()] == [e.fields for e in chunk]


async def test_a_resent_batch_carries_the_same_key() -> None:
    with anyio.fail_after(15):
        recorder = Recorder()
        async with serving(recorder) as url:
            sink = HttpSink("out", url, timeout_s=5)
            await sink.open()
            await sink.write(events(3))
            await sink.write(events(3))
            await sink.close()
        keys = [h["idempotency-key"] for h, _ in recorder.requests]
        assert len(keys) == 2
        assert keys[0] == keys[1]


async def test_a_500_is_a_retryable_sink_error() -> None:
    with anyio.fail_after(15):
        recorder = Recorder(statuses=[500])
        async with serving(recorder) as url:
            sink = HttpSink("out", url, timeout_s=5)
            await sink.open()
            with pytest.raises(SinkError, match="HTTP 500") as info:
                await sink.write(events(2))
            await sink.close()
        assert info.value.retryable
        assert info.value.written == 0


async def test_a_failure_in_a_later_chunk_says_how_much_was_written() -> None:
    with anyio.fail_after(15):
        recorder = Recorder(statuses=[202, 503])
        async with serving(recorder) as url:
            sink = HttpSink("out", url, batch_size=2, timeout_s=5)
            await sink.open()
            with pytest.raises(SinkError, match="HTTP 503") as info:
                await sink.write(events(5))
            await sink.close()
        assert info.value.written == 2
        assert len(recorder.requests) == 2  # one attempt per write: nothing after the failure


async def test_a_400_is_not_retryable() -> None:
    with anyio.fail_after(15):
        recorder = Recorder(statuses=[400])
        async with serving(recorder) as url:
            sink = HttpSink("out", url, timeout_s=5)
            await sink.open()
            with pytest.raises(SinkError, match=r"HTTP 400 .*: nope") as info:
                await sink.write(events(1))
            await sink.close()
        assert not info.value.retryable


async def test_a_receiver_slower_than_the_timeout_is_a_sink_error() -> None:
    with anyio.fail_after(15):
        recorder = Recorder(hold=anyio.Event())
        async with serving(recorder) as url:
            sink = HttpSink("out", url, timeout_s=0.3)
            await sink.open()
            with pytest.raises(SinkError, match=r"no answer within 0\.3s|ReadTimeout"):
                await sink.write(events(1))
            await sink.close()


async def test_a_refused_connection_is_a_sink_error() -> None:
    with anyio.fail_after(15):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]  # bound but not listening: connections are refused
            sink = HttpSink("out", f"http://127.0.0.1:{port}/", timeout_s=5)
            await sink.open()
            with pytest.raises(SinkError, match="ConnectError") as info:
                await sink.write(events(1))
            await sink.close()
        assert info.value.retryable
