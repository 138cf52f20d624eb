"""``compile_pipeline``: data to callables, with every problem reported at its place."""

from __future__ import annotations

from collections.abc import Mapping

from returns.result import Failure, Result, Success

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.errors import Problem, Problems, ValidationError
from pipeflow.domain.json import Json
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.ports import FunctionFactory, PipelineFn
from tests.strategies import GEN_FACTORIES, GenFn


def gen(kind: str = "identity", seed: int = 0, **common: object) -> FunctionSpec:
    return FunctionSpec("gen", {"kind": kind, "seed": seed}, **common)  # type: ignore[arg-type]


def compile_specs(*specs: FunctionSpec, factories: Mapping[str, FunctionFactory] = GEN_FACTORIES) -> object:
    return compile_pipeline(Pipeline(PipelineId("p"), specs, version=7), factories)


def test_a_valid_pipeline_compiles_to_steps_with_index_type_and_function() -> None:
    out = compile_specs(gen("tag", 1), gen("split", 2))
    assert isinstance(out, CompiledPipeline)
    assert (out.id, out.version) == ("p", 7)
    assert [(s.index, s.type, s.fn) for s in out.steps] == [
        (0, "gen", GenFn("tag", 1)),
        (1, "gen", GenFn("split", 2)),
    ]


def test_an_unknown_type_is_a_problem() -> None:
    out = compile_specs(FunctionSpec("nope"))
    assert out == ValidationError((Problem("functions[0].type", "unknown function type 'nope'"),))


def test_every_problem_is_reported_not_just_the_first() -> None:
    out = compile_specs(
        gen(),
        FunctionSpec("nope"),
        FunctionSpec("gen", {"kind": "shout", "seed": "x"}),
        gen(filter="level =="),
    )
    assert isinstance(out, ValidationError)
    assert [p.where for p in out.problems] == [
        "functions[1].type",
        "functions[2].kind",
        "functions[2].seed",
        "functions[3].filter",
    ]


def test_a_problem_without_a_place_is_located_at_the_function() -> None:
    def whole(config: Mapping[str, Json], /) -> Result[PipelineFn, Problems]:
        return Failure((Problem("", "this function needs a field"),))

    out = compile_specs(gen(), FunctionSpec("whole"), factories={"whole": whole, **GEN_FACTORIES})
    assert out == ValidationError((Problem("functions[1]", "this function needs a field"),))


def test_a_bad_filter_is_a_problem_at_its_place() -> None:
    out = compile_specs(gen(filter='level == "debug" and'))
    assert isinstance(out, ValidationError)
    assert out.problems[0].where == "functions[0].filter"


def test_a_valid_filter_compiles() -> None:
    out = compile_specs(gen(filter='level == "debug"'))
    assert isinstance(out, CompiledPipeline)
    assert len(out.steps) == 1


def test_disabled_functions_are_validated_but_not_run_and_the_rest_keep_their_index() -> None:
    built: list[Mapping[str, Json]] = []

    def counting(config: Mapping[str, Json], /) -> Result[PipelineFn, Problems]:
        built.append(config)
        return Success(GenFn("identity"))

    out = compile_specs(
        FunctionSpec("count", {"n": 0}, disabled=True),
        FunctionSpec("count", {"n": 1}),
        FunctionSpec("count", {"n": 2}, disabled=True),
        FunctionSpec("count", {"n": 3}),
        factories={"count": counting},
    )
    assert isinstance(out, CompiledPipeline)
    assert [s.index for s in out.steps] == [1, 3]
    assert built == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]


def test_an_invalid_disabled_function_is_still_a_problem() -> None:
    out = compile_specs(FunctionSpec("nope", disabled=True))
    assert isinstance(out, ValidationError)
    assert out.problems[0].where == "functions[0].type"


def test_a_pipeline_of_disabled_functions_compiles_to_the_identity() -> None:
    out = compile_specs(gen("drop", disabled=True))
    assert isinstance(out, CompiledPipeline)
    assert out.steps == ()


def test_the_factory_receives_the_type_specific_config_only() -> None:
    seen: list[Mapping[str, Json]] = []

    def spy(config: Mapping[str, Json], /) -> Result[PipelineFn, Problems]:
        seen.append(config)
        return Success(GenFn("identity"))

    compile_specs(FunctionSpec("spy", {"a": 1}), factories={"spy": spy})
    assert seen == [{"a": 1}]
