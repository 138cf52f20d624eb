"""The ``Pipeline`` aggregate and its typestate builder.

A pipeline is data: an id, a description, an ordered list of function specs and a version.
``PipelineBuilder`` makes an empty pipeline unbuildable: ``build()`` exists only on
``PipelineBuilder[HasFunctions]``, so mypy rejects the empty case. ``build_pipeline`` is the way
code builds one from functions it was given (a client's, a stored document's): it matches them
into the builder and answers the empty case with a ``ValidationError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Generic, NewType, TypeVar, final

from pipeflow.domain.errors import Problem, ValidationError
from pipeflow.domain.json import Json

PipelineId = NewType("PipelineId", str)
"""A pipeline's identity (its config name for pipelines seeded from a config file)."""

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")
PIPELINE_ID_RULE: Final = "1-128 letters, digits, '_', '.' or '-', starting alphanumeric"
"""What a pipeline id may be (a config's pipeline names too: they are the ids under ``serve``)."""


def is_pipeline_id(text: str) -> bool:
    """Whether ``text`` may be a pipeline id (``PIPELINE_ID_RULE``).

    >>> is_pipeline_id("scrub-v2.1"), is_pipeline_id("my scrub"), is_pipeline_id("-x")
    (True, False, False)
    """
    return _ID.fullmatch(text) is not None


@final
@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One function of a pipeline, as configured: its type, its own fields, and the common ones."""

    type: str
    config: Mapping[str, Json] = field(default_factory=dict)
    filter: str | None = None
    disabled: bool = False

    def to_json(self) -> dict[str, Json]:
        """The spec as the JSON object a user writes (``type`` first, then the fields)."""
        out: dict[str, Json] = {"type": self.type, **self.config}
        if self.filter is not None:
            out["filter"] = self.filter
        if self.disabled:
            out["disabled"] = True
        return out


@final
@dataclass(frozen=True, slots=True)
class Pipeline:
    """A versioned, immutable pipeline definition (the aggregate root)."""

    id: PipelineId
    functions: tuple[FunctionSpec, ...]
    description: str = ""
    version: int = 1

    @property
    def active_functions(self) -> tuple[tuple[int, FunctionSpec], ...]:
        """The functions that run, with their index in the full list (disabled ones skipped)."""
        return tuple((i, f) for i, f in enumerate(self.functions) if not f.disabled)

    def to_json(self) -> dict[str, Json]:
        """The pipeline as a JSON object (the API's and the store's shape)."""
        return {
            "id": self.id,
            "description": self.description,
            "version": self.version,
            "functions": [f.to_json() for f in self.functions],
        }


class NoFunctions:
    """Typestate: the builder has no function yet, so it cannot build."""


class HasFunctions:
    """Typestate: the builder has at least one function and may build."""


S = TypeVar("S", NoFunctions, HasFunctions)


@final
@dataclass(frozen=True, slots=True)
class PipelineBuilder(Generic[S]):
    """Builds a ``Pipeline`` step by step; ``build()`` type-checks only after a function is added.

    >>> p = PipelineBuilder.new(PipelineId("p")).add(FunctionSpec("drop")).build()
    >>> p.id, len(p.functions), p.version
    ('p', 1, 1)
    """

    id: PipelineId
    description: str = ""
    functions: tuple[FunctionSpec, ...] = ()

    @staticmethod
    def new(pipeline_id: PipelineId, description: str = "") -> PipelineBuilder[NoFunctions]:
        """Start an empty builder."""
        return PipelineBuilder(pipeline_id, description)

    def add(self, spec: FunctionSpec) -> PipelineBuilder[HasFunctions]:
        """Append a function; the builder can now build."""
        return PipelineBuilder(self.id, self.description, (*self.functions, spec))

    def build(self: PipelineBuilder[HasFunctions]) -> Pipeline:
        """The pipeline (only a builder with functions has this method, for mypy)."""
        return Pipeline(self.id, self.functions, self.description)


NO_FUNCTIONS = Problem("functions", "a pipeline needs at least one function")
"""The problem of a pipeline built from no function."""


def build_pipeline(
    pipeline_id: PipelineId, functions: Sequence[FunctionSpec], description: str = "", version: int = 1
) -> Pipeline | ValidationError:
    """The pipeline of ``functions`` built through ``PipelineBuilder``, or ``NO_FUNCTIONS``.

    >>> build_pipeline(PipelineId("p"), (FunctionSpec("drop"), FunctionSpec("mask")), "d", 3)
    ... # doctest: +NORMALIZE_WHITESPACE
    Pipeline(id='p', functions=(FunctionSpec(type='drop', config={}, filter=None, disabled=False),
    FunctionSpec(type='mask', config={}, filter=None, disabled=False)), description='d', version=3)
    >>> print(build_pipeline(PipelineId("p"), ()))
    functions: a pipeline needs at least one function
    """
    match tuple(functions):
        case (first, *rest):
            builder = PipelineBuilder.new(pipeline_id, description).add(first)
            for spec in rest:
                builder = builder.add(spec)
            built = builder.build()
            return built if version == built.version else replace(built, version=version)
        case _:
            return ValidationError((NO_FUNCTIONS,))


__all__ = [
    "NO_FUNCTIONS",
    "PIPELINE_ID_RULE",
    "FunctionSpec",
    "HasFunctions",
    "NoFunctions",
    "Pipeline",
    "PipelineBuilder",
    "PipelineId",
    "build_pipeline",
    "is_pipeline_id",
]
