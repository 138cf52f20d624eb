"""Pipeline use cases: create, read, list by page, update, delete, history, rollback, preview.

Every write is validated first (built through the typestate ``PipelineBuilder`` by
``build_pipeline``, compiled by ``compile_pipeline`` against the installed function factories,
every problem listed), then stored by compare-and-set, then published as a domain event. A write
that fails validation changes nothing. Each use case answers a ``Result``: ``Success`` with what
it made or read, or ``Failure`` with the domain error (``ValidationError``, ``NotFound``,
``StaleVersion``, ``ConcurrencyConflict``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias, TypeVar, final

import anyio
from returns.pipeline import is_successful
from returns.result import Failure, Result, Success

from pipeflow.application.dispatch import Publish
from pipeflow.application.outcomes import bind_async, to_result
from pipeflow.application.versioning import StaleVersion, check_expected
from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.domain_events import DomainEvent, PipelineCreated, PipelineDeleted, PipelineUpdated
from pipeflow.domain.engine import BatchResult, CompiledPipeline
from pipeflow.domain.errors import ConcurrencyConflict, NotFound, Problem, ValidationError
from pipeflow.domain.events import Event, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.pipeline import (
    PIPELINE_ID_RULE,
    FunctionSpec,
    Pipeline,
    PipelineId,
    build_pipeline,
    is_pipeline_id,
)
from pipeflow.domain.ports import Clock, FunctionFactory, IdFactory
from pipeflow.domain.repositories import PipelineRepository, RouteTableRepository
from pipeflow.domain.trace import StepTrace, trace_pipeline

_BAD_ID = Problem("id", f"must be {PIPELINE_ID_RULE}")
_E = TypeVar("_E")


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
class Checked:
    """A pipeline that passed every check, and what it compiled to."""

    pipeline: Pipeline
    compiled: CompiledPipeline


@final
@dataclass(frozen=True, slots=True)
class Preview:
    """What a pipeline version made of sample events (nothing was written); ``steps``: per sample
    event, each function step with its outcome and the events after it (``explain``'s trace)."""

    pipeline: Pipeline
    result: BatchResult
    steps: tuple[tuple[StepTrace, ...], ...] = ()


Write: TypeAlias = Result[Pipeline, ValidationError | NotFound | StaleVersion | ConcurrencyConflict]
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
    # Held while a write checks what another aggregate holds and stores: a delete reads the route
    # table, a route table write reads the pipelines; shared with ``RouteUseCases``.
    references: anyio.Lock = field(default_factory=anyio.Lock)

    def check(
        self,
        pipeline_id: PipelineId,
        functions: Sequence[FunctionSpec],
        description: str = "",
        version: int = 1,
    ) -> Result[Checked, ValidationError]:
        """Build through the typestate builder and compile against the installed functions.

        Every problem is listed: a bad id, no function, and each function's own.
        """
        checked = to_result(build_pipeline(pipeline_id, functions, description, version)).bind(self._compile)
        if is_pipeline_id(pipeline_id):
            return checked
        others = checked.swap().map(lambda e: e.problems).value_or(())
        return Failure(ValidationError((_BAD_ID, *others)))

    def _compile(self, pipeline: Pipeline) -> Result[Checked, ValidationError]:
        compiled = to_result(compile_pipeline(pipeline, self.factories))
        return compiled.map(lambda c: Checked(pipeline, c))

    async def create(
        self, draft: PipelineDraft, pipeline_id: PipelineId | None = None
    ) -> Result[Pipeline, ValidationError | ConcurrencyConflict]:
        """Store a new pipeline under ``pipeline_id`` (a fresh id when ``None``) and publish it."""
        pid = pipeline_id if pipeline_id is not None else PipelineId(self.ids.new_id())
        checked = self.check(pid, draft.functions, draft.description)
        stored = await bind_async(checked, lambda c: self.pipelines.add(c.pipeline))
        return await self._announce(stored, PipelineCreated)

    async def get(self, pipeline_id: PipelineId) -> Result[Pipeline, NotFound]:
        """The current version."""
        return await self.pipelines.get(pipeline_id)

    async def list(self, limit: int, cursor: str | None = None) -> Result[Page, ValidationError]:
        """A page of live pipelines ordered by id; ``cursor`` comes from the previous page."""
        after: Result[PipelineId | None, ValidationError] = decode_cursor(cursor) if cursor else Success(None)
        if is_successful(after) and not 1 <= limit <= 1000:
            return Failure(ValidationError((Problem("limit", "must be between 1 and 1000"),)))
        return await bind_async(after, lambda start: self._page(start, limit))

    async def _page(self, after: PipelineId | None, limit: int) -> Result[Page, ValidationError]:
        rows = tuple(await self.pipelines.list_page(after, limit + 1))
        items = rows[:limit]
        return Success(Page(items, encode_cursor(items[-1].id) if len(rows) > limit else None))

    async def update(self, pipeline_id: PipelineId, draft: PipelineDraft, expected: int | None) -> Write:
        """Replace the functions and description; ``expected`` is the version the client read."""
        found = await self._current(pipeline_id, expected)
        return await bind_async(
            found, lambda at: self._store(pipeline_id, draft.functions, draft.description, at)
        )

    async def delete(
        self, pipeline_id: PipelineId, expected: int | None
    ) -> Result[Pipeline, ValidationError | NotFound | StaleVersion | ConcurrencyConflict]:
        """Delete unless a route of the current table uses it; returns the last live version."""
        async with self.references:  # no route table naming it is stored between check and delete
            found = await self._current(pipeline_id, expected)
            unused = await bind_async(found, lambda at: self._unused(pipeline_id, at.base))
            deleted = await bind_async(unused, lambda base: self.pipelines.delete(pipeline_id, base))
            return await self._announce(deleted, lambda p: PipelineDeleted(p.id, p.version))

    async def _unused(self, pipeline_id: PipelineId, base: int) -> Result[int, ValidationError]:
        """``base`` when no route of the current table uses the pipeline, else each such route."""
        table = await self.routes.get()
        users = tuple(
            Problem(f"routes[{i}].pipeline", f"route {r.name!r} uses pipeline {pipeline_id!r}")
            for i, r in enumerate(table.routes)
            if r.pipeline == pipeline_id
        )
        return Failure(ValidationError(users)) if users else Success(base)

    async def _current(
        self, pipeline_id: PipelineId, expected: int | None
    ) -> Result[_Current, NotFound | StaleVersion]:
        """The current version and the version a write must replace, if ``expected`` (what the
        client read, when it says) is still current."""
        current: Result[Pipeline, NotFound | StaleVersion] = await self.pipelines.get(pipeline_id)
        return current.bind(
            lambda p: check_expected("pipeline", pipeline_id, expected, p.version).map(
                lambda base: _Current(p, base)
            )
        )

    async def history(self, pipeline_id: PipelineId) -> Result[tuple[Pipeline, ...], NotFound]:
        """Every stored version, oldest first."""
        versions = tuple(await self.pipelines.history(pipeline_id))
        return Success(versions) if versions else Failure(NotFound("pipeline", pipeline_id))

    async def rollback(self, pipeline_id: PipelineId, version: int, expected: int | None) -> Write:
        """Store an earlier version's functions as the next version (validated again)."""
        found = await self._current(pipeline_id, expected)
        return await bind_async(found, lambda at: self._restore(pipeline_id, version, at))

    async def _restore(self, pipeline_id: PipelineId, version: int, at: _Current) -> Write:
        old = await self.pipelines.get_version(pipeline_id, version)
        missing = NotFound("pipeline version", f"{pipeline_id}@{version}")
        return await bind_async(
            old.alt(lambda _: missing), lambda o: self._store(pipeline_id, o.functions, o.description, at)
        )

    async def preview(
        self, pipeline_id: PipelineId, events: Sequence[JsonObject]
    ) -> Result[Preview, NotFound | ValidationError]:
        """Run the current version on sample events; nothing is stored or sent anywhere."""
        current: Result[Pipeline, NotFound | ValidationError] = await self.pipelines.get(pipeline_id)
        checked = current.bind(lambda p: self.check(p.id, p.functions, p.description, p.version))
        return checked.map(lambda c: self._preview(c, events))

    def _preview(self, checked: Checked, events: Sequence[JsonObject]) -> Preview:
        """The batch result, and each event's step trace from a compile of its own (a function's
        state, such as ``sample``'s counter, is not shared between the two runs)."""
        p = checked.pipeline
        result = checked.compiled.process_batch(self._samples(events))
        again = self.check(p.id, p.functions, p.description, p.version)
        if not is_successful(again):  # pragma: no cover - the same pipeline compiled a moment ago
            return Preview(p, result)
        compiled = again.unwrap().compiled
        return Preview(p, result, tuple(trace_pipeline(compiled, e)[0] for e in self._samples(events)))

    def _samples(self, events: Sequence[JsonObject]) -> tuple[Event, ...]:
        now = self.clock.now()
        return tuple(Event(self.ids.new_id(), EventMeta("preview", now), dict(e)) for e in events)

    async def _store(
        self, pipeline_id: PipelineId, functions: Sequence[FunctionSpec], description: str, at: _Current
    ) -> Write:
        """Validate the next version of ``at.pipeline`` and compare-and-set it on ``at.base``."""
        checked = self.check(pipeline_id, functions, description, at.pipeline.version + 1)
        stored = await bind_async(checked, lambda c: self.pipelines.update(c.pipeline, at.base))
        return await self._announce(stored, PipelineUpdated)

    async def _announce(
        self, stored: Result[Pipeline, _E], event: Callable[[Pipeline], DomainEvent]
    ) -> Result[Pipeline, _E]:
        """Publish ``event`` of a stored pipeline; a failure is returned as it is."""
        if is_successful(stored):
            await self.publish(event(stored.unwrap()))
        return stored


@final
@dataclass(frozen=True, slots=True)
class _Current:
    """The current version of a pipeline and the version a write compares-and-sets against."""

    pipeline: Pipeline
    base: int


def encode_cursor(last_id: str) -> str:
    """The opaque cursor after ``last_id``.

    >>> decode_cursor(encode_cursor("p-1"))
    <Success: p-1>
    """
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Result[PipelineId, ValidationError]:
    """The id a cursor points after, or a problem when the cursor was not made by us.

    >>> print(decode_cursor("!!").failure())
    cursor: not a cursor returned by this API
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not is_pipeline_id(raw):
        return Failure(ValidationError((Problem("cursor", "not a cursor returned by this API"),)))
    return Success(PipelineId(raw))


__all__ = [
    "Checked",
    "Page",
    "PipelineDraft",
    "PipelineUseCases",
    "Preview",
    "Write",
    "decode_cursor",
    "encode_cursor",
]
