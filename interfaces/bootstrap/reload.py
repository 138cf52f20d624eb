"""Hot reload for ``pipeflow serve``: stored pipelines and route table → a new ``Router`` in the cell.

Every successful write publishes a domain event; ``HotReload.on_change`` (the handler ``serve``
registers for each of them) reads the current route table and the pipelines it uses, compiles
them into one immutable ``Router`` and swaps it into the ``RouterCell``. The router reads the
cell once per batch, so every event of a batch sees one whole version of the table and of each
pipeline, never a mix. A snapshot that does not compile never reaches the cell: the one in
force stays. Rebuilds are serialized and always read the latest stored state, so the last
rebuild to finish installs the newest versions whatever order writes raced in. With a shared
PostgreSQL database, ``reload`` is also called for every change another worker notifies.

An unchanged pipeline (same id and version) keeps its compiled instance across rebuilds, so a
``window`` keeps its state when another pipeline or the table changes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import final

import anyio
from returns.pipeline import is_successful
from returns.result import Failure, Result, Success

from pipeflow.application.outcomes import to_result
from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.domain_events import DomainEvent, event_name
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.errors import Problem, ValidationError
from pipeflow.domain.pipeline import Pipeline, PipelineId
from pipeflow.domain.ports import FunctionFactory
from pipeflow.domain.repositories import PipelineRepository, RouteTableRepository
from pipeflow.domain.router import Router, build_router
from pipeflow.infrastructure.actors.routing import RouterCell

_log = logging.getLogger("pipeflow.serve")

EMPTY_ROUTER = Router(0, ())
"""The router before any route table is stored: every event is unmatched."""


@final
class HotReload:
    """Builds routers from the stores and installs them in ``cell``; see the module doc."""

    def __init__(
        self,
        pipelines: PipelineRepository,
        routes: RouteTableRepository,
        factories: Mapping[str, FunctionFactory],
        sinks: frozenset[str],
        cell: RouterCell | None = None,
    ) -> None:
        self.cell = cell if cell is not None else RouterCell(EMPTY_ROUTER)
        self._pipelines = pipelines
        self._routes = routes
        self._factories = factories
        self._sinks = sinks
        self._compiled: dict[PipelineId, CompiledPipeline] = {}
        self._lock = anyio.Lock()

    @property
    def compiled(self) -> Mapping[PipelineId, CompiledPipeline]:
        """The compiled pipelines of the router in force."""
        return self._compiled

    async def rebuild(self) -> Result[Router, ValidationError]:
        """Compile the stored snapshot and install it; on problems install nothing and return them."""
        async with self._lock:
            table = await self._routes.get()
            found: list[Problem] = []
            compiled: dict[PipelineId, CompiledPipeline] = {}
            for pid in dict.fromkeys(r.pipeline for r in table.routes if r.pipeline is not None):
                got = await self._compile(pid)
                if is_successful(got):
                    compiled[pid] = got.unwrap()
                else:
                    found.extend(
                        Problem(f"pipelines.{pid}.{p.where}", p.message) for p in got.failure().problems
                    )
            found.extend(
                Problem(f"routes[{i}].sinks", f"unknown sink {sink!r}")
                for i, r in enumerate(table.routes)
                for sink in r.sinks
                if sink not in self._sinks
            )
            router = (
                Failure(ValidationError(tuple(found))) if found else to_result(build_router(table, compiled))
            )
            if is_successful(router):
                self._compiled = compiled
                self.cell.swap(router.unwrap())
            return router

    async def on_change(self, event: DomainEvent) -> None:
        """The domain-event handler: rebuild; a snapshot that fails is logged, the old one stays."""
        await self.reload(event_name(event))

    async def reload(self, reason: str) -> None:
        """Rebuild after ``reason`` (a local write, or a change another worker notified) and log it."""
        got = await self.rebuild()
        if is_successful(got):
            _log.info("after %s the engine runs route table version %d", reason, got.unwrap().version)
        else:
            _log.error("after %s the engine keeps its current snapshot: %s", reason, got.failure())

    def versions(self) -> dict[str, int]:
        """Each pipeline the router in force uses, with its version."""
        return {
            str(r.pipeline.id): r.pipeline.version for r in self.cell.router.routes if r.pipeline is not None
        }

    async def _compile(self, pid: PipelineId) -> Result[CompiledPipeline, ValidationError]:
        stored = await self._pipelines.get(pid)
        unknown = ValidationError((Problem("id", f"unknown pipeline {pid!r}"),))
        return stored.alt(lambda _: unknown).bind(self._compiled_once)

    def _compiled_once(self, stored: Pipeline) -> Result[CompiledPipeline, ValidationError]:
        """The compiled instance in force for this version (a window keeps its state), else a new one."""
        cached = self._compiled.get(stored.id)
        if cached is not None and cached.version == stored.version:
            return Success(cached)
        return to_result(compile_pipeline(stored, self._factories))


__all__ = ["EMPTY_ROUTER", "HotReload"]
