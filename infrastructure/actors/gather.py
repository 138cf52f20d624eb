"""Gathering: a sink actor that writes what arrives over a while, or up to a size, in one write.

A sink that stores whole objects (S3) wants few large writes, yet each event may be acknowledged
only once the write holding it returned. The sink actor keeps that contract and gathers for such
a sink: encoded deliveries are held, unacknowledged, until they make ``max_bytes`` of NDJSON or
``max_age_s`` passed since the first arrived (or the inbox closed), then written with one call,
retried and dead-lettered as any write, and acknowledged together. A delivery that would push the
group over ``max_bytes`` starts the next group, so a write holds at most ``max_bytes`` (or one
delivery larger than that). Deliveries of events (not NDJSON) are written one by one.

Gathered deliveries leave the sink's event budget: they are the sink's own buffer, bounded by
``max_bytes``, and the router may queue behind them meanwhile (else a budget smaller than an
object would stall the router until ``max_age_s``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import final

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from pipeflow.infrastructure.actors.budget import EventBudget
from pipeflow.infrastructure.actors.messages import Delivery

__all__ = ["Gather", "Gatherer"]


@final
@dataclass(frozen=True, slots=True)
class Gather:
    """How long and how much a sink actor gathers before one write: bytes of NDJSON, seconds."""

    max_bytes: int
    max_age_s: float


@final
class Gatherer:
    """Reads a sink actor's inbox into groups under a ``Gather`` policy and writes each group.

    ``encoded`` says whether the sink takes NDJSON bytes; without it every delivery is written alone.
    """

    def __init__(
        self,
        policy: Gather,
        receive: MemoryObjectReceiveStream[Delivery],
        budget: EventBudget,
        *,
        encoded: bool,
    ) -> None:
        self.policy = policy
        self._receive = receive
        self._budget = budget
        self._encoded = encoded

    async def take(self, first: Delivery, write: Callable[[list[Delivery]], Awaitable[None]]) -> None:
        """Gather groups from ``first`` on and ``write`` each, until a group ends with nothing carried.

        :raises Exception: whatever ``write`` raises (the actor's write retries and dead-letters itself).
        """
        carried: Delivery | None = first
        while carried is not None:
            carried = await self._one_group(carried, write)

    async def _one_group(
        self, first: Delivery, write: Callable[[list[Delivery]], Awaitable[None]]
    ) -> Delivery | None:
        """Gather and write the group that starts with ``first``; the delivery that starts the next."""
        await self._budget.release(first.size)
        if not self._joinable(first):
            await write([first])
            return None
        group, size = [first], self._bytes(first)
        deadline = anyio.current_time() + self.policy.max_age_s
        carried: Delivery | None = None
        while size < self.policy.max_bytes:
            nxt: Delivery | None = None
            with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
                try:
                    nxt = await self._receive.receive()
                except anyio.EndOfStream:  # the router is done: write what we hold now
                    break
            if nxt is None:  # max_age_s passed
                break
            if not self._joinable(nxt) or size + self._bytes(nxt) > self.policy.max_bytes:
                carried = nxt
                break
            await self._budget.release(nxt.size)
            group.append(nxt)
            size += self._bytes(nxt)
        await write(group)
        return carried

    def _joinable(self, delivery: Delivery) -> bool:
        return self._encoded and delivery.encoded is not None

    @staticmethod
    def _bytes(delivery: Delivery) -> int:
        return len(delivery.encoded.data) if delivery.encoded is not None else 0
