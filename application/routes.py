"""Route table use cases: read, replace the whole ordered table, history, rollback.

A table is checked as a whole before it is stored: names unique, every route's pipeline
exists, every sink is a known sink, every filter compiles. Every problem is listed, and a
table that fails changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias, final

from pipeflow.application.dispatch import Publish
from pipeflow.application.versioning import StaleVersion, check_expected
from pipeflow.domain.domain_events import RoutesUpdated
from pipeflow.domain.errors import ConcurrencyConflict, NotFound, Problem, ValidationError
from pipeflow.domain.pipeline import Pipeline
from pipeflow.domain.repositories import PipelineRepository, RouteTableRepository
from pipeflow.domain.routes import Route, RouteTable

FilterCheck: TypeAlias = Callable[[str], str | None]
"""Checks a filter expression: ``None`` when it compiles, else what is wrong with it."""

RoutesWrite: TypeAlias = RouteTable | ValidationError | NotFound | StaleVersion | ConcurrencyConflict
"""What a route table write answers: the stored version or why not."""


@final
@dataclass(frozen=True, slots=True)
class RouteUseCases:
    """The route table use cases, bound to their ports and to what routes may refer to."""

    routes: RouteTableRepository
    pipelines: PipelineRepository
    known_sinks: frozenset[str]
    filter_check: FilterCheck
    publish: Publish

    async def get(self) -> RouteTable:
        """The current table (empty, version 0, before the first write)."""
        return await self.routes.get()

    async def validate(self, routes: tuple[Route, ...]) -> ValidationError | None:
        """Every problem with a table, or ``None`` when it may be stored."""
        found: list[Problem] = []
        seen: set[str] = set()
        for i, route in enumerate(routes):
            at = f"routes[{i}]"
            if not route.name:
                found.append(Problem(f"{at}.name", "must not be empty"))
            elif route.name in seen:
                found.append(Problem(f"{at}.name", f"duplicate route name {route.name!r}"))
            seen.add(route.name)
            problem = self.filter_check(route.filter)
            if problem is not None:
                found.append(Problem(f"{at}.filter", problem))
            if route.pipeline is not None and not isinstance(
                await self.pipelines.get(route.pipeline), Pipeline
            ):
                found.append(Problem(f"{at}.pipeline", f"unknown pipeline {route.pipeline!r}"))
            if not route.sinks:
                found.append(Problem(f"{at}.sinks", "a route needs at least one sink"))
            found.extend(
                Problem(f"{at}.sinks[{j}]", f"unknown sink {sink!r}")
                for j, sink in enumerate(route.sinks)
                if sink not in self.known_sinks
            )
        return ValidationError(tuple(found)) if found else None

    async def put(self, routes: tuple[Route, ...], expected: int | None) -> RoutesWrite:
        """Replace the whole table; ``expected`` is the version the client read."""
        current = await self.routes.get()
        base = check_expected("routes", "routes", expected, current.version)
        if isinstance(base, StaleVersion):
            return base
        return await self._store(current.changed(routes), base)

    async def history(self) -> tuple[RouteTable, ...]:
        """Every stored version, oldest first."""
        return tuple(await self.routes.history())

    async def rollback(self, version: int, expected: int | None) -> RoutesWrite:
        """Store an earlier version's routes as the next version (validated again)."""
        current = await self.routes.get()
        base = check_expected("routes", "routes", expected, current.version)
        if isinstance(base, StaleVersion):
            return base
        old = await self.routes.get_version(version)
        if isinstance(old, NotFound):
            return NotFound("routes version", str(version))
        return await self._store(current.changed(old.routes), base)

    async def _store(self, table: RouteTable, expected: int) -> RoutesWrite:
        problems = await self.validate(table.routes)
        if problems is not None:
            return problems
        stored = await self.routes.put(table, expected)
        if isinstance(stored, RouteTable):
            await self.publish(RoutesUpdated(stored))
        return stored


__all__ = ["FilterCheck", "RouteUseCases", "RoutesWrite"]
