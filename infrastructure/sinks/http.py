"""``HttpSink``: POSTs NDJSON batches, each request keyed so the receiver can drop a resend."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import final

import httpx

from pipeflow.domain.events import Event
from pipeflow.infrastructure.sinks.encode import encode_ndjson
from pipeflow.infrastructure.sinks.http_pool import HttpPool
from pipeflow.infrastructure.sinks.posting import post_checked

__all__ = ["HttpSink", "idempotency_key"]


def idempotency_key(event_ids: Sequence[str]) -> str:
    """The ``Idempotency-Key`` of a request: a SHA-256 of its event ids, in order.

    >>> idempotency_key(["a", "b"]) == idempotency_key(["a", "b"]) != idempotency_key(["b", "a"])
    True
    """
    return hashlib.sha256("\n".join(event_ids).encode()).hexdigest()


@final
class HttpSink:
    """POSTs the events' fields as NDJSON to ``url``, in requests of at most ``batch_size`` events.

    Each request carries ``Idempotency-Key`` (see ``idempotency_key``) and ``X-Pipeflow-Event-Ids``
    (the ids, comma-separated), so a receiver can drop what it already has when the runtime
    resends a batch. ``headers`` (e.g. ``Authorization``) go on every request. One attempt per
    ``write``: a non-2xx answer, a network error or a request over ``timeout_s`` is a ``SinkError``.
    Keep ``batch_size`` so the id header stays under the receiver's header limit (about 27 bytes an id).
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        batch_size: int = 100,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.name = name
        self._url = url
        self._batch_size = batch_size
        self._timeout_s = timeout_s
        self._pool = HttpPool(
            f"http sink {name!r}",
            headers={"Content-Type": "application/x-ndjson", **(headers or {})},
            timeout_s=timeout_s,
            transport=transport,
        )

    async def open(self) -> None:
        """Create the connection pool."""
        self._pool.open()

    async def write(self, events: Sequence[Event]) -> None:
        """POST the batch in requests of at most ``batch_size`` events, in order.

        :raises SinkError: when a request failed; ``written`` counts the events sent before it.
        :raises RuntimeError: when the sink is not open (a bug in the caller).
        """
        client = self._pool.client()
        for start in range(0, len(events), self._batch_size):
            await self._post(client, events[start : start + self._batch_size], written=start)

    async def _post(self, client: httpx.AsyncClient, chunk: Sequence[Event], *, written: int) -> None:
        ids = [e.id for e in chunk]
        headers = {"Idempotency-Key": idempotency_key(ids), "X-Pipeflow-Event-Ids": ",".join(ids)}
        await post_checked(
            client,
            self._url,
            encode_ndjson(chunk),
            sink=self.name,
            timeout_s=self._timeout_s,
            written=written,
            headers=headers,
        )

    async def close(self) -> None:
        """Close the connection pool."""
        await self._pool.close()
