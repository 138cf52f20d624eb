"""``SyslogSource``: RFC 5424 and RFC 3164 messages over UDP or TCP become events."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from typing import Literal, TypeAlias, final

import anyio
from anyio.abc import SocketStream
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pipeflow.domain.events import Event, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.parsers.syslog import parse_syslog
from pipeflow.domain.ports import Clock, IdFactory, Rejected, SourceBatch
from pipeflow.infrastructure.sources.decode import DEFAULT_MAX_LINE_BYTES
from pipeflow.infrastructure.sources.net import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_DELAY_S,
    NetControl,
    NetListener,
    local_address,
    udp_datagrams,
)
from pipeflow.infrastructure.sources.syslog_framing import SyslogFramer

__all__ = ["SyslogProtocol", "SyslogSource"]

SyslogProtocol: TypeAlias = Literal["udp", "tcp"]
"""The transport a syslog source listens on."""

_Frame: TypeAlias = bytes | Rejected


@final
class SyslogSource(NetListener):
    """Listens on ``host:port`` and turns each syslog message into an event of its parsed fields.

    UDP: one message per datagram (RFC 5426). TCP: any number of connections, each framed by
    newlines or octet counting (RFC 6587), detected per message. A message that is not syslog, not
    UTF-8 or over ``max_line_bytes`` becomes a ``Rejected`` with the reason. Batches hold what
    arrived within ``max_delay_s`` (at most ``max_batch`` messages); they have no ``ack``: a
    network sender cannot be asked to resend. TCP senders are slowed down (not dropped) while the
    runtime is behind: at most ``buffer`` framed messages wait between the connections and it.

    Iterate ``batches()`` under ``contextlib.aclosing`` (the TCP listener's task group lives in it).
    """

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        *,
        protocol: SyslogProtocol = "udp",
        ids: IdFactory,
        clock: Clock,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_delay_s: float = DEFAULT_MAX_DELAY_S,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        buffer: int = 4096,
    ) -> None:
        self.name = name
        self._host = host
        self._port = port
        self._protocol = protocol
        self._ids = ids
        self._clock = clock
        self._max_line_bytes = max_line_bytes
        self._buffer = buffer
        self._control = NetControl(max_batch=max_batch, max_delay_s=max_delay_s)

    async def batches(self) -> AsyncGenerator[SourceBatch, None]:
        """Batches of parsed messages until ``stop()``.

        :raises OSError: when the address cannot be bound.
        """
        frames: AsyncGenerator[Sequence[_Frame], None]
        if self._protocol == "udp":
            frames = udp_datagrams(self._control, self._host, self._port)
        else:
            frames = self._tcp()
        async with aclosing(frames) as batches:
            async for batch in batches:
                yield self._decode(batch)

    def _decode(self, frames: Sequence[_Frame]) -> SourceBatch:
        meta = EventMeta(self.name, self._clock.now())
        events: list[Event] = []
        rejected: list[Rejected] = []
        limit = self._max_line_bytes
        for frame in frames:
            if isinstance(frame, Rejected):
                rejected.append(frame)
            elif len(frame) > limit:
                rejected.append(Rejected(frame[:limit], f"message over {limit} bytes ({len(frame)})"))
            elif frame.strip(b" \t\r\n\x00"):
                fields = _parse(frame)
                if isinstance(fields, str):
                    rejected.append(Rejected(frame, fields))
                else:
                    events.append(Event(self._ids.new_id(), meta, fields))
        return SourceBatch(self.name, events, rejected)

    async def _tcp(self) -> AsyncGenerator[list[_Frame], None]:
        control = self._control
        listener = await anyio.create_tcp_listener(local_host=self._host, local_port=self._port)
        send, receive = anyio.create_memory_object_stream[_Frame](self._buffer)
        async with listener, send, receive, anyio.create_task_group() as tg:
            control.set_bound(local_address(listener))

            async def handle(stream: SocketStream) -> None:
                await self._connection(stream, send)

            tg.start_soon(listener.serve, handle, tg)
            try:
                ended = False
                while not ended:
                    frames, ended = await control.collect(receive.receive)
                    if ended:
                        frames.extend(_pending(receive))  # already read from the network: keep it
                    if frames:
                        try:
                            yield frames
                        except GeneratorExit:
                            return  # leave the task group normally: anyio would wrap GeneratorExit
            finally:
                tg.cancel_scope.cancel()

    async def _connection(self, stream: SocketStream, send: MemoryObjectSendStream[_Frame]) -> None:
        framer = SyslogFramer(self._max_line_bytes)
        async with stream:
            try:
                async for chunk in stream:
                    for frame in framer.feed(chunk):
                        await send.send(frame)
                for frame in framer.end():
                    await send.send(frame)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                return  # the peer reset the connection, or the source is closing


def _parse(frame: bytes) -> JsonObject | str:
    try:
        text = frame.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8: {exc.reason} at byte {exc.start}"
    return parse_syslog(text)


def _pending(receive: MemoryObjectReceiveStream[_Frame]) -> list[_Frame]:
    frames: list[_Frame] = []
    while True:
        try:
            frames.append(receive.receive_nowait())
        except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
            return frames
