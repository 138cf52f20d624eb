"""Operational endpoints of ``pipeflow serve``: ``GET /metrics`` and ``GET /runtime``.

``/metrics`` is the Prometheus text exposition of pipeflow's own metrics. ``/runtime`` says
which snapshot the engine runs now: the route table version and each routed pipeline's
version, so a client can see when its change took effect. Both need the token, like every
endpoint but ``/health``. This module imports no adapter: ``serve`` passes plain callables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import final

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field


class RuntimeOut(BaseModel):
    """The snapshot in force and the topology around it."""

    routes_version: int = Field(description="Version of the route table the engine runs (0: none stored).")
    pipelines: dict[str, int] = Field(description="Each pipeline the routes use, with the version running.")
    ingest_sources: list[str] = Field(description="Sources fed by `POST /ingest/{source}`.")
    sinks: list[str] = Field(description="The configured sinks.")


@final
@dataclass(frozen=True, slots=True)
class OpsView:
    """What the operational endpoints read: metrics text (and its type) and the runtime snapshot."""

    render_metrics: Callable[[], bytes]
    metrics_content_type: str
    runtime: Callable[[], RuntimeOut]


def ops_router(view: OpsView) -> APIRouter:
    """``GET /metrics`` and ``GET /runtime``."""
    router = APIRouter(tags=["operations"])

    @router.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {view.metrics_content_type: {}}, "description": "Prometheus text"}},
    )
    async def metrics() -> Response:
        """Counters, gauges and histograms in the Prometheus text format."""
        return Response(view.render_metrics(), media_type=view.metrics_content_type)

    @router.get("/runtime", response_model=RuntimeOut)
    async def runtime() -> RuntimeOut:
        """The route table and pipeline versions the engine runs now."""
        return view.runtime()

    return router


__all__ = ["OpsView", "RuntimeOut", "ops_router"]
