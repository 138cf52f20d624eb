"""Compile a ``Pipeline`` (data) into a ``CompiledPipeline`` (callables), collecting every problem."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipeflow.domain.engine import CompiledPipeline, Step
from pipeflow.domain.errors import Problem, ValidationError
from pipeflow.domain.filter.guard import guarded
from pipeflow.domain.pipeline import Pipeline
from pipeflow.domain.ports import FunctionFactory, PipelineFn


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
        where = f"functions[{index}]"
        factory = factories.get(spec.type)
        if factory is None:
            found.append(Problem(f"{where}.type", f"unknown function type {spec.type!r}"))
            continue
        built = factory(spec.config)
        if not callable(built):
            found.extend(_located(where, built))
            continue
        fn: PipelineFn = built
        if spec.filter is not None:
            wrapped = guarded(fn, spec.filter)
            if isinstance(wrapped, ValidationError):
                found.extend(Problem(f"{where}.filter", p.message) for p in wrapped.problems)
                continue
            fn = wrapped
        if not spec.disabled:
            steps.append(Step(index, spec.type, fn))
    if found:
        return ValidationError(tuple(found))
    return CompiledPipeline(pipeline.id, pipeline.version, tuple(steps))


def _located(where: str, items: Sequence[tuple[str, str]]) -> list[Problem]:
    return [Problem(f"{where}.{w}" if w else where, m) for w, m in items]


__all__ = ["compile_pipeline"]
