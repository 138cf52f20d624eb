"""``StatsdSource``: statsd metrics over UDP become metric events."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import final

from pipeflow.domain.events import Event, EventMeta
from pipeflow.domain.parsers.statsd import parse_statsd_line
from pipeflow.domain.ports import Clock, IdFactory, Rejected, SourceBatch
from pipeflow.infrastructure.sources.net import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_DELAY_S,
    NetControl,
    NetListener,
    udp_datagrams,
)

__all__ = ["StatsdSource"]


@final
class StatsdSource(NetListener):
    """Listens for statsd packets on UDP ``host:port``; each line of a packet is one metric event.

    The events are ``{"name", "value", "type", "tags", "sample_rate"}`` (see
    ``domain.parsers.statsd``); a line that is not a metric or not UTF-8 becomes a ``Rejected``
    with the reason. Batches hold the packets that arrived within ``max_delay_s`` (at most
    ``max_batch`` packets) and have no ``ack``: UDP cannot resend.
    """

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        *,
        ids: IdFactory,
        clock: Clock,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_delay_s: float = DEFAULT_MAX_DELAY_S,
    ) -> None:
        self.name = name
        self._host = host
        self._port = port
        self._ids = ids
        self._clock = clock
        self._control = NetControl(max_batch=max_batch, max_delay_s=max_delay_s)

    async def batches(self) -> AsyncGenerator[SourceBatch, None]:
        """Batches of metric events until ``stop()``.

        :raises OSError: when the address cannot be bound.
        """
        async with aclosing(udp_datagrams(self._control, self._host, self._port)) as packets:
            async for batch in packets:
                yield self._decode(batch)

    def _decode(self, packets: Sequence[bytes]) -> SourceBatch:
        meta = EventMeta(self.name, self._clock.now())
        events: list[Event] = []
        rejected: list[Rejected] = []
        for packet in packets:
            for raw in packet.split(b"\n"):
                if not raw.strip():
                    continue
                try:
                    metric = parse_statsd_line(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    metric = f"invalid UTF-8: {exc.reason} at byte {exc.start}"
                if isinstance(metric, str):
                    rejected.append(Rejected(raw, metric))
                else:
                    events.append(Event(self._ids.new_id(), meta, metric))
        return SourceBatch(self.name, events, rejected)
