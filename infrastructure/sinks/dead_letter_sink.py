"""Dead letters written through a configured sink (``dead_letter:`` in the config)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import final

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.ports import EventSink
from pipeflow.infrastructure.sinks.encode import storable


@final
class SinkDeadLetterStore:
    """Stores each dead-letter record as one event (its JSON object) in an ordinary sink."""

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink
        self._opened = False

    async def write(self, records: Sequence[DeadLetter]) -> None:
        """Write the records as events."""
        if not self._opened:
            await self.sink.open()
            self._opened = True
        meta = EventMeta("dead_letter", 0.0)
        events = []
        for r in records:
            fields = storable(r.to_json())  # a record holds an event, perhaps one no sink could write
            assert isinstance(fields, dict)
            events.append(Event(EventId(r.id), meta, fields))
        await self.sink.write(events)

    async def close(self) -> None:
        """Close the underlying sink."""
        if self._opened:
            await self.sink.close()


__all__ = ["SinkDeadLetterStore"]
