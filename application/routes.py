"""Route table use cases: read, replace the whole ordered table, history, rollback.

A table is checked as a whole before it is stored: names unique, every route's pipeline
exists, every sink is a known sink, every filter compiles. Every problem is listed, and a
table that fails changes nothing. Writes answer a ``Result`` (``Failure``: the domain error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias, final

import anyio
from returns.pipeline import is_successful
from returns.result import Failure, Result, Success

from pipeflow.application.dispatch import Publish
from pipeflow.application.outcomes import bind_async
from pipeflow.application.versioning import StaleVersion, check_expected
from pipeflow.domain.domain_events import RoutesUpdated
from pipeflow.domain.errors import ConcurrencyConflict, NotFound, Problem, ValidationError
from pipeflow.domain.repositories import PipelineRepository, RouteTableRepository
from pipeflow.domain.routes import Route, RouteTable, repeated_sinks, twice

FilterCheck: TypeAlias = Callable[[str], str | None]
"""Checks a filter expression: ``None`` when it compiles, else what is wrong with it."""

RoutesWrite: TypeAlias = Result[RouteTable, ValidationError | NotFound | StaleVersion | ConcurrencyConflict]
"""What a route table write answers: the stored version or why not (``NotFound``: rollback only)."""


@final
@dataclass(frozen=True, slots=True)
class RouteUseCases:
    """The route table use cases, bound to their ports and to what routes may refer to."""

    routes: RouteTableRepository
    pipelines: PipelineRepository
    known_sinks: frozenset[str]
    filter_check: FilterCheck
    publish: Publish
    # Held from the check that every pipeline exists to the store: shared with ``PipelineUseCases``.
    references: anyio.Lock = field(default_factory=anyio.Lock)

    async def get(self) -> RouteTable:
        """The current table (empty, version 0, before the first write)."""
        return await self.routes.get()

    async def validate(self, routes: tuple[Route, ...]) -> Result[tuple[Route, ...], ValidationError]:
        """The routes when they may be stored, else every problem with them."""
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
            if route.pipeline is not None and not is_successful(await self.pipelines.get(route.pipeline)):
                found.append(Problem(f"{at}.pipeline", f"unknown pipeline {route.pipeline!r}"))
            if not route.sinks:
                found.append(Problem(f"{at}.sinks", "a route needs at least one sink"))
            found.extend(
                Problem(f"{at}.sinks[{j}]", f"unknown sink {sink!r}")
                for j, sink in enumerate(route.sinks)
                if sink not in self.known_sinks
            )
            found.extend(Problem(f"{at}.sinks[{j}]", twice(sink)) for j, sink in repeated_sinks(route.sinks))
        return Failure(ValidationError(tuple(found))) if found else Success(routes)

    async def put(
        self, routes: tuple[Route, ...], expected: int | None
    ) -> Result[RouteTable, ValidationError | StaleVersion | ConcurrencyConflict]:
        """Replace the whole table; ``expected`` is the version the client read."""
        current = await self.routes.get()
        base = check_expected("routes", "routes", expected, current.version)
        return await bind_async(base, lambda at: self._store(current.changed(routes), at))

    async def history(self) -> tuple[RouteTable, ...]:
        """Every stored version, oldest first."""
        return tuple(await self.routes.history())

    async def rollback(self, version: int, expected: int | None) -> RoutesWrite:
        """Store an earlier version's routes as the next version (validated again)."""
        current = await self.routes.get()
        base = check_expected("routes", "routes", expected, current.version)
        return await bind_async(base, lambda at: self._restore(current, version, at))

    async def _restore(self, current: RouteTable, version: int, base: int) -> RoutesWrite:
        old = await self.routes.get_version(version)
        missing = NotFound("routes version", str(version))
        return await bind_async(
            old.alt(lambda _: missing), lambda o: self._store(current.changed(o.routes), base)
        )

    async def _store(
        self, table: RouteTable, expected: int
    ) -> Result[RouteTable, ValidationError | ConcurrencyConflict]:
        async with self.references:  # no pipeline it names is deleted between check and store
            checked = await self.validate(table.routes)
            stored = await bind_async(checked, lambda _: self.routes.put(table, expected))
            if is_successful(stored):
                await self.publish(RoutesUpdated(stored.unwrap()))
            return stored


__all__ = ["FilterCheck", "RouteUseCases", "RoutesWrite"]
