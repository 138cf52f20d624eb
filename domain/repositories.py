"""Repository ports: where pipelines, the route table and idempotency keys are kept.

Every aggregate is versioned and every write is a compare-and-set on the version the writer
read: a write that lost a race returns ``Failure(ConcurrencyConflict(...))`` (a value, never an
exception); a read or write of what does not exist returns ``Failure(NotFound(...))``.
Every stored version is kept, so history and rollback are reads. Adapters raise only for a
broken store (``:raises:`` at the adapter edge).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, final

from pipeflow.domain.errors import ConcurrencyConflict, NotFound
from pipeflow.domain.pipeline import Pipeline, PipelineId
from pipeflow.domain.routes import RouteTable

if TYPE_CHECKING:  # annotations only: importing the ports does not import returns
    from returns.result import Result


class PipelineRepository(Protocol):
    """Versioned pipelines. A delete stores a tombstone version; history keeps every version."""

    async def get(self, pipeline_id: PipelineId) -> Result[Pipeline, NotFound]:
        """The current version of a live pipeline."""
        ...

    async def get_version(self, pipeline_id: PipelineId, version: int) -> Result[Pipeline, NotFound]:
        """One stored version (deleted pipelines' versions included; tombstones are not versions)."""
        ...

    async def history(self, pipeline_id: PipelineId) -> Sequence[Pipeline]:
        """Every stored version, oldest first (empty when the id was never used)."""
        ...

    async def list_page(self, after: PipelineId | None, limit: int) -> Sequence[Pipeline]:
        """Up to ``limit`` live pipelines with ids greater than ``after``, ordered by id."""
        ...

    async def add(self, pipeline: Pipeline) -> Result[Pipeline, ConcurrencyConflict]:
        """Store a new pipeline; the id must be free (a deleted one is free again).

        The stored version is 1, or the next number after a deleted pipeline's tombstone.
        A live pipeline with this id is a ``Failure(ConcurrencyConflict(...))`` (``expected=0``).
        """
        ...

    async def update(
        self, pipeline: Pipeline, expected: int
    ) -> Result[Pipeline, ConcurrencyConflict | NotFound]:
        """Store ``pipeline`` as version ``expected + 1`` if the current version is ``expected``."""
        ...

    async def delete(
        self, pipeline_id: PipelineId, expected: int
    ) -> Result[Pipeline, ConcurrencyConflict | NotFound]:
        """Delete if the current version is ``expected``; returns the last live version."""
        ...


class RouteTableRepository(Protocol):
    """The one route table, versioned. Before the first write it is empty at version 0."""

    async def get(self) -> RouteTable:
        """The current table (``RouteTable((), 0)`` when none was stored)."""
        ...

    async def get_version(self, version: int) -> Result[RouteTable, NotFound]:
        """One stored version."""
        ...

    async def history(self) -> Sequence[RouteTable]:
        """Every stored version, oldest first."""
        ...

    async def put(self, table: RouteTable, expected: int) -> Result[RouteTable, ConcurrencyConflict]:
        """Store ``table`` as version ``expected + 1`` if the current version is ``expected``."""
        ...


@final
@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """The first answer given to a request with an idempotency key: status and JSON body."""

    status: int
    body: str


@final
@dataclass(frozen=True, slots=True)
class InProgress:
    """Another request with the same idempotency key is still being answered."""

    key: str


ABANDONED_AFTER_S = 60.0
"""A claimed idempotency key with no answer after this long is taken over (its request died)."""

KEY_KEPT_S = 86_400.0
"""How long an idempotency key is kept (24 h from its claim): later it is free again, and keys
older than that are deleted by later claims (a bounded number each), so the keys never pile up."""

KEYS_PURGED_PER_CLAIM = 100
"""At most this many keys past ``KEY_KEPT_S`` are deleted by one claim (its latency stays bounded
after a busy day; each claim deletes more than one key is added, so the old ones go)."""


class IdempotencyStore(Protocol):
    """Idempotency keys with the first answer given for each."""

    async def claim(self, key: str, at: float) -> Result[None, StoredAnswer | InProgress]:
        """Reserve ``key`` (``Success(None)``: the caller now owns it), or say what holds it already;
        a key claimed ``KEY_KEPT_S`` or more before ``at`` is free, and up to
        ``KEYS_PURGED_PER_CLAIM`` such keys are deleted."""
        ...

    async def complete(self, key: str, answer: StoredAnswer) -> None:
        """Record the answer for a key the caller claimed."""
        ...

    async def release(self, key: str) -> None:
        """Give up a claim without an answer (the request failed before answering)."""
        ...


__all__ = [
    "ABANDONED_AFTER_S",
    "KEYS_PURGED_PER_CLAIM",
    "KEY_KEPT_S",
    "IdempotencyStore",
    "InProgress",
    "PipelineRepository",
    "RouteTableRepository",
    "StoredAnswer",
]
