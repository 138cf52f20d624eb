"""The dead-letter actor: owns the queue's stream and writes records with retries."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Protocol, final

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.engine import describe_exception
from pipeflow.infrastructure.actors.messages import DeadLetters
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.stats import RunStats

_log = logging.getLogger("pipeflow.dead_letter")


class DeadLetterStore(Protocol):
    """Where dead letters go: the state database's table, or a configured sink."""

    async def write(self, records: Sequence[DeadLetter]) -> None:
        """Store the records durably or raise."""
        ...

    async def close(self) -> None:
        """Flush and release."""
        ...


@final
class DeadLetterActor:
    """Receives ``DeadLetters`` messages and stores them; an unstorable record is never acked."""

    def __init__(self, store: DeadLetterStore, stats: RunStats, retry: RetryPolicy) -> None:
        self.store = store
        self.stats = stats
        self.retry = retry
        self.failures = 0
        send, receive = anyio.create_memory_object_stream[DeadLetters](math.inf)
        self.inbox: MemoryObjectSendStream[DeadLetters] = send
        self._receive: MemoryObjectReceiveStream[DeadLetters] = receive

    async def put(
        self, records: list[DeadLetter], done: Callable[[], None], failed: Callable[[str], None] | None = None
    ) -> None:
        """Queue records (the queue is bounded by the producers' own buffers); ``failed`` hears why
        when they cannot be stored."""
        await self.inbox.send(DeadLetters(records, done, failed))

    async def run(self) -> None:
        """The message loop: runs until every sender has closed the inbox."""
        async with self._receive:
            async for msg in self._receive:
                failure = await self._store(msg.records)
                if failure is None:
                    self.stats.dead_lettered += len(msg.records)
                    if _log.isEnabledFor(logging.INFO):
                        for r in msg.records:
                            _log.info("dead-lettered (%s): %s", r.stage, r.reason, extra={"event_id": r.id})
                    msg.done()
                elif msg.failed is not None:
                    msg.failed(failure)
        await self.store.close()

    async def _store(self, records: list[DeadLetter]) -> str | None:
        """Store ``records`` with retries: ``None``, or why they could not be stored."""
        last = "no attempt"
        for attempt in range(self.retry.attempts):
            try:
                await self.store.write(records)
                return None
            except Exception as exc:  # noqa: BLE001 - a failed write is retried, then given up
                last = describe_exception(exc)
                _log.warning("dead-letter write failed (attempt %d): %s", attempt + 1, exc)
                if attempt + 1 < self.retry.attempts:
                    await anyio.sleep(self.retry.delay(attempt))
        self.failures += len(records)
        _log.error("could not store %d dead letters; their source is not acknowledged", len(records))
        return f"{len(records)} dead letters could not be stored ({last})"


__all__ = ["DeadLetterActor", "DeadLetterStore"]
