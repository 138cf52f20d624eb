"""The management HTTP API (``pipeflow serve``), as an ASGI app built from ``Services``.

``create_app`` takes everything through its parameters (this module never imports an adapter);
``bootstrap`` builds the ``Services`` and the runtime adds its own routers (ingest, metrics).
With a token, every request but ``GET /health`` needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from pipeflow.application.services import Services
from pipeflow.interfaces.http.bearer import bearer_matches
from pipeflow.interfaces.http.models import HealthOut, ProblemOut
from pipeflow.interfaces.http.pipelines import KEY_MAX_LENGTH, create_key, idempotent, pipelines_router
from pipeflow.interfaces.http.responses import error
from pipeflow.interfaces.http.routes import routes_router


def _open(path: str) -> bool:
    """Paths served without the token: ``/health`` and the console's static files (they hold no data)."""
    return path in ("/health", "/ui") or path.startswith("/ui/")


class BearerAuth:
    """ASGI middleware: 401 unless the request carries the bearer token (``GET /health``, ``/ui`` open)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the ``Authorization`` header of HTTP requests, then pass them on."""
        if scope["type"] != "http" or (scope["method"] in ("GET", "HEAD") and _open(scope["path"])):
            await self._app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        if bearer_matches(given, self._token):
            await self._app(scope, receive, send)
            return
        denied = error(401, "unauthorized", "send Authorization: Bearer <token>")
        denied.headers["WWW-Authenticate"] = 'Bearer realm="pipeflow"'
        await denied(scope, receive, send)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    found = [ProblemOut(where=_where(e), message=str(e["msg"])) for e in exc.errors()]
    return error(422, "invalid", f"{len(found)} problem(s) with the request", problems=found)


def _where(problem: dict[str, Any]) -> str:
    """A request problem's place as the use cases write theirs: ``functions[0].filter``; ``body``
    for a body that is not JSON (its ``loc`` ends in a character position, not a place).

    >>> _where({"loc": ("body", "functions", 0, "disabled"), "type": "bool_parsing"})
    'functions[0].disabled'
    >>> _where({"loc": ("body", 12), "type": "json_invalid"})
    'body'
    """
    if problem["type"] == "json_invalid":
        return "body"
    where = ""
    for part in problem["loc"]:
        if part == "body" and not where:
            continue
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
    return where


async def _ready(answer: JSONResponse) -> JSONResponse:
    return answer


_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own answers (no such path, a method the path has not, a body it cannot read)
    in the common error body, with their headers (``Allow``)."""
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    answer = error(exc.status_code, _CODES.get(exc.status_code, "http_error"), message)
    answer.headers.update(exc.headers or {})
    return answer


def create_app(services: Services, *, token: str | None, routers: Sequence[APIRouter] = ()) -> FastAPI:
    """The ASGI app: health, ``/pipelines``, ``/routes``, plus ``routers`` (the runtime's ingest, metrics)."""
    app = FastAPI(
        title="pipeflow",
        version="0.1.0",
        summary="Manage pipelines and routes of a running pipeflow; changes apply without a restart.",
    )

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        """A body the model refuses is an answer like any other: with an ``Idempotency-Key`` on
        ``POST /pipelines`` it is stored, and a retry with the key gets it again."""
        answer = await _invalid_request(request, exc)
        key = request.headers.get("idempotency-key", "")
        if request.method != "POST" or request.url.path != "/pipelines" or not 0 < len(key) <= KEY_MAX_LENGTH:
            return answer
        return await idempotent(services, create_key(key), lambda: _ready(answer))

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)

    @app.head("/health", include_in_schema=False)
    async def health_head() -> Response:
        """``HEAD /health``: as ``GET``, without a body (load balancers probe with it)."""
        return Response(status_code=200)

    @app.get("/health", response_model=HealthOut, tags=["health"])
    async def health() -> HealthOut:
        """Liveness: answers without auth."""
        return HealthOut(status="ok")

    app.include_router(pipelines_router(services))
    app.include_router(routes_router(services))
    for router in routers:
        app.include_router(router)
    if token is not None:
        app.add_middleware(BearerAuth, token=token)
    return app


__all__ = ["BearerAuth", "create_app"]
