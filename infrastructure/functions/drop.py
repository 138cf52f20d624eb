"""``drop``: drop the event (every event it sees; with the common ``filter``, only the matching ones)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

from returns.result import Result, Success

from pipeflow.domain.errors import Problems
from pipeflow.domain.events import Event
from pipeflow.domain.results import Drop, FnResult
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin


class DropConfig(FunctionConfig):
    """Config of ``drop``: nothing of its own (the common ``filter`` chooses what it sees)."""


@final
@dataclass(frozen=True, slots=True)
class DropEvents:
    """Drops every event it is given, saying so (a function filter adds which filter matched)."""

    reason: str = "dropped by a drop function"

    def __call__(self, event: Event, /) -> FnResult:
        """Drop the event."""
        return Drop(self.reason)


def build(config: DropConfig) -> Result[DropEvents, Problems]:
    """Build ``drop`` (there is nothing to check)."""
    return Success(DropEvents())


plugin = FunctionPlugin("drop", DropConfig, build, "Drop events (those matching its filter, when given).")

__all__ = ["DropConfig", "DropEvents", "build", "plugin"]
