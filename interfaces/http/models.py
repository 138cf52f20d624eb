"""Request and response bodies of the management API (pydantic), and their translation to domain values.

The API's shapes are the config file's shapes: a function is ``{"type": ..., <its fields>,
"filter"?, "disabled"?}``, a route is ``{"name", "filter", "pipeline"?, "sink" or "sinks", "final"?}``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeflow.application.pipelines import PipelineDraft, Preview
from pipeflow.domain.engine import Dropped, Failed
from pipeflow.domain.errors import Problem
from pipeflow.domain.json import INT_MAX, INT_MIN
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName


class FunctionIn(BaseModel):
    """One function: its ``type``, the common ``filter``/``disabled``, and its own fields."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(min_length=1)
    filter: str | None = None
    disabled: bool = False

    @model_validator(mode="after")
    def _storable(self) -> FunctionIn:
        big = _big_int(self.model_extra or {})
        if big is not None:  # the stored document is JSON, whose integers are 64-bit here
            raise ValueError(f"{big} does not fit 64 bits")
        return self

    def to_spec(self) -> FunctionSpec:
        """The domain's ``FunctionSpec`` (the function's own fields are checked when it compiles)."""
        return FunctionSpec(self.type, dict(self.model_extra or {}), self.filter, self.disabled)


def _big_int(value: object) -> int | None:
    """The first integer in ``value`` (nested lists and objects too) outside 64 bits, if any.

    >>> _big_int({"a": [1, {"b": 2**64}]}), _big_int({"a": -(2**63)})
    (18446744073709551616, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if not INT_MIN <= value <= INT_MAX else None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return next((b for b in map(_big_int, items) if b is not None), None)


class PipelineIn(BaseModel):
    """The body of ``PUT /pipelines/{id}``."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    functions: list[FunctionIn]

    def to_draft(self) -> PipelineDraft:
        """The use cases' ``PipelineDraft``."""
        return PipelineDraft(tuple(f.to_spec() for f in self.functions), self.description)


class PipelineCreateIn(PipelineIn):
    """The body of ``POST /pipelines``; ``id`` is optional (a ULID is made when absent)."""

    id: str | None = None


class PipelineOut(BaseModel):
    """A stored pipeline version."""

    id: str
    description: str
    version: int
    functions: list[dict[str, Any]]

    @staticmethod
    def of(p: Pipeline) -> PipelineOut:
        """From the domain value."""
        return PipelineOut(
            id=p.id,
            description=p.description,
            version=p.version,
            functions=[f.to_json() for f in p.functions],
        )


class PipelinePage(BaseModel):
    """A page of ``GET /pipelines``; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[PipelineOut]
    next_cursor: str | None


class PipelineVersions(BaseModel):
    """Every stored version of a pipeline, oldest first."""

    items: list[PipelineOut]


class RollbackIn(BaseModel):
    """The body of a rollback: the earlier version to restore (as a new version)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=(1 << 63) - 1)  # a database's signed 64-bit integer


class RouteIn(BaseModel):
    """One route: ``sink`` (one) or ``sinks`` (several); ``filter`` defaults to ``true``."""

    model_config = ConfigDict(extra="forbid")

    name: str
    filter: str = "true"
    pipeline: str | None = None
    sink: str | None = None
    sinks: list[str] = []
    final: bool = True

    @model_validator(mode="after")
    def _not_both_kinds_of_sink(self) -> RouteIn:
        if self.sink is not None and self.sinks:
            raise ValueError("a route names its sinks with one of 'sink' or 'sinks', not both")
        return self

    def to_route(self) -> Route:
        """The domain's ``Route``."""
        names = [*([self.sink] if self.sink is not None else []), *self.sinks]
        return Route(
            RouteId(self.name),
            self.filter,
            tuple(SinkName(s) for s in names),
            PipelineId(self.pipeline) if self.pipeline is not None else None,
            self.final,
        )


class RoutesIn(BaseModel):
    """The body of ``PUT /routes``: the whole ordered table."""

    model_config = ConfigDict(extra="forbid")

    routes: list[RouteIn]


class RouteOut(BaseModel):
    """A stored route."""

    name: str
    filter: str
    pipeline: str | None
    sinks: list[str]
    final: bool


class RoutesOut(BaseModel):
    """A stored route table version."""

    version: int
    routes: list[RouteOut]

    @staticmethod
    def of(t: RouteTable) -> RoutesOut:
        """From the domain value."""
        return RoutesOut(
            version=t.version,
            routes=[
                RouteOut(
                    name=r.name, filter=r.filter, pipeline=r.pipeline, sinks=list(r.sinks), final=r.final
                )
                for r in t.routes
            ],
        )


class RoutesVersions(BaseModel):
    """Every stored version of the route table, oldest first."""

    items: list[RoutesOut]


class PreviewIn(BaseModel):
    """Sample events (JSON objects) to run through a pipeline."""

    model_config = ConfigDict(extra="forbid")

    events: list[dict[str, Any]] = Field(max_length=10_000)


class StageOut(BaseModel):
    """An event a function dropped or failed on: the function's index, why, and the event."""

    stage: int
    reason: str
    event: dict[str, Any]

    @staticmethod
    def of(d: Dropped | Failed) -> StageOut:
        """From the engine's value."""
        return StageOut(stage=d.stage, reason=d.reason, event=d.event.fields)


class PreviewOut(BaseModel):
    """What the pipeline version made of the sample events; nothing was written."""

    pipeline: str
    version: int
    outputs: list[dict[str, Any]]
    dropped: list[StageOut]
    failed: list[StageOut]
    steps: list[list[dict[str, Any]]]
    """Per sample event, each function step: ``{"index", "type", "outcome", "events", "reason"?}``."""

    @staticmethod
    def of(p: Preview) -> PreviewOut:
        """From the use case's value."""
        r = p.result
        return PreviewOut(
            pipeline=p.pipeline.id,
            version=p.pipeline.version,
            outputs=[e.fields for e in r.outputs],
            dropped=[StageOut.of(d) for d in r.dropped],
            failed=[StageOut.of(f) for f in r.failed],
            steps=[[s.to_json() for s in event] for event in p.steps],
        )


class ProblemOut(BaseModel):
    """One problem: where (a dotted location in the body) and what."""

    where: str
    message: str

    @staticmethod
    def of(p: Problem) -> ProblemOut:
        """From the domain value."""
        return ProblemOut(where=p.where, message=p.message)


class ErrorOut(BaseModel):
    """Every error answer: a code, a sentence, and the details that apply."""

    error: str
    message: str
    problems: list[ProblemOut] = []
    expected: int | None = None
    actual: int | None = None


class HealthOut(BaseModel):
    """``GET /health``."""

    status: str


__all__ = [
    "ErrorOut",
    "FunctionIn",
    "HealthOut",
    "PipelineCreateIn",
    "PipelineIn",
    "PipelineOut",
    "PipelinePage",
    "PipelineVersions",
    "PreviewIn",
    "PreviewOut",
    "ProblemOut",
    "RollbackIn",
    "RouteIn",
    "RouteOut",
    "RoutesIn",
    "RoutesOut",
    "RoutesVersions",
    "StageOut",
]
