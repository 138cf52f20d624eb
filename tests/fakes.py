"""Fakes for the ports: in-memory repositories, a fixed clock, counting ids, tiny function factories.

The in-memory repositories obey the same contract as the SQLite ones
(``tests/contract/test_repository_contract.py`` runs against both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from returns.result import Failure, Result, Success

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.domain_events import DomainEvent
from pipeflow.domain.errors import ConcurrencyConflict, NotFound, Problem, Problems
from pipeflow.domain.events import Event, EventId
from pipeflow.domain.json import Json
from pipeflow.domain.pipeline import Pipeline, PipelineId
from pipeflow.domain.ports import FunctionFactory, PipelineFn
from pipeflow.domain.repositories import KEY_KEPT_S, InProgress, StoredAnswer
from pipeflow.domain.results import Drop, FnResult, Pass
from pipeflow.domain.routes import RouteTable


@dataclass
class InMemoryPipelineRepository:
    """Versions per id, oldest first; ``None`` is a tombstone (a delete)."""

    versions: dict[str, list[Pipeline | None]] = field(default_factory=dict)

    def _current(self, pid: str) -> Pipeline | None:
        history = self.versions.get(pid)
        return history[-1] if history else None

    async def get(self, pipeline_id: PipelineId) -> Result[Pipeline, NotFound]:
        current = self._current(pipeline_id)
        return Success(current) if current is not None else Failure(NotFound("pipeline", pipeline_id))

    async def get_version(self, pipeline_id: PipelineId, version: int) -> Result[Pipeline, NotFound]:
        history = self.versions.get(pipeline_id, [])
        found = history[version - 1] if 1 <= version <= len(history) else None
        if found is None:
            return Failure(NotFound("pipeline version", f"{pipeline_id}@{version}"))
        return Success(found)

    async def history(self, pipeline_id: PipelineId) -> Sequence[Pipeline]:
        return [p for p in self.versions.get(pipeline_id, []) if p is not None]

    async def list_page(self, after: PipelineId | None, limit: int) -> Sequence[Pipeline]:
        live = sorted(
            (
                h[-1]
                for pid, h in self.versions.items()
                if h[-1] is not None and (after is None or pid > after)
            ),
            key=lambda p: p.id,
        )
        return live[:limit]

    async def add(self, pipeline: Pipeline) -> Result[Pipeline, ConcurrencyConflict]:
        history = self.versions.setdefault(pipeline.id, [])
        if history and history[-1] is not None:
            return Failure(ConcurrencyConflict("pipeline", pipeline.id, 0, len(history)))
        stored = replace(pipeline, version=len(history) + 1)
        history.append(stored)
        return Success(stored)

    async def update(
        self, pipeline: Pipeline, expected: int
    ) -> Result[Pipeline, ConcurrencyConflict | NotFound]:
        history = self.versions.get(pipeline.id)
        if not history or history[-1] is None:
            return Failure(NotFound("pipeline", pipeline.id))
        if len(history) != expected:
            return Failure(ConcurrencyConflict("pipeline", pipeline.id, expected, len(history)))
        stored = replace(pipeline, version=expected + 1)
        history.append(stored)
        return Success(stored)

    async def delete(
        self, pipeline_id: PipelineId, expected: int
    ) -> Result[Pipeline, ConcurrencyConflict | NotFound]:
        history = self.versions.get(pipeline_id)
        if not history or history[-1] is None:
            return Failure(NotFound("pipeline", pipeline_id))
        last = history[-1]
        if len(history) != expected:
            return Failure(ConcurrencyConflict("pipeline", pipeline_id, expected, len(history)))
        history.append(None)
        return Success(last)


@dataclass
class InMemoryRouteTableRepository:
    """Every stored table, oldest first."""

    tables: list[RouteTable] = field(default_factory=list)

    async def get(self) -> RouteTable:
        return self.tables[-1] if self.tables else RouteTable((), 0)

    async def get_version(self, version: int) -> Result[RouteTable, NotFound]:
        if 1 <= version <= len(self.tables):
            return Success(self.tables[version - 1])
        return Failure(NotFound("routes version", str(version)))

    async def history(self) -> Sequence[RouteTable]:
        return list(self.tables)

    async def put(self, table: RouteTable, expected: int) -> Result[RouteTable, ConcurrencyConflict]:
        if len(self.tables) != expected:
            return Failure(ConcurrencyConflict("routes", "routes", expected, len(self.tables)))
        stored = replace(table, version=expected + 1)
        self.tables.append(stored)
        return Success(stored)


@dataclass
class InMemoryIdempotencyStore:
    """Keys with their answer (``None`` while claimed and unanswered) and when they were claimed."""

    answers: dict[str, tuple[StoredAnswer | None, float]] = field(default_factory=dict)
    abandoned_after_s: float = 60.0

    async def claim(self, key: str, at: float) -> Result[None, StoredAnswer | InProgress]:
        self.answers = {k: held for k, held in self.answers.items() if held[1] > at - KEY_KEPT_S}
        if key in self.answers:
            answer, claimed_at = self.answers[key]
            if answer is not None:
                return Failure(answer)
            if claimed_at > at - self.abandoned_after_s:
                return Failure(InProgress(key))
        self.answers[key] = (None, at)
        return Success(None)

    async def complete(self, key: str, answer: StoredAnswer) -> None:
        held = self.answers.get(key)
        if held is not None and held[0] is None:
            self.answers[key] = (answer, held[1])

    async def release(self, key: str) -> None:
        held = self.answers.get(key)
        if held is not None and held[0] is None:
            del self.answers[key]


class MemoryDeadLetterStore:
    """A dead-letter store that keeps the records in a list."""

    def __init__(self) -> None:
        self.records: list[DeadLetter] = []

    async def write(self, records: Sequence[DeadLetter]) -> None:
        """Keep the records."""
        self.records.extend(records)

    async def close(self) -> None:
        """Nothing to close."""


@dataclass
class FakeClock:
    """A clock that says what it is told."""

    at: float = 1_700_000_000.0

    def now(self) -> float:
        return self.at


@dataclass
class CountingIds:
    """Ids ``id-000001``, ``id-000002``, ... (sortable like ULIDs)."""

    n: int = 0

    def new_id(self) -> EventId:
        self.n += 1
        return EventId(f"id-{self.n:06d}")


@dataclass
class RecordingHandler:
    """A domain-event handler that keeps what it heard."""

    seen: list[DomainEvent] = field(default_factory=list)

    async def __call__(self, event: DomainEvent) -> None:
        self.seen.append(event)


def _upper(config: Mapping[str, Json]) -> Result[PipelineFn, Problems]:
    field_name = config.get("field")
    if not isinstance(field_name, str):
        return Failure((Problem("field", "required string"),))

    def fn(event: Event) -> FnResult:
        value = event.get(field_name)
        return Pass(event.with_field(field_name, value.upper() if isinstance(value, str) else value))

    return Success(fn)


def _drop(config: Mapping[str, Json]) -> Result[PipelineFn, Problems]:
    if config:
        return Failure(tuple(Problem(k, "unknown field") for k in config))

    def fn(event: Event) -> FnResult:
        return Drop("drop")

    return Success(fn)


FAKE_FACTORIES: Mapping[str, FunctionFactory] = {"upper": _upper, "drop": _drop}
"""Two tiny functions: ``upper`` (needs ``field``) and ``drop`` (takes nothing)."""


def fake_filter_check(text: str) -> str | None:
    """Accepts any filter but one containing ``!!`` (a stand-in syntax error)."""
    return "unexpected '!!'" if "!!" in text else None
