"""``/pipelines``: create (idempotent with ``Idempotency-Key``), read, page, replace, delete,
versions, rollback and preview. Writes but create need ``If-Match`` (rollback: optional).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, assert_never

import anyio
import orjson
from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse
from returns.pipeline import is_successful

from pipeflow.application.outcomes import bind_async
from pipeflow.application.pipelines import Page, Preview
from pipeflow.application.services import Services
from pipeflow.domain.pipeline import Pipeline, PipelineId
from pipeflow.domain.repositories import InProgress, StoredAnswer
from pipeflow.interfaces.http.models import (
    ErrorOut,
    PipelineCreateIn,
    PipelineIn,
    PipelineOut,
    PipelinePage,
    PipelineVersions,
    PreviewIn,
    PreviewOut,
    RollbackIn,
)
from pipeflow.interfaces.http.responses import (
    answer,
    error,
    expected_version,
    ok,
    optional_expected_version,
)

_IfMatch = Annotated[str | None, Header(description="The version you read (its ETag), quoted or bare, or *")]
KEY_MAX_LENGTH = 255
"""The longest ``Idempotency-Key`` taken."""

_IdempotencyKey = Annotated[
    str | None, Header(max_length=KEY_MAX_LENGTH, description="Retries with this key get the first answer")
]


def create_key(key: str) -> str:
    """The idempotency store's key of a ``POST /pipelines`` sent with ``Idempotency-Key: key``."""
    return f"POST /pipelines {key}"


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut} for code in codes}


def _pipeline(p: Pipeline, status: int = 200) -> JSONResponse:
    headers = {"Location": f"/pipelines/{p.id}"} if status == 201 else {}
    return ok(PipelineOut.of(p).model_dump(), p.version, status, **headers)


def _page(page: Page) -> JSONResponse:
    items = [PipelineOut.of(p) for p in page.items]
    return ok(PipelinePage(items=items, next_cursor=page.next_cursor).model_dump())


def _versions(versions: tuple[Pipeline, ...]) -> JSONResponse:
    return ok(PipelineVersions(items=[PipelineOut.of(p) for p in versions]).model_dump())


def _preview(preview: Preview) -> JSONResponse:
    return ok(PreviewOut.of(preview).model_dump())


def _held(held: StoredAnswer | InProgress) -> JSONResponse:
    """A key already claimed: the first answer again, or 409 while the first request runs."""
    match held:
        case StoredAnswer(status, text):
            body = orjson.loads(text)
            headers: dict[str, str] = {"Idempotent-Replayed": "true"}
            if status == 201:
                headers |= {"ETag": f'"{body["version"]}"', "Location": f"/pipelines/{body['id']}"}
            return JSONResponse(body, status_code=status, headers=headers)
        case InProgress():
            return error(409, "in_progress", "a request with this Idempotency-Key is still being answered")
        case _:
            assert_never(held)


async def idempotent(
    services: Services, key: str, respond: Callable[[], Awaitable[JSONResponse]]
) -> JSONResponse:
    """Answer once per key: a retry gets the first answer; a retry while the first runs gets 409."""
    claimed = await services.idempotency.claim(key, services.clock.now())
    if not is_successful(claimed):
        return _held(claimed.failure())
    try:
        response = await respond()
    except BaseException:
        with anyio.CancelScope(shield=True):
            await services.idempotency.release(key)
        raise
    await services.idempotency.complete(
        key, StoredAnswer(response.status_code, bytes(response.body).decode())
    )
    return response


def pipelines_router(services: Services) -> APIRouter:
    """The ``/pipelines`` endpoints bound to ``services``."""
    router = APIRouter(prefix="/pipelines", tags=["pipelines"])
    uc = services.pipelines

    @router.post("", status_code=201, response_model=PipelineOut, responses=_errors(409, 422))
    async def create_pipeline(
        body: PipelineCreateIn, idempotency_key: _IdempotencyKey = None
    ) -> JSONResponse:
        """Create a pipeline (201 with its ``ETag``); ``id`` is optional."""

        async def create() -> JSONResponse:
            made = await uc.create(body.to_draft(), None if body.id is None else PipelineId(body.id))
            return answer(made, lambda p: _pipeline(p, 201))

        if idempotency_key is None:
            return await create()
        return await idempotent(services, create_key(idempotency_key), create)

    @router.get("", response_model=PipelinePage, responses=_errors(422))
    async def list_pipelines(
        limit: Annotated[int, Query(ge=1, le=1000)] = 100, cursor: str | None = None
    ) -> Response:
        """A page of pipelines ordered by id; follow ``next_cursor`` until it is null."""
        return answer(await uc.list(limit, cursor), _page)

    @router.get("/{pipeline_id}", response_model=PipelineOut, responses=_errors(404))
    async def get_pipeline(pipeline_id: str) -> JSONResponse:
        """The current version, with its ``ETag``."""
        return answer(await uc.get(PipelineId(pipeline_id)), _pipeline)

    @router.put("/{pipeline_id}", response_model=PipelineOut, responses=_errors(404, 409, 412, 422, 428))
    async def replace_pipeline(pipeline_id: str, body: PipelineIn, if_match: _IfMatch = None) -> JSONResponse:
        """Replace the functions and description; the answer is the new version."""
        expected = expected_version(if_match)
        got = await bind_async(expected, lambda e: uc.update(PipelineId(pipeline_id), body.to_draft(), e))
        return answer(got, _pipeline)

    @router.delete("/{pipeline_id}", status_code=204, responses=_errors(404, 409, 412, 422, 428))
    async def delete_pipeline(pipeline_id: str, if_match: _IfMatch = None) -> Response:
        """Delete (refused with 422 while a route uses it); its versions stay in the history."""
        expected = expected_version(if_match)
        got = await bind_async(expected, lambda e: uc.delete(PipelineId(pipeline_id), e))
        return answer(got, lambda _: Response(status_code=204))

    @router.get("/{pipeline_id}/versions", response_model=PipelineVersions, responses=_errors(404))
    async def pipeline_versions(pipeline_id: str) -> JSONResponse:
        """Every stored version, oldest first."""
        return answer(await uc.history(PipelineId(pipeline_id)), _versions)

    @router.post("/{pipeline_id}/rollback", response_model=PipelineOut, responses=_errors(404, 409, 412, 422))
    async def rollback_pipeline(
        pipeline_id: str, body: RollbackIn, if_match: _IfMatch = None
    ) -> JSONResponse:
        """Store an earlier version as the next version (``If-Match`` optional)."""
        expected = optional_expected_version(if_match)
        got = await bind_async(expected, lambda e: uc.rollback(PipelineId(pipeline_id), body.version, e))
        return answer(got, _pipeline)

    @router.post("/{pipeline_id}/preview", response_model=PreviewOut, responses=_errors(404, 422))
    async def preview_pipeline(pipeline_id: str, body: PreviewIn) -> JSONResponse:
        """Run the current version on sample events; nothing is written."""
        return answer(await uc.preview(PipelineId(pipeline_id), body.events), _preview)

    return router


__all__ = ["KEY_MAX_LENGTH", "create_key", "idempotent", "pipelines_router"]
