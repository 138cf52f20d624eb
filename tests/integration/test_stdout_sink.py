from __future__ import annotations

import io

import anyio
import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.stdout import StdoutSink


def ev(i: int) -> Event:
    return Event(EventId(f"id-{i}"), EventMeta("src", 1.0), {"n": i, "msg": "é"})


class _ClosedPipe(io.BytesIO):
    def write(self, data: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")


async def test_batches_are_written_as_ndjson_and_the_stream_stays_open() -> None:
    with anyio.fail_after(10):
        stream = io.BytesIO()
        sink = StdoutSink("out", stream=stream)
        await sink.open()
        await sink.write([ev(1), ev(2)])
        await sink.write([])
        await sink.write([ev(3)])
        await sink.close()
        assert not stream.closed
        assert stream.getvalue().decode().splitlines() == [
            '{"n":1,"msg":"é"}',
            '{"n":2,"msg":"é"}',
            '{"n":3,"msg":"é"}',
        ]


async def test_a_closed_pipe_is_a_sink_error_that_is_not_retried() -> None:
    with anyio.fail_after(10):
        sink = StdoutSink("out", stream=_ClosedPipe())
        await sink.open()
        with pytest.raises(SinkError, match="output closed") as info:
            await sink.write([ev(1)])
        assert not info.value.retryable
