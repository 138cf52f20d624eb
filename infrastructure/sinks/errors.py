"""``SinkError``: a sink's ``write`` did not write the batch (one attempt; the runtime retries).

The hierarchy::

    Exception
    └── SinkError            the batch (or its tail) was not written
        ``retryable``        False when sending the same batch again cannot help (a 4xx answer)
        ``written``          how many events at the head of the batch were written before it failed
"""

from __future__ import annotations

from typing import final

__all__ = ["SinkError"]


@final
class SinkError(Exception):
    """A batch was not (wholly) written by sink ``sink``, with the reason.

    ``written`` events at the head of the batch are known to be written (sinks that write in
    chunks can say so); resending them is safe because sinks drop duplicates by event id.
    """

    def __init__(self, sink: str, reason: str, *, retryable: bool = True, written: int = 0) -> None:
        super().__init__(f"sink {sink!r}: {reason}")
        self.sink = sink
        self.reason = reason
        self.retryable = retryable
        self.written = written
