"""Messages between actors: a batch for a sink, dead letters for the queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import final

from domain.dead_letters import DeadLetter
from domain.events import Event


@final
@dataclass(frozen=True, slots=True)
class Delivery:
    """Events for one sink from one route of one source batch; ``done`` marks the part delivered."""

    events: list[Event]
    source: str
    route: str | None
    pipeline: str | None
    done: Callable[[], None]


@final
@dataclass(frozen=True, slots=True)
class DeadLetters:
    """Records for the dead-letter queue; ``done`` is called once they are stored."""

    records: list[DeadLetter]
    done: Callable[[], None]


__all__ = ["DeadLetters", "Delivery"]
