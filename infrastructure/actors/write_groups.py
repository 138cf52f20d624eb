"""Grouping what waits in a sink's inbox: encoded deliveries queued together are written together.

A sink that fell behind catches up in one write of several batches' bytes, not one write (and,
for a slow file, one thread round trip) per batch. Deliveries that are not encoded are written
one by one, in order with the rest.
"""

from __future__ import annotations

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from pipeflow.infrastructure.actors.messages import Delivery

__all__ = ["GROUP_BYTES", "queued_groups"]

GROUP_BYTES = 8 << 20
"""Queued encoded deliveries are written together up to about this many bytes."""


def queued_groups(
    first: Delivery,
    inbox: MemoryObjectReceiveStream[Delivery],
    *,
    encoded: bool,
    group_bytes: int = GROUP_BYTES,
) -> list[list[Delivery]]:
    """``first`` and the deliveries already queued behind it in ``inbox``, in order: runs of
    encoded ones (up to ``group_bytes``, and only when the sink takes bytes: ``encoded``) make
    one group each, any other delivery is a group of its own."""
    waiting = [first]
    if encoded and first.encoded is not None:
        size = len(first.encoded.data)
        while size < group_bytes:
            try:
                nxt = inbox.receive_nowait()
            except (anyio.WouldBlock, anyio.EndOfStream):
                break
            waiting.append(nxt)
            if nxt.encoded is None:
                break
            size += len(nxt.encoded.data)
    groups: list[list[Delivery]] = []
    for delivery in waiting:
        if groups and delivery.encoded is not None and groups[-1][-1].encoded is not None:
            groups[-1].append(delivery)
        else:
            groups.append([delivery])
    return groups
