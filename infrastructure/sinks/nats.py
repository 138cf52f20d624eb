"""``NatsSink``: publishes each event to a JetStream subject, with the event id as ``Nats-Msg-Id``."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import final

import anyio
import nats
import nats.errors
import orjson
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import PubAck

from pipeflow.domain.events import Event
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sources.nats import MSG_ID, ensure_stream

__all__ = ["NatsSink"]


@final
class NatsSink:
    """Publishes the events' fields, one JSON object per message, to ``subject`` on JetStream.

    Each message carries ``Nats-Msg-Id`` = the event id, so the stream drops a message it already
    stored within its duplicate window (two minutes by default): a batch the runtime resends after a
    failure, or an edge instance that re-reads a file after a crash, is stored once. A batch is
    published with up to ``max_pending`` acknowledgements outstanding and is written when the
    stream acknowledged every message; ``duplicates`` counts the messages the stream dropped.
    With ``stream`` the sink creates that stream on ``subject`` when missing (else some stream must
    already hold the subject).
    """

    def __init__(
        self,
        name: str,
        url: str,
        subject: str,
        *,
        stream: str | None = None,
        timeout_s: float = 10.0,
        max_pending: int = 4000,
    ) -> None:
        self.name = name
        self._url, self._subject, self._stream = url, subject, stream
        self._timeout_s, self._max_pending = timeout_s, max_pending
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self.duplicates = 0

    async def open(self) -> None:
        """Connect (and create the stream when ``stream`` was given).

        :raises nats.errors.Error: when the server cannot be reached or refuses the stream.
        """
        if self._nc is not None:
            return
        nc = await nats.connect(self._url, name=f"pipeflow sink {self.name}", max_reconnect_attempts=-1)
        js = nc.jetstream(publish_async_max_pending=self._max_pending)
        if self._stream is not None:
            try:
                await ensure_stream(js, self._stream, self._subject)
            except BaseException:
                await nc.close()
                raise
        self._nc, self._js = nc, js

    async def write(self, events: Sequence[Event]) -> None:
        """Publish the batch and wait for the stream's acknowledgements, in order.

        :raises SinkError: when a message was not acknowledged; ``written`` counts those before it.
        :raises RuntimeError: when the sink is not open (a bug in the caller).
        """
        js = self._js
        if js is None:
            raise RuntimeError(f"nats sink {self.name!r} written before open()")
        futures: list[asyncio.Future[PubAck]] = []
        written = 0
        try:
            with anyio.fail_after(self._timeout_s):
                for event in events:
                    payload = orjson.dumps(event.fields)
                    futures.append(await js.publish_async(self._subject, payload, headers={MSG_ID: event.id}))
                for future in futures:
                    ack = await future
                    self.duplicates += bool(ack.duplicate)
                    written += 1
        except TimeoutError:
            raise SinkError(self.name, f"no ack within {self._timeout_s}s", written=written) from None
        except nats.errors.Error as exc:
            raise SinkError(self.name, f"{type(exc).__name__}: {exc}", written=written) from exc
        finally:
            for future in futures:
                future.cancel()  # releases the client's pending slots of those never answered

    async def close(self) -> None:
        """Flush and disconnect."""
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None:
            await nc.close()
