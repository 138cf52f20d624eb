"""The connection pool of one HTTP sink: made at ``open``, closed at ``close``, asked for between."""

from __future__ import annotations

from collections.abc import Mapping
from typing import final

import httpx

__all__ = ["HttpPool"]


@final
class HttpPool:
    """An ``httpx.AsyncClient`` with the sink's headers and timeout, opened and closed with the sink."""

    __slots__ = ("_client", "_headers", "_timeout_s", "_transport", "_what")

    def __init__(
        self,
        what: str,
        *,
        headers: Mapping[str, str],
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._what = what
        self._headers = dict(headers)
        self._timeout_s = timeout_s
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def open(self) -> None:
        """Create the client (once: opening an open pool keeps it)."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                headers=self._headers, timeout=self._timeout_s, transport=self._transport
            )

    def client(self) -> httpx.AsyncClient:
        """The open client.

        :raises RuntimeError: when the pool is not open (a sink written before ``open``: a bug in the caller).
        """
        if self._client is None:
            raise RuntimeError(f"{self._what} written before open()")
        return self._client

    async def close(self) -> None:
        """Close the client, if open."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
