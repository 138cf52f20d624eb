from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field

import anyio
import httpx
import pytest
from anyio.streams.memory import MemoryObjectReceiveStream

from pipeflow.domain.ports import SourceBatch
from pipeflow.infrastructure.sources.decode import Format
from pipeflow.infrastructure.sources.http import HttpSource
from tests.fakes import CountingIds, FakeClock


@dataclass
class Running:
    url: str
    source: HttpSource
    batches: MemoryObjectReceiveStream[SourceBatch]
    client: httpx.AsyncClient
    responses: list[httpx.Response] = field(default_factory=list)

    async def post(self, body: bytes, path: str = "/ingest") -> None:
        self.responses.append(await self.client.post(self.url + path, content=body))


@asynccontextmanager
async def running(fmt: Format = "ndjson", *, ack_timeout_s: float) -> AsyncIterator[Running]:
    """The source under a consumer that forwards its batches to the test (unbuffered: the test pulls)."""
    source = HttpSource(
        "web",
        "127.0.0.1",
        0,
        format=fmt,
        ids=CountingIds(),
        clock=FakeClock(7.0),
        max_body_bytes=1000,
        ack_timeout_s=ack_timeout_s,
    )
    send, receive = anyio.create_memory_object_stream[SourceBatch](0)

    async def consume() -> None:
        async with send, aclosing(source.batches()) as stream:
            async for batch in stream:
                await send.send(batch)

    async with anyio.create_task_group() as tg, httpx.AsyncClient(timeout=10) as client, receive:
        tg.start_soon(consume)
        host, port = await source.bound_address()
        yield Running(f"http://{host}:{port}", source, receive, client)
        source.stop()


async def test_202_comes_only_after_the_ack_with_the_counts() -> None:
    with anyio.fail_after(10):
        async with running(ack_timeout_s=5) as run, anyio.create_task_group() as tg:
            tg.start_soon(run.post, b'{"a": 1}\n[1]\n{"b": "x"}\n\n')
            batch = await run.batches.receive()
            assert [e.fields for e in batch.events] == [{"a": 1}, {"b": "x"}]
            # Ids in line order: the rejected line has one too (its dead letter's).
            assert [e.id for e in batch.events] == ["id-000001", "id-000003"]
            assert batch.events[0].meta.source == "web"
            assert [(r.reason, r.id) for r in batch.rejected] == [("not a JSON object: list", "id-000002")]
            await anyio.sleep(0.2)
            assert run.responses == []  # still waiting for the ack
            assert batch.ack is not None
            batch.ack()
        [response] = run.responses
        assert response.status_code == 202
        assert response.json() == {"accepted": 2, "rejected": 1}


async def test_lines_format_on_the_root_path() -> None:
    with anyio.fail_after(10):
        async with running("lines", ack_timeout_s=5) as run, anyio.create_task_group() as tg:
            tg.start_soon(run.post, b"first\r\nsecond", "/")
            batch = await run.batches.receive()
            assert [e.fields for e in batch.events] == [{"message": "first"}, {"message": "second"}]
            assert batch.ack is not None
            batch.ack()
        assert run.responses[0].json() == {"accepted": 2, "rejected": 0}


async def test_no_ack_in_time_is_503() -> None:
    with anyio.fail_after(10):
        async with running(ack_timeout_s=0.3) as run, anyio.create_task_group() as tg:
            tg.start_soon(run.post, b'{"a": 1}\n')
            await run.batches.receive()  # taken, never acknowledged
        [response] = run.responses
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"


async def test_a_runtime_that_does_not_take_the_batch_is_429() -> None:
    source = HttpSource("web", "127.0.0.1", 0, ids=CountingIds(), clock=FakeClock(), ack_timeout_s=0.3)
    answers: dict[int, httpx.Response] = {}
    first_answered = anyio.Event()
    with anyio.fail_after(10):
        async with httpx.AsyncClient(timeout=10) as client, anyio.create_task_group() as tg:

            async def post(n: int) -> None:
                host, port = await source.bound_address()
                answers[n] = await client.post(f"http://{host}:{port}/", content=b'{"n": %d}' % n)
                if n == 1:
                    first_answered.set()

            tg.start_soon(post, 1)
            async with aclosing(source.batches()) as stream:  # scopes nest: the stream closes first
                batch = await stream.__anext__()  # the runtime takes one batch, then is busy
                assert batch.events[0].fields == {"n": 1}
                await post(2)
                await first_answered.wait()
            # closing the stream while it is suspended at a yield ends it cleanly
    assert (answers[1].status_code, answers[2].status_code) == (503, 429)
    assert answers[2].json() == {"error": "the pipeline is busy"}
    assert answers[2].headers["retry-after"] == "1"


async def test_a_body_over_the_limit_is_413_and_nothing_is_handed_off() -> None:
    async def chunked() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b'{"pad": "' + b"x" * 90 + b'"}\n'

    with anyio.fail_after(10):
        async with running(ack_timeout_s=5) as run:
            await run.post(b"x" * 1001)
            run.responses.append(await run.client.post(run.url + "/ingest", content=chunked()))
            health = await run.client.get(run.url + "/health")
        assert [r.status_code for r in run.responses] == [413, 413]
        assert run.responses[0].json() == {"error": "body over 1000 bytes"}
        assert health.json() == {"status": "ok"}


async def test_an_empty_body_is_202_with_nothing_handed_off() -> None:
    with anyio.fail_after(10):
        async with running(ack_timeout_s=5) as run:
            await run.post(b"\n\n")
        assert run.responses[0].status_code == 202
        assert run.responses[0].json() == {"accepted": 0, "rejected": 0}


async def test_after_stop_the_source_ends_and_the_port_is_closed() -> None:
    with anyio.fail_after(10):
        async with running(ack_timeout_s=5) as run:
            url = run.url
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient() as client:
                await client.post(url + "/ingest", content=b"{}")
