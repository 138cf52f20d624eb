"""Compile a ``Pipeline`` (data) into a ``CompiledPipeline`` (callables), collecting every problem."""

from __future__ import annotations

from collections.abc import Mapping

from pipeflow.domain.engine import CompiledPipeline, Step
from pipeflow.domain.errors import Problem, Problems, ValidationError
from pipeflow.domain.filter.guard import guarded
from pipeflow.domain.pipeline import FunctionSpec, Pipeline
from pipeflow.domain.ports import FunctionFactory, PipelineFn
from returns.result import Failure, Result, Success


def compile_pipeline(
    pipeline: Pipeline, factories: Mapping[str, FunctionFactory]
) -> CompiledPipeline | ValidationError:
    """Resolve each function through its factory; every problem is reported, not just the first.

    Disabled functions are validated too (so enabling one later cannot fail), but left out of
    the steps.

    >>> from pipeflow.domain.pipeline import FunctionSpec, PipelineId
    >>> compile_pipeline(Pipeline(PipelineId("p"), (FunctionSpec("nope"),)), {})
    ValidationError(problems=(Problem(where='functions[0].type', message="unknown function type 'nope'"),))
    """
    found: list[Problem] = []
    steps: list[Step] = []
    for index, spec in enumerate(pipeline.functions):
        match _build(f"functions[{index}]", spec, factories):
            case Success(fn):
                if not spec.disabled:
                    steps.append(Step(index, spec.type, fn))
            case Failure(problems):
                found.extend(problems)
    if found:
        return ValidationError(tuple(found))
    return CompiledPipeline(pipeline.id, pipeline.version, tuple(steps))


def _build(
    where: str, spec: FunctionSpec, factories: Mapping[str, FunctionFactory]
) -> Result[PipelineFn, Problems]:
    """One function from its factory, behind its filter; its problems located under ``where``."""
    factory = factories.get(spec.type)
    if factory is None:
        return Failure((Problem(f"{where}.type", f"unknown function type {spec.type!r}"),))
    built = factory(spec.config).alt(lambda problems: _located(where, problems))
    return built.bind(lambda fn: _filtered(where, fn, spec.filter))


def _located(where: str, problems: Problems) -> Problems:
    return tuple(Problem(f"{where}.{p.where}" if p.where else where, p.message) for p in problems)


def _filtered(where: str, fn: PipelineFn, filter: str | None) -> Result[PipelineFn, Problems]:
    if filter is None:
        return Success(fn)
    wrapped = guarded(fn, filter)
    if isinstance(wrapped, ValidationError):
        return Failure(tuple(Problem(f"{where}.filter", p.message) for p in wrapped.problems))
    return Success(wrapped)


__all__ = ["compile_pipeline"]
