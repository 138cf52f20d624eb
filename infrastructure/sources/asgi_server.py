"""``AsgiServer``: uvicorn serving an ASGI app on a socket it binds itself, inside our task group.

Binding first means the port is known (port 0 picks a free one) and a port in use is an
``OSError`` for the caller, not uvicorn's ``sys.exit``. Signal handling is left to the runtime:
uvicorn's own SIGINT/SIGTERM capture is switched off.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import final

import uvicorn
from starlette.types import ASGIApp

__all__ = ["AsgiServer"]


class _Server(uvicorn.Server):
    """uvicorn's server without its signal handlers (the runtime owns SIGINT and SIGTERM)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install nothing."""
        yield


@final
class AsgiServer:
    """Serves ``app`` over HTTP/1.1 on ``host:port`` until ``stop()``; asyncio backend only.

    ``graceful_s`` bounds how long a stop waits for requests in flight to be answered.
    """

    def __init__(self, app: ASGIApp, host: str, port: int, *, graceful_s: float = 5.0) -> None:
        self._host = host
        self._port = port
        self._sock: socket.socket | None = None
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=max(1, round(graceful_s)),
        )
        self._server = _Server(config)

    def bind(self) -> tuple[str, int]:
        """Bind the listening socket now (idempotent) and return its address.

        :raises OSError: when the address cannot be bound (in use, not local).
        """
        if self._sock is None:
            family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
            self._sock = socket.create_server((self._host, self._port), family=family)
            # asyncio does not set TCP_NODELAY on a socket made with proto 0: without it every
            # keep-alive answer waits ~40 ms for the peer's delayed ACK (Nagle).
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    async def serve(self) -> None:
        """Serve until ``stop()``, then answer what is in flight and close.

        :raises OSError: when the address cannot be bound.
        """
        self.bind()
        sock = self._sock
        assert sock is not None
        try:
            await self._server.serve(sockets=[sock])
        finally:
            self._close_all(sock)

    def stop(self) -> None:
        """Ask the server to stop accepting and finish (it does so within about 0.1 s)."""
        self._server.should_exit = True

    def _close_all(self, sock: socket.socket) -> None:
        # After a clean shutdown this is a no-op; after a cancellation it releases the socket
        # and the open connections so nothing leaks.
        for server in getattr(self._server, "servers", []):
            server.close()
        for connection in list(self._server.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.close()
        sock.close()
