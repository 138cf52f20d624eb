"""``/dead-letters``: the dead-letter queue of the state database, listed and replayed.

``GET /dead-letters`` lists the stored records oldest first, each with its ``seq`` (its place in
the queue); ``POST /dead-letters/replay`` ``{"seqs": [...]}`` sends those records into the running
engine again, through the ingest source they came from and the route table in force, and removes
each one once it was delivered (or dead-lettered anew, with the new reason: a new record). The
queue is reached through ``DeadLetterQueue``, a structural port the root satisfies; this module
imports no adapter.

| case | answer |
|---|---|
| a list | ``200`` ``{"total", "items": [{"seq", "record"}]}`` |
| a replay | ``200`` ``{"replayed": [seq, ...], "kept": [{"seq", "reason"}]}`` |
| no queue to read (no config, or its ``dead_letter`` is a sink) | ``404`` |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, final

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from pipeflow.interfaces.http.models import ErrorOut
from pipeflow.interfaces.http.responses import error, ok


@final
@dataclass(frozen=True, slots=True)
class ReplayReport:
    """What a replay did: the records delivered again (removed), and those kept with the reason."""

    replayed: tuple[int, ...]
    kept: tuple[tuple[int, str], ...]


class DeadLetterQueue(Protocol):
    """The state database's dead-letter queue as the API sees it."""

    async def records(self, *, route: str | None, limit: int) -> Sequence[tuple[int, Mapping[str, object]]]:
        """Stored records, oldest first, with their sequence number."""
        ...

    async def count(self) -> int:
        """How many records are stored."""
        ...

    async def replay(self, seqs: Sequence[int]) -> ReplayReport:
        """Send these records into the running engine again; remove those delivered."""
        ...


class DeadLetterOut(BaseModel):
    """One stored record (``id, at, source, route, pipeline, stage, reason`` and ``event`` or ``raw``)."""

    seq: int
    record: dict[str, Any]


class DeadLettersOut(BaseModel):
    """``GET /dead-letters``: how many are stored, and the page asked for."""

    total: int
    items: list[DeadLetterOut]


class ReplayIn(BaseModel):
    """The records to replay, by ``seq``."""

    model_config = ConfigDict(extra="forbid")

    seqs: list[int] = Field(min_length=1, max_length=1000)


class KeptOut(BaseModel):
    """A record a replay left in the queue, and why."""

    seq: int
    reason: str


class ReplayOut(BaseModel):
    """``POST /dead-letters/replay``."""

    replayed: list[int]
    kept: list[KeptOut]


def dead_letters_router(queue: DeadLetterQueue | None, unavailable: str = "") -> APIRouter:
    """``GET /dead-letters`` and ``POST /dead-letters/replay``; 404 with ``unavailable`` without a queue."""
    router = APIRouter(prefix="/dead-letters", tags=["dead letters"])
    missing: dict[int | str, dict[str, Any]] = {
        404: {"model": ErrorOut, "description": "No dead-letter queue in the state database"}
    }

    @router.get("", response_model=DeadLettersOut, responses=missing)
    async def list_dead_letters(
        limit: Annotated[int, Query(ge=1, le=1000)] = 100, route: str | None = None
    ) -> JSONResponse:
        """The stored records, oldest first (of one route, when given)."""
        if queue is None:
            return error(404, "not_found", unavailable)
        items = [
            DeadLetterOut(seq=seq, record=dict(rec))
            for seq, rec in await queue.records(route=route, limit=limit)
        ]
        return ok(DeadLettersOut(total=await queue.count(), items=items).model_dump())

    @router.post("/replay", response_model=ReplayOut, responses=missing)
    async def replay_dead_letters(body: ReplayIn) -> JSONResponse:
        """Send the records into the running engine again; each delivered one leaves the queue."""
        if queue is None:
            return error(404, "not_found", unavailable)
        report = await queue.replay(body.seqs)
        kept = [KeptOut(seq=seq, reason=reason) for seq, reason in report.kept]
        return ok(ReplayOut(replayed=list(report.replayed), kept=kept).model_dump())

    return router


__all__ = [
    "DeadLetterOut",
    "DeadLetterQueue",
    "DeadLettersOut",
    "KeptOut",
    "ReplayIn",
    "ReplayOut",
    "ReplayReport",
    "dead_letters_router",
]
