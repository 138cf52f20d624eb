"""``POST /explain``: sample events through the stored route table, with the trace of every step.

For each event: every route tried in order, whether it matched, and for the routes that took it
each function step (its outcome and the events after it) and what each sink would be sent, as
``pipeflow explain`` prints it. The pipelines are compiled afresh for the request: nothing is
written or sent, and the running pipelines' state (a ``window``, a ``dedupe``) is not touched.
The root passes an ``Explainer``; this module imports no adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, final

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from returns.result import Result

from pipeflow.domain.errors import ValidationError
from pipeflow.domain.json import Json, JsonObject
from pipeflow.interfaces.http.models import ErrorOut
from pipeflow.interfaces.http.responses import answer, ok


@final
@dataclass(frozen=True, slots=True)
class Explained:
    """The route table version the events went through, and one trace per event."""

    routes_version: int
    traces: tuple[dict[str, Json], ...]


class Explainer(Protocol):
    """Traces sample events through the stored route table (compiled afresh)."""

    async def __call__(self, events: Sequence[JsonObject]) -> Result[Explained, ValidationError]:
        """The traces, or the problems of a stored table that does not compile."""
        ...


class ExplainIn(BaseModel):
    """Sample events (JSON objects) to trace through the route table."""

    model_config = ConfigDict(extra="forbid")

    events: list[dict[str, Any]] = Field(max_length=1000)


class ExplainOut(BaseModel):
    """One trace per event: ``{"event", "routes": [{"name", "matched", "steps"?, "sinks"?}], ...}``."""

    routes_version: int
    traces: list[dict[str, Any]]


def explain_router(explainer: Explainer) -> APIRouter:
    """``POST /explain``."""
    router = APIRouter(tags=["routes"])

    @router.post("/explain", response_model=ExplainOut, responses={422: {"model": ErrorOut}})
    async def explain(body: ExplainIn) -> JSONResponse:
        """Trace sample events through the route table and its pipelines; nothing is written."""
        got = await explainer(body.events)
        return answer(got, lambda e: ok({"routes_version": e.routes_version, "traces": list(e.traces)}))

    return router


__all__ = ["ExplainIn", "ExplainOut", "Explained", "Explainer", "explain_router"]
