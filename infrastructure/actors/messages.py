"""Messages between actors: a batch for a sink, dead letters for the queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import final

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.events import Event
from pipeflow.domain.ports import IdFactory
from pipeflow.infrastructure.actors.plan import Encoded


@final
@dataclass(frozen=True, slots=True)
class Delivery:
    """Events for one sink from one route of one source batch; ``done`` marks the part delivered.

    The events come as ``Event``s or, for sinks that write NDJSON, ``encoded`` (``events`` empty).
    ``wrote``, for an exactly-once file sink, hears the file's length once the delivery is written.
    ``failed`` hears why, when the delivery can never be done (its dead letters could not be stored).
    """

    events: list[Event]
    source: str
    route: str | None
    pipeline: str | None
    done: Callable[[], None]
    encoded: Encoded | None = None
    wrote: Callable[[int], None] | None = None
    failed: Callable[[str], None] | None = None

    @property
    def size(self) -> int:
        """How many events the delivery holds."""
        return self.encoded.count if self.encoded is not None else len(self.events)

    def materialize(self, ids: IdFactory) -> list[Event]:
        """The events as ``Event``s (decoded, with fresh ids, when they came encoded)."""
        return self.encoded.events(ids) if self.encoded is not None else self.events


@final
@dataclass(frozen=True, slots=True)
class DeadLetters:
    """Records for the dead-letter queue; ``done`` is called once they are stored, ``failed`` (with
    why) when they cannot be."""

    records: list[DeadLetter]
    done: Callable[[], None]
    failed: Callable[[str], None] | None = None


__all__ = ["DeadLetters", "Delivery"]
