"""``/routes``: the whole ordered route table, versioned like a pipeline (``ETag``/``If-Match``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse

from pipeflow.application.outcomes import bind_async
from pipeflow.application.services import Services
from pipeflow.domain.routes import RouteTable
from pipeflow.interfaces.http.models import ErrorOut, RollbackIn, RoutesIn, RoutesOut, RoutesVersions
from pipeflow.interfaces.http.responses import answer, expected_version, ok, optional_expected_version

_IfMatch = Annotated[
    str | None, Header(description="The table version you read (its ETag), quoted or bare, or *")
]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut} for code in codes}


def _table(t: RouteTable) -> JSONResponse:
    return ok(RoutesOut.of(t).model_dump(), t.version)


def routes_router(services: Services) -> APIRouter:
    """The ``/routes`` endpoints bound to ``services``."""
    router = APIRouter(prefix="/routes", tags=["routes"])
    uc = services.routes

    @router.get("", response_model=RoutesOut)
    async def get_routes() -> JSONResponse:
        """The current table with its ``ETag`` (version 0 and no routes before the first ``PUT``)."""
        return _table(await uc.get())

    @router.put("", response_model=RoutesOut, responses=_errors(409, 412, 422, 428))
    async def put_routes(body: RoutesIn, if_match: _IfMatch = None) -> JSONResponse:
        """Replace the whole table; every route is checked and every problem listed."""
        expected = expected_version(if_match)
        got = await bind_async(expected, lambda e: uc.put(tuple(r.to_route() for r in body.routes), e))
        return answer(got, _table)

    @router.get("/versions", response_model=RoutesVersions)
    async def route_versions() -> JSONResponse:
        """Every stored table, oldest first."""
        return ok(RoutesVersions(items=[RoutesOut.of(t) for t in await uc.history()]).model_dump())

    @router.post("/rollback", response_model=RoutesOut, responses=_errors(404, 409, 412, 422))
    async def rollback_routes(body: RollbackIn, if_match: _IfMatch = None) -> JSONResponse:
        """Store an earlier table as the next version (``If-Match`` optional)."""
        expected = optional_expected_version(if_match)
        return answer(await bind_async(expected, lambda e: uc.rollback(body.version, e)), _table)

    return router


__all__ = ["routes_router"]
