"""Domain events: what changed in the stored pipelines and route table, as pure values.

The use cases publish one after each successful write; the runtime subscribes to them (hot
reload) through the handler map of ``application.dispatch``. Each carries the new whole
version, so a subscriber never needs to read it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias, assert_never, final

from pipeflow.domain.pipeline import Pipeline, PipelineId
from pipeflow.domain.routes import RouteTable


@final
@dataclass(frozen=True, slots=True)
class PipelineCreated:
    """A pipeline was stored for the first time (or again after a delete)."""

    pipeline: Pipeline


@final
@dataclass(frozen=True, slots=True)
class PipelineUpdated:
    """A pipeline has a new version (an edit or a rollback); ``pipeline`` is that version."""

    pipeline: Pipeline


@final
@dataclass(frozen=True, slots=True)
class PipelineDeleted:
    """A pipeline was deleted; ``version`` is the last version it had."""

    id: PipelineId
    version: int


@final
@dataclass(frozen=True, slots=True)
class RoutesUpdated:
    """The route table has a new version (an edit or a rollback)."""

    table: RouteTable


DomainEvent: TypeAlias = PipelineCreated | PipelineUpdated | PipelineDeleted | RoutesUpdated
"""Every change the management API can make."""


def event_name(event: DomainEvent) -> str:
    """The dotted name of an event (``pipeline.created``, ``routes.updated``, ...).

    >>> event_name(PipelineDeleted(PipelineId("p"), 3))
    'pipeline.deleted'
    """
    match event:
        case PipelineCreated():
            return "pipeline.created"
        case PipelineUpdated():
            return "pipeline.updated"
        case PipelineDeleted():
            return "pipeline.deleted"
        case RoutesUpdated():
            return "routes.updated"
        case _:
            assert_never(event)


__all__ = [
    "DomainEvent",
    "PipelineCreated",
    "PipelineDeleted",
    "PipelineUpdated",
    "RoutesUpdated",
    "event_name",
]
