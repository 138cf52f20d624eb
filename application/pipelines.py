"""Pipeline use cases: create, read, list by page, update, delete, history, rollback, preview.

Every write is validated first (``compile_pipeline`` against the installed function
factories, every problem listed), then stored by compare-and-set, then published as a domain
event. A write that fails validation changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias, final

from pipeflow.application.dispatch import Publish
from pipeflow.application.versioning import StaleVersion, check_expected
from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.domain_events import PipelineCreated, PipelineDeleted, PipelineUpdated
from pipeflow.domain.engine import BatchResult, CompiledPipeline
from pipeflow.domain.errors import ConcurrencyConflict, NotFound, Problem, ValidationError
from pipeflow.domain.events import Event, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.ports import Clock, FunctionFactory, IdFactory
from pipeflow.domain.repositories import PipelineRepository, RouteTableRepository

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")


@final
@dataclass(frozen=True, slots=True)
class PipelineDraft:
    """What a client submits: the functions and a description (the id and version are not theirs)."""

    functions: tuple[FunctionSpec, ...]
    description: str = ""


@final
@dataclass(frozen=True, slots=True)
class Page:
    """One page of pipelines, and the cursor of the next page (``None`` on the last)."""

    items: tuple[Pipeline, ...]
    next_cursor: str | None


@final
@dataclass(frozen=True, slots=True)
class Preview:
    """What a pipeline version made of sample events (nothing was written)."""

    pipeline: Pipeline
    result: BatchResult


Write: TypeAlias = Pipeline | ValidationError | NotFound | StaleVersion | ConcurrencyConflict
"""What a pipeline write answers: the stored version or why not."""


@final
@dataclass(frozen=True, slots=True)
class PipelineUseCases:
    """The pipeline use cases, bound to their ports."""

    pipelines: PipelineRepository
    routes: RouteTableRepository
    factories: Mapping[str, FunctionFactory]
    publish: Publish
    ids: IdFactory
    clock: Clock

    def validate(self, pipeline: Pipeline) -> CompiledPipeline | ValidationError:
        """Compile against the installed functions; every problem, including a bad id or no function."""
        found: list[Problem] = []
        if not _ID.fullmatch(pipeline.id):
            found.append(
                Problem("id", "must be 1-128 letters, digits, '_', '.' or '-', starting alphanumeric")
            )
        if not pipeline.functions:
            found.append(Problem("functions", "a pipeline needs at least one function"))
        compiled = compile_pipeline(pipeline, self.factories)
        if isinstance(compiled, ValidationError):
            found.extend(compiled.problems)
        return ValidationError(tuple(found)) if found else compiled

    async def create(
        self, draft: PipelineDraft, pipeline_id: PipelineId | None = None
    ) -> Pipeline | ValidationError | ConcurrencyConflict:
        """Store a new pipeline under ``pipeline_id`` (a fresh id when ``None``) and publish it."""
        pid = pipeline_id if pipeline_id is not None else PipelineId(self.ids.new_id())
        pipeline = Pipeline(pid, draft.functions, draft.description)
        checked = self.validate(pipeline)
        if isinstance(checked, ValidationError):
            return checked
        stored = await self.pipelines.add(pipeline)
        if isinstance(stored, Pipeline):
            await self.publish(PipelineCreated(stored))
        return stored

    async def get(self, pipeline_id: PipelineId) -> Pipeline | NotFound:
        """The current version."""
        return await self.pipelines.get(pipeline_id)

    async def list(self, limit: int, cursor: str | None = None) -> Page | ValidationError:
        """A page of live pipelines ordered by id; ``cursor`` comes from the previous page."""
        after = decode_cursor(cursor) if cursor else None
        if isinstance(after, ValidationError):
            return after
        if not 1 <= limit <= 1000:
            return ValidationError((Problem("limit", "must be between 1 and 1000"),))
        rows = tuple(await self.pipelines.list_page(after, limit + 1))
        items = rows[:limit]
        return Page(items, encode_cursor(items[-1].id) if len(rows) > limit else None)

    async def update(self, pipeline_id: PipelineId, draft: PipelineDraft, expected: int | None) -> Write:
        """Replace the functions and description; ``expected`` is the version the client read."""
        found = await self._current(pipeline_id, expected)
        if isinstance(found, (NotFound, StaleVersion)):
            return found
        current, base = found
        return await self._store(current.changed(draft.functions, draft.description), base)

    async def delete(
        self, pipeline_id: PipelineId, expected: int | None
    ) -> Pipeline | ValidationError | NotFound | StaleVersion | ConcurrencyConflict:
        """Delete unless a route of the current table uses it; returns the last live version."""
        found = await self._current(pipeline_id, expected)
        if isinstance(found, (NotFound, StaleVersion)):
            return found
        _, base = found
        table = await self.routes.get()
        users = [
            Problem(f"routes[{i}].pipeline", f"route {r.name!r} uses pipeline {pipeline_id!r}")
            for i, r in enumerate(table.routes)
            if r.pipeline == pipeline_id
        ]
        if users:
            return ValidationError(tuple(users))
        deleted = await self.pipelines.delete(pipeline_id, base)
        if isinstance(deleted, Pipeline):
            await self.publish(PipelineDeleted(deleted.id, deleted.version))
        return deleted

    async def _current(
        self, pipeline_id: PipelineId, expected: int | None
    ) -> tuple[Pipeline, int] | NotFound | StaleVersion:
        """The current version and the version a write must replace, if ``expected`` (what the
        client read, when it says) is still current."""
        current = await self.pipelines.get(pipeline_id)
        if isinstance(current, NotFound):
            return current
        base = check_expected("pipeline", pipeline_id, expected, current.version)
        return base if isinstance(base, StaleVersion) else (current, base)

    async def history(self, pipeline_id: PipelineId) -> tuple[Pipeline, ...] | NotFound:
        """Every stored version, oldest first."""
        versions = tuple(await self.pipelines.history(pipeline_id))
        return versions if versions else NotFound("pipeline", pipeline_id)

    async def rollback(self, pipeline_id: PipelineId, version: int, expected: int | None) -> Write:
        """Store an earlier version's functions as the next version (validated again)."""
        found = await self._current(pipeline_id, expected)
        if isinstance(found, (NotFound, StaleVersion)):
            return found
        current, base = found
        old = await self.pipelines.get_version(pipeline_id, version)
        if isinstance(old, NotFound):
            return NotFound("pipeline version", f"{pipeline_id}@{version}")
        return await self._store(current.changed(old.functions, old.description), base)

    async def preview(
        self, pipeline_id: PipelineId, events: Sequence[JsonObject]
    ) -> Preview | NotFound | ValidationError:
        """Run the current version on sample events; nothing is stored or sent anywhere."""
        current = await self.pipelines.get(pipeline_id)
        if isinstance(current, NotFound):
            return current
        compiled = self.validate(current)
        if isinstance(compiled, ValidationError):
            return compiled
        now = self.clock.now()
        batch = [Event(self.ids.new_id(), EventMeta("preview", now), dict(e)) for e in events]
        return Preview(current, compiled.process_batch(batch))

    async def _store(self, pipeline: Pipeline, expected: int) -> Write:
        checked = self.validate(pipeline)
        if isinstance(checked, ValidationError):
            return checked
        stored = await self.pipelines.update(pipeline, expected)
        if isinstance(stored, Pipeline):
            await self.publish(PipelineUpdated(stored))
        return stored


def encode_cursor(last_id: str) -> str:
    """The opaque cursor after ``last_id``.

    >>> decode_cursor(encode_cursor("p-1"))
    'p-1'
    """
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> PipelineId | ValidationError:
    """The id a cursor points after, or a problem when the cursor was not made by us."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not _ID.fullmatch(raw):
        return ValidationError((Problem("cursor", "not a cursor returned by this API"),))
    return PipelineId(raw)


__all__ = ["Page", "PipelineDraft", "PipelineUseCases", "Preview", "Write", "decode_cursor", "encode_cursor"]
