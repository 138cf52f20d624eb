"""``Services``: the application as the HTTP layer sees it, built once by ``bootstrap``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import final

import anyio

from pipeflow.application.dispatch import Handlers, publisher
from pipeflow.application.pipelines import PipelineUseCases
from pipeflow.application.routes import FilterCheck, RouteUseCases
from pipeflow.domain.ports import Clock, FunctionFactory, IdFactory
from pipeflow.domain.repositories import IdempotencyStore, PipelineRepository, RouteTableRepository


@final
@dataclass(frozen=True, slots=True)
class Services:
    """The use cases plus what the API needs around them (idempotency keys, the clock)."""

    pipelines: PipelineUseCases
    routes: RouteUseCases
    idempotency: IdempotencyStore
    clock: Clock


def make_services(
    *,
    pipelines: PipelineRepository,
    routes: RouteTableRepository,
    idempotency: IdempotencyStore,
    factories: Mapping[str, FunctionFactory],
    known_sinks: frozenset[str],
    filter_check: FilterCheck,
    handlers: Handlers,
    ids: IdFactory,
    clock: Clock,
) -> Services:
    """Wire the use cases to their ports; ``handlers`` hears every change (hot reload)."""
    publish = publisher(handlers)
    references = anyio.Lock()  # a pipeline delete and a route table write check each other's data
    return Services(
        PipelineUseCases(pipelines, routes, factories, publish, ids, clock, references),
        RouteUseCases(routes, pipelines, known_sinks, filter_check, publish, references),
        idempotency,
        clock,
    )


__all__ = ["Services", "make_services"]
