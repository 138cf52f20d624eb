"""``ElasticsearchSink``: ``_bulk`` ``create`` requests keyed by event id (Elasticsearch, OpenSearch).

Each document's answer is read on its own: 201 and 409 (a document with this ``_id`` is already
there) count as written; 429 and 5xx items are sent again, alone, a few times within the write;
any other item error refuses that document, and the runtime dead-letters it with Elasticsearch's
reason (``take_rejected``). A whole request answered 413 is split in halves, each sent again.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Sequence
from typing import Literal, final

import anyio
import httpx

from pipeflow.domain.events import Event
from pipeflow.domain.ports import Clock
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.es_bulk import bulk_body, error_text, read_items
from pipeflow.infrastructure.sinks.http_pool import HttpPool

__all__ = ["ElasticsearchSink", "auth_header"]

_RETRYABLE_4XX = frozenset({408, 425, 429})


def auth_header(
    *, user: str | None = None, password: str | None = None, api_key: str | None = None
) -> str | None:
    """The ``Authorization`` value: basic auth, or an API key (``id:key`` is base64-encoded first).

    >>> auth_header(user="elastic", password="pw")
    'Basic ZWxhc3RpYzpwdw=='
    >>> auth_header(api_key="id:key"), auth_header(api_key="aWQ6a2V5")
    ('ApiKey aWQ6a2V5', 'ApiKey aWQ6a2V5')
    """
    if api_key is not None:
        encoded = base64.b64encode(api_key.encode()).decode() if ":" in api_key else api_key
        return f"ApiKey {encoded}"
    if user is not None:
        return "Basic " + base64.b64encode(f"{user}:{password or ''}".encode()).decode()
    return None


@final
class ElasticsearchSink:
    """Sends batches to ``url``/_bulk as ``create`` actions, ``_id`` the event id, in ``index``.

    ``index`` goes through strftime at the event's ``@timestamp``/``timestamp`` (UTC), else at
    the time of sending from the Clock. A write sends the batch in requests of at most
    ``batch_size`` documents; items answered 429 or 5xx are resent alone up to ``item_retries``
    times (after 0.1 s, 0.2 s, ...), then the write raises a retryable ``SinkError`` naming what is
    left. The documents settled so far (written or refused) are remembered, so the runtime's retry
    of the same batch sends only the rest.
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        clock: Clock,
        index: str = "logs-%Y.%m.%d",
        authorization: str | None = None,
        compression: Literal["gzip", "none"] = "gzip",
        batch_size: int = 500,
        timeout_s: float = 10.0,
        pipeline: str | None = None,
        item_retries: int = 3,
        item_backoff_s: float = 0.1,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.name = name
        self._url = url.rstrip("/") + "/_bulk"
        self._params = {"pipeline": pipeline} if pipeline else {}
        self._clock = clock
        self._index = index
        self._gzip = compression == "gzip"
        headers = {"Content-Type": "application/x-ndjson"}
        if self._gzip:
            headers["Content-Encoding"] = "gzip"
        if authorization is not None:
            headers["Authorization"] = authorization
        self._batch_size = batch_size
        self._timeout_s = timeout_s
        self._item_retries = item_retries
        self._item_backoff_s = item_backoff_s
        self._pool = HttpPool(
            f"elasticsearch sink {name!r}", headers=headers, timeout_s=timeout_s, transport=transport
        )
        self._settled: dict[str, str | None] = {}  # id -> None (written) or why refused
        self._rejected: dict[str, str] = {}

    async def open(self) -> None:
        """Create the connection pool."""
        self._pool.open()

    async def write(self, events: Sequence[Event]) -> None:
        """Store every document of the batch, or refuse it with a reason (see ``take_rejected``).

        :raises SinkError: when documents are left unsettled (retryable unless the whole request
            was refused: 400, 401, 403...); those settled are not sent again by the next write.
        :raises RuntimeError: when the sink is not open (a bug in the caller).
        """
        client = self._pool.client()
        ids = {e.id for e in events}
        self._settled = {i: why for i, why in self._settled.items() if i in ids}  # this batch's only
        self._rejected = {}
        pending = [e for e in events if e.id not in self._settled]
        for start in range(0, len(pending), self._batch_size):
            await self._send_chunk(client, pending[start : start + self._batch_size])
        self._rejected = {i: why for i, why in self._settled.items() if why is not None}
        self._settled = {}

    def take_rejected(self) -> dict[str, str]:
        """The documents of the last whole write Elasticsearch refused: event id -> its reason."""
        rejected, self._rejected = self._rejected, {}
        return rejected

    async def close(self) -> None:
        """Close the connection pool."""
        await self._pool.close()

    async def _send_chunk(self, client: httpx.AsyncClient, chunk: Sequence[Event]) -> None:
        left, last = await self._send(client, chunk)
        for attempt in range(self._item_retries):
            if not left:
                return
            await anyio.sleep(self._item_backoff_s * 2**attempt)
            left, last = await self._send(client, left)
        if left:
            tries = self._item_retries + 1
            reason = f"{len(left)} of {len(chunk)} documents not stored after {tries} tries: {last}"
            raise SinkError(self.name, reason)

    async def _send(self, client: httpx.AsyncClient, events: Sequence[Event]) -> tuple[list[Event], str]:
        """Send ``events`` once; the ones to send again (429, 5xx) and the last such reason."""
        body, problems = bulk_body(events, self._index, self._clock.now())
        sent: list[Event] = []
        for event, problem in zip(events, problems, strict=True):
            if problem is None:
                sent.append(event)
            else:
                self._settled[event.id] = problem
        if not sent:
            return [], ""
        response = await self._post(client, body)
        status = response.status_code
        if status == 413:  # the request is over http.max_content_length: halves, each on its own
            if len(sent) == 1:
                self._settled[sent[0].id] = "HTTP 413: the document alone is over the cluster's request limit"
                return [], ""
            half = len(sent) // 2
            first, why_first = await self._send(client, sent[:half])
            second, why_second = await self._send(client, sent[half:])
            return first + second, why_second or why_first
        if not 200 <= status < 300:
            retryable = status >= 500 or status in _RETRYABLE_4XX
            detail = error_text(response.content)
            reason = f"HTTP {status} from {self._url}" + (f": {detail}" if detail else "")
            raise SinkError(self.name, reason, retryable=retryable)
        items = read_items(response.content, len(sent))
        if isinstance(items, str):
            raise SinkError(self.name, f"unreadable _bulk answer from {self._url}: {items}")
        again: list[Event] = []
        last = ""
        for event, item in zip(sent, items, strict=True):
            if item.outcome == "retry":
                again.append(event)
                last = item.reason
            else:
                self._settled[event.id] = item.reason if item.outcome == "rejected" else None
        return again, last

    async def _post(self, client: httpx.AsyncClient, body: bytes) -> httpx.Response:
        content = gzip.compress(body, compresslevel=6) if self._gzip else body
        try:
            with anyio.fail_after(self._timeout_s):
                return await client.post(self._url, content=content, params=self._params)
        except TimeoutError:
            raise SinkError(self.name, f"no answer within {self._timeout_s}s") from None
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise SinkError(self.name, reason) from exc
