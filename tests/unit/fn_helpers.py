"""Helpers of the built-in function tests: numbered events, and which of them a function kept."""

from __future__ import annotations

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.ports import PipelineFn
from pipeflow.domain.results import Drop, Pass


def ev(n: int, **fields: Json) -> Event:
    """Event ``e{n}`` of source ``test`` with these fields."""
    return Event(EventId(f"e{n}"), EventMeta("test", 0.0), dict(fields))


def kept(fn: PipelineFn, events: list[JsonObject]) -> list[bool]:
    """For each event, whether it passed (and it passed unchanged) or was dropped."""
    out = []
    for i, fields in enumerate(events):
        event = ev(i, **fields)
        result = fn(event)
        assert result == Pass(event) or isinstance(result, Drop), result
        out.append(isinstance(result, Pass))
    return out
