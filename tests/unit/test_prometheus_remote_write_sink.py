"""The remote-write sink against a scripted receiver: what it sends, and how answers become errors."""

from __future__ import annotations

import httpx
import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.metric_samples import SampleFields
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.prometheus_remote_write import PrometheusRemoteWriteSink
from pipeflow.infrastructure.sinks.remote_write_encoding import decode_write_request
from tests.fakes import FakeClock


def _event(n: int, fields: JsonObject) -> Event:
    return Event(EventId(f"id-{n}"), EventMeta("s", 0.0), fields)


def _sink(answer: httpx.Response, seen: list[httpx.Request], **kwargs: object) -> PrometheusRemoteWriteSink:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    return PrometheusRemoteWriteSink(
        "prom",
        "http://receiver/api/v1/write",
        clock=FakeClock(at=1_700_000_000.25),
        transport=httpx.MockTransport(handle),
        **kwargs,  # type: ignore[arg-type]
    )


async def test_samples_go_out_snappy_protobuf_stamped_with_the_time_of_sending() -> None:
    seen: list[httpx.Request] = []
    sink = _sink(httpx.Response(204), seen, fields=SampleFields(timestamp="ts"), batch_size=2)
    await sink.open()
    await sink.write(
        [
            _event(1, {"name": "cpu.load", "value": 0.5, "tags": {"host": "a"}}),
            _event(2, {"name": "cpu.load", "value": 0.7, "tags": {"host": "a"}, "ts": 1_699_999_999}),
            _event(3, {"name": "up", "value": 1}),
        ]
    )
    await sink.close()
    assert [r.headers["content-encoding"] for r in seen] == ["snappy", "snappy"]
    assert seen[0].headers["x-prometheus-remote-write-version"] == "0.1.0"
    first, second = (decode_write_request(r.content) for r in seen)
    [series] = first.timeseries
    assert [(label.name, label.value) for label in series.labels] == [("__name__", "cpu_load"), ("host", "a")]
    assert [(p.timestamp, p.value) for p in series.samples] == [
        (1_699_999_999_000, 0.7),
        (1_700_000_000_250, 0.5),
    ]
    assert [(p.timestamp, p.value) for p in second.timeseries[0].samples] == [(1_700_000_000_250, 1.0)]


async def test_a_400_is_not_retryable_and_carries_the_receivers_message() -> None:
    seen: list[httpx.Request] = []
    sink = _sink(httpx.Response(400, text="out of bounds\n"), seen)
    await sink.open()
    with pytest.raises(SinkError) as error:
        await sink.write([_event(1, {"name": "m", "value": 1})])
    await sink.close()
    assert not error.value.retryable
    assert error.value.reason == "HTTP 400 from http://receiver/api/v1/write: out of bounds"


async def test_a_503_is_retryable() -> None:
    sink = _sink(httpx.Response(503), [])
    await sink.open()
    with pytest.raises(SinkError) as error:
        await sink.write([_event(1, {"name": "m", "value": 1})])
    await sink.close()
    assert error.value.retryable


async def test_the_sink_refuses_events_that_are_no_samples_and_a_write_of_one_fails_whole() -> None:
    seen: list[httpx.Request] = []
    sink = _sink(httpx.Response(204), seen)
    bad = _event(2, {"name": "m", "value": "high"})
    assert sink.invalid(_event(1, {"name": "m", "value": 1})) is None
    assert sink.invalid(bad) == "'value' is not a number: 'high'"
    await sink.open()
    with pytest.raises(SinkError) as error:
        await sink.write([_event(1, {"name": "m", "value": 1}), bad])
    await sink.close()
    assert not error.value.retryable
    assert seen == []
