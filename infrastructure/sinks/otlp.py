"""``OtlpSink``: events as OTLP/HTTP protobuf export requests of one signal (logs, metrics or traces).

Events the ``otlp`` source made go out as they came in; on a ``logs`` sink any other event becomes
a log record whose body is its fields. A ``metrics`` or ``traces`` sink refuses an event that is
no data point or span (``invalid``: it is dead-lettered with the reason, the others are sent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import final

import httpx
from google.protobuf.message import DecodeError, Message
from google.rpc.status_pb2 import Status

from pipeflow.domain.events import Event
from pipeflow.infrastructure.otlp.fields import NotOtlp
from pipeflow.infrastructure.otlp.requests import logs_request, metrics_request, traces_request
from pipeflow.infrastructure.otlp.wire import Signal
from pipeflow.infrastructure.otlp.write import log_record, span
from pipeflow.infrastructure.otlp.write_metrics import metric
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.http_pool import HttpPool
from pipeflow.infrastructure.sinks.posting import post_checked

__all__ = ["OtlpSink"]


def _otlp_retryable(status: int) -> bool:
    """OTLP/HTTP: 429 and 5xx may be retried, any other 4xx may not."""
    return status == 429 or status >= 500


def _detail(response: httpx.Response) -> str:
    """The reason an OTLP receiver gave: its ``google.rpc.Status`` message, or the start of the body."""
    if response.headers.get("content-type", "").startswith("application/x-protobuf"):
        try:
            return Status.FromString(response.content).message
        except DecodeError:
            pass
    return response.text[:200].strip()


@final
class OtlpSink:
    """POSTs export requests of ``signal`` to ``url`` + ``/v1/<signal>``, ``batch_size`` events a request.

    One attempt per ``write``: a non-2xx answer, a network error or a request over ``timeout_s`` is a
    ``SinkError``, not retryable for a 4xx answer other than 429.
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        signal: Signal = "logs",
        headers: Mapping[str, str] | None = None,
        batch_size: int = 512,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.name = name
        self._signal: Signal = signal
        self._url = f"{url.rstrip('/')}/v1/{signal}"
        self._batch_size = batch_size
        self._timeout_s = timeout_s
        self._pool = HttpPool(
            f"otlp sink {name!r}",
            headers={"Content-Type": "application/x-protobuf", **(headers or {})},
            timeout_s=timeout_s,
            transport=transport,
        )

    def invalid(self, event: Event) -> str | None:
        """Why the sink cannot send ``event`` (a ``metrics`` or ``traces`` sink: no data point or span)."""
        try:
            self._request([event])
        except NotOtlp as exc:
            return f"otlp {self._signal} sink: {exc}"
        return None

    def _request(self, events: Sequence[Event]) -> Message:
        match self._signal:
            case "logs":
                return logs_request(log_record(e) for e in events)
            case "metrics":
                return metrics_request([metric(e.fields) for e in events])
            case "traces":
                return traces_request([span(e.fields) for e in events])

    async def open(self) -> None:
        """Create the connection pool."""
        self._pool.open()

    async def write(self, events: Sequence[Event]) -> None:
        """Send the batch in requests of at most ``batch_size`` events, in order.

        :raises SinkError: when a request failed (``written`` counts the events sent before it), or
            an event is no record of the sink's signal (not retryable).
        :raises RuntimeError: when the sink is not open (a bug in the caller).
        """
        client = self._pool.client()
        for start in range(0, len(events), self._batch_size):
            chunk = events[start : start + self._batch_size]
            try:
                body = self._request(chunk).SerializeToString()
            except NotOtlp as exc:
                raise SinkError(self.name, str(exc), retryable=False, written=start) from None
            await self._post(client, body, written=start)

    async def _post(self, client: httpx.AsyncClient, body: bytes, *, written: int) -> None:
        await post_checked(
            client,
            self._url,
            body,
            sink=self.name,
            timeout_s=self._timeout_s,
            written=written,
            detail=_detail,
            retryable=_otlp_retryable,
        )

    async def close(self) -> None:
        """Close the connection pool."""
        await self._pool.close()
