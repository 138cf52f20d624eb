"""``split``: one event per element of a list field, each holding its element in that field.

Piece ids: the ``i``-th piece (from 0) of event ``ID`` gets the id ``ID-i``. The id is derived
deterministically from the parent, so replaying the same event makes the same pieces and sinks
that drop duplicates by id keep working; it is no longer a bare ULID, but it sorts right after
its parent's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

import pydantic
from returns.result import Result

from pipeflow.domain.errors import Problems
from pipeflow.domain.events import Event, EventId
from pipeflow.domain.paths import Path
from pipeflow.domain.results import Drop, FnResult, Pass, Split
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import field_path


class SplitConfig(FunctionConfig):
    """Config of ``split``: the list field to split on."""

    field: str = pydantic.Field(
        description="The list field: each of its elements becomes an event of its own in that field."
    )


def piece_id(parent: EventId, index: int) -> EventId:
    """The id of the ``index``-th piece of a split event.

    >>> piece_id(EventId("01J"), 2)
    '01J-2'
    """
    return EventId(f"{parent}-{index}")


@final
@dataclass(frozen=True, slots=True)
class SplitList:
    """Splits on the list at ``path``; a non-list (or missing) value passes unchanged.

    An empty list leaves no pieces: the event is dropped with a reason, so it is counted.
    """

    path: Path

    def __call__(self, event: Event, /) -> FnResult:
        """One event per element, with derived ids."""
        value = event.get(self.path)
        if not isinstance(value, list):
            return Pass(event)
        if not value:
            return Drop("split: the list is empty")
        return Split(
            tuple(
                event.with_field(self.path, item).with_id(piece_id(event.id, i))
                for i, item in enumerate(value)
            )
        )


def build(config: SplitConfig) -> Result[SplitList, Problems]:
    """Build ``split`` (its field path is checked here)."""
    return field_path(config.field).map(SplitList)


plugin = FunctionPlugin("split", SplitConfig, build, "One event per element of a list field.")

__all__ = ["SplitConfig", "SplitList", "build", "piece_id", "plugin"]
