"""The time of the batch being routed: what ``now()`` reads, set by the runtime from its clock.

The domain reads no clock. Whoever routes a batch (the planners, ``dlq replay``, ``pipeflow
test`` and ``explain``) reads its injected ``Clock`` once and routes the batch inside
``batch_time(at)``; every ``now()`` of that batch, in every filter and ``eval`` expression, in
the reference interpreter and in compiled code alike, then gives ``at``. The cell is a context
variable, so concurrent tasks and threads each see their own batch; outside a batch ``now()``
is null (total, like every function of the language).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

from pipeflow.domain.json import Json

_AT: Final[ContextVar[float | None]] = ContextVar("pipeflow_batch_time", default=None)


def now() -> Json:
    """The time of the batch being routed, in epoch seconds; null outside a batch.

    >>> now() is None
    True
    >>> with batch_time(1717243200.5):
    ...     now()
    1717243200.5
    """
    return _AT.get()


@contextmanager
def batch_time(at: float) -> Iterator[float]:
    """Route a batch at time ``at``: ``now()`` gives ``at`` inside the block, and what it gave before after.

    >>> with batch_time(1.0):
    ...     with batch_time(2.0):
    ...         inner = now()
    ...     outer = now()
    >>> inner, outer, now()
    (2.0, 1.0, None)
    """
    token = _AT.set(at)
    try:
        yield at
    finally:
        _AT.reset(token)


__all__ = ["batch_time", "now"]
