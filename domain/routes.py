"""The route table as data: ordered routes, each a filter, an optional pipeline and its sinks.

The table is an immutable, versioned value; a change makes a new table with the next version.
Compiling it into a router (filters folded into closures) lives in ``domain/router.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NewType, final

from pipeflow.domain.json import Json
from pipeflow.domain.pipeline import PipelineId

RouteId = NewType("RouteId", str)
"""A route's name, unique within its table."""

SinkName = NewType("SinkName", str)
"""The name of a configured sink."""


@final
@dataclass(frozen=True, slots=True)
class Route:
    """One route: events whose ``filter`` is true go through ``pipeline`` (if any) to ``sinks``.

    ``final`` (the default) stops the event here; ``final=False`` sends a copy and lets the
    original go on to the next routes.
    """

    name: RouteId
    filter: str
    sinks: tuple[SinkName, ...]
    pipeline: PipelineId | None = None
    final: bool = True

    def to_json(self) -> dict[str, Json]:
        """The route as the JSON object a user writes."""
        out: dict[str, Json] = {"name": self.name, "filter": self.filter}
        if self.pipeline is not None:
            out["pipeline"] = self.pipeline
        out["sinks"] = list(self.sinks)
        out["final"] = self.final
        return out


def repeated_sinks(sinks: Sequence[str]) -> list[tuple[int, str]]:
    """Each ``(index, name)`` of a sink a route names again after naming it before: every event
    would be written to it twice. ``twice(name)`` says so.

    >>> repeated_sinks(["a", "b", "a", "a"]), twice("a")
    ([(2, 'a'), (3, 'a')], "sink 'a' is named twice (its events would be written twice)")
    """
    return [(j, sink) for j, sink in enumerate(sinks) if sink in sinks[:j]]


def twice(sink: str) -> str:
    """The problem of a sink a route names twice."""
    return f"sink {sink!r} is named twice (its events would be written twice)"


@final
@dataclass(frozen=True, slots=True)
class RouteTable:
    """The ordered routes, with the version of the table."""

    routes: tuple[Route, ...]
    version: int = 1

    def changed(self, routes: tuple[Route, ...]) -> RouteTable:
        """The next version of the table with these routes."""
        return replace(self, routes=routes, version=self.version + 1)

    def to_json(self) -> dict[str, Json]:
        """The table as a JSON object (the API's and the store's shape)."""
        return {"version": self.version, "routes": [r.to_json() for r in self.routes]}


__all__ = ["Route", "RouteId", "RouteTable", "SinkName", "repeated_sinks", "twice"]
