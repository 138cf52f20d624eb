"""``PrometheusRemoteWriteSink``: each event one sample, POSTed as Prometheus remote write 1.0."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import final

import httpx

from pipeflow.domain.events import Event
from pipeflow.domain.metric_samples import Sample, SampleFields, read_sample
from pipeflow.domain.ports import Clock
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.http_pool import HttpPool
from pipeflow.infrastructure.sinks.posting import body_text, post_checked
from pipeflow.infrastructure.sinks.remote_write_encoding import CONTENT_HEADERS, encode_write_request

__all__ = ["PrometheusRemoteWriteSink"]


@final
class PrometheusRemoteWriteSink:
    """POSTs the events' samples to a remote-write receiver (``.../api/v1/write``).

    An event is one sample (see ``read_sample``); one that is not is refused (``invalid``), so the
    runtime dead-letters it with the reason and writes the rest. A sample without
    ``fields.timestamp`` is stamped with ``clock`` at sending. Requests carry at most
    ``batch_size`` samples. A 5xx, 408, 425 or 429 answer, a network error or no answer within
    ``timeout_s`` is a retryable ``SinkError``; any other answer outside 2xx (Prometheus's 400 for
    an out-of-order or out-of-bounds sample) is not, and carries the receiver's message.
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        clock: Clock,
        fields: SampleFields | None = None,
        headers: Mapping[str, str] | None = None,
        batch_size: int = 500,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.name = name
        self._url = url
        self._clock = clock
        self._fields = fields or SampleFields()
        self._batch_size = batch_size
        self._timeout_s = timeout_s
        self._pool = HttpPool(
            f"prometheus_remote_write sink {name!r}",
            headers={**CONTENT_HEADERS, "User-Agent": "pipeflow", **(headers or {})},
            timeout_s=timeout_s,
            transport=transport,
        )

    async def open(self) -> None:
        """Create the connection pool."""
        self._pool.open()

    def invalid(self, event: Event) -> str | None:
        """Why ``event`` is no sample (no string name, no number, a gauge's change: remote write
        sends levels, and this sink keeps none), or ``None``."""
        sample = self._sample(event)
        return sample if isinstance(sample, str) else None

    def _sample(self, event: Event) -> Sample | str:
        sample = read_sample(event, self._fields)
        if isinstance(sample, Sample) and sample.delta:
            return (
                f"a gauge's change ({sample.value:+g}, 'delta': true) has no level to send: "
                "use the prometheus_exporter sink, or send the gauge's level"
            )
        return sample

    async def write(self, events: Sequence[Event]) -> None:
        """POST the samples in requests of at most ``batch_size``, in order.

        :raises SinkError: when a request failed (``written``: the events sent before it), or
            (not retryable) when an event is no sample.
        :raises RuntimeError: when the sink is not open (a bug in the caller).
        """
        client = self._pool.client()
        samples: list[Sample] = []
        for event in events:
            sample = self._sample(event)
            if isinstance(sample, str):
                raise SinkError(self.name, f"event {event.id}: {sample}", retryable=False)
            samples.append(sample)
        now_ms = round(self._clock.now() * 1000)
        for start in range(0, len(samples), self._batch_size):
            body = encode_write_request(samples[start : start + self._batch_size], now_ms)
            await self._post(client, body, written=start)

    async def _post(self, client: httpx.AsyncClient, body: bytes, *, written: int) -> None:
        detail = partial(body_text, limit=500)  # Prometheus says which sample it refused, and why
        await post_checked(
            client, self._url, body, sink=self.name, timeout_s=self._timeout_s, written=written, detail=detail
        )

    async def close(self) -> None:
        """Close the connection pool."""
        await self._pool.close()
