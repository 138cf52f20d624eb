"""What the network sources share: stopping, the bound address, batching what arrives, UDP.

A source's ``batches()`` is an async generator, so a cancel scope must never be open across one
of its ``yield``s (the consumer's code would run inside it). ``NetControl.collect`` therefore
opens its scope only around the waits for input, and ``stop()`` cancels that scope: a source
waiting for input ends at once, one collecting a batch yields what it holds, then ends.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TypeVar, final

import anyio
from anyio import TypedAttributeProvider
from anyio.abc import SocketAttribute

__all__ = [
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_DELAY_S",
    "NetControl",
    "NetListener",
    "local_address",
    "udp_datagrams",
]

_T = TypeVar("_T")

DEFAULT_MAX_BATCH = 512
"""At most this many items (datagrams, messages) in a batch."""

DEFAULT_MAX_DELAY_S = 0.05
"""A batch holds what arrived within this many seconds of its first item."""


def local_address(provider: TypedAttributeProvider) -> tuple[str, int]:
    """The ``(host, port)`` a socket or listener is bound to."""
    address = provider.extra(SocketAttribute.local_address)
    assert isinstance(address, tuple)
    return str(address[0]), int(address[1])


@final
class NetControl:
    """A source's stop switch, its bound address, and the batching of what it receives.

    A batch is what arrives within ``max_delay_s`` of its first item, at most ``max_batch`` items.
    """

    def __init__(
        self, *, max_batch: int = DEFAULT_MAX_BATCH, max_delay_s: float = DEFAULT_MAX_DELAY_S
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.max_batch = max_batch
        self.max_delay_s = max_delay_s
        self.stopping = False
        self._scope: anyio.CancelScope | None = None
        self._bound = anyio.Event()
        self._address: tuple[str, int] | None = None

    def stop(self) -> None:
        """Stop: cancel the wait for input in progress; the source ends after its current batch."""
        self.stopping = True
        if self._scope is not None:
            self._scope.cancel()

    def set_bound(self, address: tuple[str, int]) -> None:
        """Record the address the source listens on (wakes ``bound_address`` waiters)."""
        self._address = address
        self._bound.set()

    async def bound_address(self) -> tuple[str, int]:
        """The ``(host, port)`` the source listens on, once it does (port 0 resolved)."""
        await self._bound.wait()
        assert self._address is not None
        return self._address

    async def collect(self, receive: Callable[[], Awaitable[_T]]) -> tuple[list[_T], bool]:
        """The next batch from ``receive`` and whether the input is over (stopped or at its end).

        Waits without limit for the first item, then up to ``max_delay_s`` for more. ``receive``
        must lose nothing when cancelled (memory streams and anyio UDP sockets do not).
        """
        items: list[_T] = []
        if self.stopping:
            return items, True
        ended = False
        with anyio.CancelScope() as scope:
            self._scope = scope
            try:
                items.append(await receive())
                with anyio.move_on_after(self.max_delay_s):
                    while len(items) < self.max_batch:
                        items.append(await receive())
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                ended = True
            finally:
                self._scope = None
        return items, ended or self.stopping


class NetListener:
    """What every network source shares through its ``NetControl``: ``stop`` and ``bound_address``."""

    _control: NetControl

    def stop(self) -> None:
        """Stop listening: what is in hand (a batch, requests in flight) is finished, then the source ends."""
        self._control.stop()

    async def bound_address(self) -> tuple[str, int]:
        """The ``(host, port)`` listened on, once listening (port 0 is resolved here)."""
        return await self._control.bound_address()


async def udp_datagrams(control: NetControl, host: str, port: int) -> AsyncGenerator[list[bytes], None]:
    """Batches of datagrams received on ``host:port`` until ``control.stop()``.

    :raises OSError: when the address cannot be bound.
    """
    async with await anyio.create_udp_socket(local_host=host, local_port=port) as sock:
        control.set_bound(local_address(sock))

        async def receive() -> bytes:
            data, _sender = await sock.receive()
            return data

        while True:
            datagrams, ended = await control.collect(receive)
            if datagrams:
                yield datagrams
            if ended:
                return
