"""One HTTP POST of a sink's batch, with the answer read the way every HTTP sink reads it.

No answer in time, a connection error, a 5xx or a retryable 4xx (408, 425, 429) raise a retryable
``SinkError``; any other non-2xx answer raises one that is not retryable (the batch is
dead-lettered), with the status, the URL and what the server said.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import anyio
import httpx

from pipeflow.infrastructure.sinks.errors import SinkError

__all__ = ["RETRYABLE_4XX", "body_text", "post_checked", "usually_retryable"]

RETRYABLE_4XX: Final = frozenset({408, 425, 429})
"""Client errors that another attempt can get past: timeout, too early, too many requests."""


def usually_retryable(status: int) -> bool:
    """A 5xx, or a 4xx in ``RETRYABLE_4XX``.

    >>> usually_retryable(503), usually_retryable(429), usually_retryable(400)
    (True, True, False)
    """
    return status >= 500 or status in RETRYABLE_4XX


def body_text(response: httpx.Response, limit: int = 200) -> str:
    """The start of the answer's body, as the reason a request failed."""
    return response.text[:limit].strip()


async def post_checked(
    client: httpx.AsyncClient,
    url: str,
    content: bytes,
    *,
    sink: str,
    timeout_s: float,
    written: int = 0,
    headers: Mapping[str, str] | None = None,
    detail: Callable[[httpx.Response], str] = body_text,
    retryable: Callable[[int], bool] = usually_retryable,
) -> httpx.Response:
    """POST ``content`` to ``url`` and return the 2xx answer.

    :raises SinkError: no answer within ``timeout_s``, a transport error, or a non-2xx answer
        (``retryable`` says which statuses another attempt may get past); ``written`` events of
        the batch were written before this request.
    """
    try:
        with anyio.fail_after(timeout_s):
            response = await client.post(url, content=content, headers=headers)
    except TimeoutError:
        raise SinkError(sink, f"no answer within {timeout_s}s", written=written) from None
    except httpx.HTTPError as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise SinkError(sink, reason, written=written) from exc
    status = response.status_code
    if not 200 <= status < 300:
        said = detail(response)
        reason = f"HTTP {status} from {url}" + (f": {said}" if said else "")
        raise SinkError(sink, reason, retryable=retryable(status), written=written)
    return response
