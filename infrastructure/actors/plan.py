"""A batch plan: what the router decided for one source batch, in the runtime's terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import final

from domain.dead_letters import DeadLetter
from domain.events import Event


@final
@dataclass(frozen=True, slots=True)
class SinkPart:
    """Events one route sends to one sink."""

    sink: str
    events: list[Event]
    route: str | None
    pipeline: str | None


@final
@dataclass(slots=True)
class BatchPlan:
    """Every outcome of a batch: deliveries per sink, dead letters, drops and unmatched events."""

    parts: list[SinkPart] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    dropped: int = 0
    unmatched: int = 0


__all__ = ["BatchPlan", "SinkPart"]
