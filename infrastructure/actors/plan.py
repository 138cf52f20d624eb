"""A batch plan: what the router decided for one source batch, in the runtime's terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import final

import orjson

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.events import Event, EventMeta
from pipeflow.domain.ports import IdFactory, Rejected


@final
@dataclass(frozen=True, slots=True)
class Encoded:
    """Events already encoded as NDJSON (one object per line, each ending in a newline).

    Sinks that write NDJSON take ``data`` as it is; any other use (a sink keyed by event id, a
    dead letter) decodes it back with ``events`` (ids are made then: the rare path).
    """

    data: bytes
    count: int
    meta: EventMeta

    def events(self, ids: IdFactory) -> list[Event]:
        """The events again, each with a fresh id."""
        loads, new_id, meta = orjson.loads, ids.new_id, self.meta
        return [Event(new_id(), meta, loads(line)) for line in self.data.split(b"\n")[:-1]]


@final
@dataclass(frozen=True, slots=True)
class SinkPart:
    """Events one route sends to one sink: as ``Event``s, or ``encoded`` (then ``events`` is empty)."""

    sink: str
    events: list[Event]
    route: str | None
    pipeline: str | None
    encoded: Encoded | None = None

    @property
    def size(self) -> int:
        """How many events the part holds."""
        return self.encoded.count if self.encoded is not None else len(self.events)


@final
@dataclass(slots=True)
class BatchPlan:
    """Every outcome of a batch: deliveries per sink, dead letters, drops and unmatched events.

    A plan made from raw lines also says how many events they held (``events_in``) and which
    lines could not be decoded (``rejected``); ``None`` means the batch's ``events`` count.
    """

    parts: list[SinkPart] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    dropped: int = 0
    unmatched: int = 0
    events_in: int | None = None
    rejected: list[Rejected] = field(default_factory=list)


__all__ = ["BatchPlan", "Encoded", "SinkPart"]
