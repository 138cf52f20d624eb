"""Domain events dispatched through a handler map: the seam the runtime subscribes to.

The use cases call ``publish(event)`` after each successful write. ``bootstrap`` builds the map,
e.g. ``{PipelineUpdated: [engine.reload_pipeline], RoutesUpdated: [engine.reload_routes]}``,
so the engine hears of a change without the use cases knowing the engine exists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeAlias

from pipeflow.domain.domain_events import (
    DomainEvent,
    PipelineCreated,
    PipelineDeleted,
    PipelineUpdated,
    RoutesUpdated,
)

Handler: TypeAlias = Callable[[DomainEvent], Awaitable[None]]
"""Reacts to one domain event (a handler that raises has a bug: it is not swallowed)."""

EventType: TypeAlias = (
    type[PipelineCreated] | type[PipelineUpdated] | type[PipelineDeleted] | type[RoutesUpdated]
)
"""The class of a domain event: the key of the handler map."""

Handlers: TypeAlias = Mapping[EventType, Sequence[Handler]]
"""The handlers of each event class, called in order."""

Publish: TypeAlias = Callable[[DomainEvent], Awaitable[None]]
"""What the use cases call after a successful write."""


async def dispatch(handlers: Handlers, event: DomainEvent) -> None:
    """Call every handler registered for the event's class, in order."""
    for handler in handlers.get(type(event), ()):
        await handler(event)


def publisher(handlers: Handlers) -> Publish:
    """A ``Publish`` bound to a handler map."""

    async def publish(event: DomainEvent) -> None:
        await dispatch(handlers, event)

    return publish


__all__ = ["EventType", "Handler", "Handlers", "Publish", "dispatch", "publisher"]
