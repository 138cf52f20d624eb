"""``/pipelines``: create (idempotent with ``Idempotency-Key``), read, page, replace, delete,
versions, rollback and preview. Writes but create need ``If-Match`` (rollback: optional).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

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
    BadIfMatch,
    MissingIfMatch,
    error,
    expected_version,
    failure,
    if_match_failure,
    ok,
)

_IfMatch = Annotated[str | None, Header(description="The version you read (its ETag), quoted or bare, or *")]
_IdempotencyKey = Annotated[
    str | None, Header(max_length=255, description="Retries with this key get the first answer")
]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut} for code in codes}


def _pipeline(p: Pipeline, status: int = 200) -> JSONResponse:
    headers = {"Location": f"/pipelines/{p.id}"} if status == 201 else {}
    return ok(PipelineOut.of(p).model_dump(), p.version, status, **headers)


def _replay(answer: StoredAnswer) -> JSONResponse:
    body = orjson.loads(answer.body)
    headers: dict[str, str] = {"Idempotent-Replayed": "true"}
    if answer.status == 201:
        headers |= {"ETag": f'"{body["version"]}"', "Location": f"/pipelines/{body['id']}"}
    return JSONResponse(body, status_code=answer.status, headers=headers)


async def idempotent(
    services: Services, key: str, answer: Callable[[], Awaitable[JSONResponse]]
) -> JSONResponse:
    """Answer once per key: a retry gets the first answer; a retry while the first runs gets 409."""
    claimed = await services.idempotency.claim(key, services.clock.now())
    if isinstance(claimed, StoredAnswer):
        return _replay(claimed)
    if isinstance(claimed, InProgress):
        return error(409, "in_progress", "a request with this Idempotency-Key is still being answered")
    try:
        response = await answer()
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

        async def answer() -> JSONResponse:
            made = await uc.create(body.to_draft(), None if body.id is None else PipelineId(body.id))
            return _pipeline(made, 201) if isinstance(made, Pipeline) else failure(made)

        if idempotency_key is None:
            return await answer()
        return await idempotent(services, f"POST /pipelines {idempotency_key}", answer)

    @router.get("", response_model=PipelinePage, responses=_errors(422))
    async def list_pipelines(
        limit: Annotated[int, Query(ge=1, le=1000)] = 100, cursor: str | None = None
    ) -> Response:
        """A page of pipelines ordered by id; follow ``next_cursor`` until it is null."""
        page = await uc.list(limit, cursor)
        if not isinstance(page, Page):
            return failure(page)
        return ok(
            PipelinePage(
                items=[PipelineOut.of(p) for p in page.items], next_cursor=page.next_cursor
            ).model_dump()
        )

    @router.get("/{pipeline_id}", response_model=PipelineOut, responses=_errors(404))
    async def get_pipeline(pipeline_id: str) -> JSONResponse:
        """The current version, with its ``ETag``."""
        got = await uc.get(PipelineId(pipeline_id))
        return _pipeline(got) if isinstance(got, Pipeline) else failure(got)

    @router.put("/{pipeline_id}", response_model=PipelineOut, responses=_errors(404, 409, 412, 422, 428))
    async def replace_pipeline(pipeline_id: str, body: PipelineIn, if_match: _IfMatch = None) -> JSONResponse:
        """Replace the functions and description; the answer is the new version."""
        expected = expected_version(if_match)
        if isinstance(expected, MissingIfMatch | BadIfMatch):
            return if_match_failure(expected)
        got = await uc.update(PipelineId(pipeline_id), body.to_draft(), expected)
        return _pipeline(got) if isinstance(got, Pipeline) else failure(got)

    @router.delete("/{pipeline_id}", status_code=204, responses=_errors(404, 409, 412, 422, 428))
    async def delete_pipeline(pipeline_id: str, if_match: _IfMatch = None) -> Response:
        """Delete (refused with 422 while a route uses it); its versions stay in the history."""
        expected = expected_version(if_match)
        if isinstance(expected, MissingIfMatch | BadIfMatch):
            return if_match_failure(expected)
        got = await uc.delete(PipelineId(pipeline_id), expected)
        return Response(status_code=204) if isinstance(got, Pipeline) else failure(got)

    @router.get("/{pipeline_id}/versions", response_model=PipelineVersions, responses=_errors(404))
    async def pipeline_versions(pipeline_id: str) -> JSONResponse:
        """Every stored version, oldest first."""
        got = await uc.history(PipelineId(pipeline_id))
        if not isinstance(got, tuple):
            return failure(got)
        return ok(PipelineVersions(items=[PipelineOut.of(p) for p in got]).model_dump())

    @router.post("/{pipeline_id}/rollback", response_model=PipelineOut, responses=_errors(404, 409, 412, 422))
    async def rollback_pipeline(
        pipeline_id: str, body: RollbackIn, if_match: _IfMatch = None
    ) -> JSONResponse:
        """Store an earlier version as the next version (``If-Match`` optional)."""
        expected = expected_version(if_match) if if_match is not None else None
        if isinstance(expected, MissingIfMatch | BadIfMatch):
            return if_match_failure(expected)
        got = await uc.rollback(PipelineId(pipeline_id), body.version, expected)
        return _pipeline(got) if isinstance(got, Pipeline) else failure(got)

    @router.post("/{pipeline_id}/preview", response_model=PreviewOut, responses=_errors(404, 422))
    async def preview_pipeline(pipeline_id: str, body: PreviewIn) -> JSONResponse:
        """Run the current version on sample events; nothing is written."""
        got = await uc.preview(PipelineId(pipeline_id), body.events)
        return ok(PreviewOut.of(got).model_dump()) if isinstance(got, Preview) else failure(got)

    return router


__all__ = ["idempotent", "pipelines_router"]
