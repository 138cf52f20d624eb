from __future__ import annotations

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.infrastructure.functions.mask import plugin as mask


def ev(**fields: object) -> Event:
    return Event(EventId("01TEST"), EventMeta("t", 0.0), dict(fields))  # type: ignore[arg-type]


def test_mask_pipeline_masks_and_keeps_input() -> None:
    spec = FunctionSpec("mask", {"field": "message", "pattern": r"\d+", "replacement": "#"})
    compiled = compile_pipeline(Pipeline(PipelineId("p"), (spec,)), {"mask": mask})
    assert isinstance(compiled, CompiledPipeline)
    e = ev(message="a1b22")
    out = compiled.process_event(e)
    assert [o.fields for o in out.outputs] == [{"message": "a#b#"}]
    assert e.fields == {"message": "a1b22"}


def test_bad_regex_is_a_problem_not_an_exception() -> None:
    spec = FunctionSpec("mask", {"field": "message", "pattern": "("})
    compiled = compile_pipeline(Pipeline(PipelineId("p"), (spec,)), {"mask": mask})
    assert not isinstance(compiled, CompiledPipeline)
    assert compiled.problems[0].where == "functions[0].pattern"
