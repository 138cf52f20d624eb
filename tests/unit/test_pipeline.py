"""The ``Pipeline`` aggregate and its builder, and the engine's edge cases by example."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.engine import BatchResult, CompiledPipeline, Dropped, Failed, Step
from pipeflow.domain.errors import ValidationError
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.pipeline import (
    NO_FUNCTIONS,
    FunctionSpec,
    Pipeline,
    PipelineBuilder,
    PipelineId,
    build_pipeline,
)
from pipeflow.domain.results import Drop, FnResult, Pass, Split
from tests.strategies import spec_lists

MASK = FunctionSpec("mask", {"field": "message", "pattern": r"\d"})
OFF = FunctionSpec("drop", disabled=True)
FILTERED = FunctionSpec("drop", filter='level == "debug"')


def ev(n: int = 0) -> Event:
    return Event(EventId(f"01E{n}"), EventMeta("app", 0.0), {"n": n})


def test_active_functions_skip_disabled_ones_and_keep_indices() -> None:
    p = Pipeline(PipelineId("p"), (OFF, MASK, OFF, FILTERED))
    assert p.active_functions == ((1, MASK), (3, FILTERED))
    assert Pipeline(PipelineId("p"), (OFF,)).active_functions == ()


@given(spec_lists(), st.text(max_size=5), st.integers(min_value=1, max_value=10**6))
def test_build_pipeline_is_the_builder_fed_every_function_or_no_functions(
    specs: list[FunctionSpec], description: str, version: int
) -> None:
    built = build_pipeline(PipelineId("p"), specs, description, version)
    if specs:
        assert built == Pipeline(PipelineId("p"), tuple(specs), description, version)
    else:
        assert built == ValidationError((NO_FUNCTIONS,))


def test_build_pipeline_answers_no_function_with_the_user_visible_problem() -> None:
    built = build_pipeline(PipelineId("p"), [])
    assert isinstance(built, ValidationError)
    assert [(p.where, p.message) for p in built.problems] == [
        ("functions", "a pipeline needs at least one function")
    ]
    assert build_pipeline(PipelineId("p"), [MASK]) == PipelineBuilder.new(PipelineId("p")).add(MASK).build()


def test_pipelines_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Pipeline(PipelineId("p"), ()).version = 3  # type: ignore[misc]


def test_function_spec_to_json_is_what_a_user_writes() -> None:
    assert MASK.to_json() == {"type": "mask", "field": "message", "pattern": r"\d"}
    assert list(MASK.to_json()) == ["type", "field", "pattern"]
    assert OFF.to_json() == {"type": "drop", "disabled": True}
    assert FILTERED.to_json() == {"type": "drop", "filter": 'level == "debug"'}


def test_pipeline_to_json() -> None:
    p = Pipeline(PipelineId("scrub"), (MASK, OFF), "Mask PII", 4)
    assert p.to_json() == {
        "id": "scrub",
        "description": "Mask PII",
        "version": 4,
        "functions": [MASK.to_json(), OFF.to_json()],
    }


def test_builder_builds_a_version_one_pipeline_in_order() -> None:
    p = PipelineBuilder.new(PipelineId("p"), "desc").add(MASK).add(FILTERED).build()
    assert p == Pipeline(PipelineId("p"), (MASK, FILTERED), "desc", 1)


def test_builder_steps_return_new_builders() -> None:
    empty = PipelineBuilder.new(PipelineId("p"))
    one = empty.add(MASK)
    one.add(OFF)
    assert (empty.functions, one.functions) == ((), (MASK,))


def run(*fns: object, events: tuple[Event, ...] = (ev(1), ev(2))) -> BatchResult:
    steps = tuple(Step(i, f"f{i}", fn) for i, fn in enumerate(fns))  # type: ignore[arg-type]
    return CompiledPipeline(PipelineId("p"), 1, steps).process_batch(events)


def test_a_raising_function_fails_that_event_only_and_names_its_index() -> None:
    def boom(e: Event, /) -> FnResult:
        if e.get("n") == 1:
            raise KeyError("n")
        return Pass(e)

    result = run(lambda e: Pass(e.with_field("seen", True)), boom)
    assert result.failed == [Failed(ev(1).with_field("seen", True), 1, "f1: KeyError: 'n'")]
    assert result.outputs == [ev(2).with_field("seen", True)]


def test_an_exception_without_a_message_is_named_by_its_type() -> None:
    def boom(e: Event, /) -> FnResult:
        raise ValueError

    assert run(boom).failed == [Failed(ev(1), 0, "f0: ValueError"), Failed(ev(2), 0, "f0: ValueError")]


def test_a_function_that_returns_no_fn_result_is_a_failure() -> None:
    result = run(lambda e: None)
    assert [f.reason for f in result.failed] == ["f0: returned NoneType, not FnResult"] * 2
    assert result.outputs == []


def test_base_exceptions_are_not_swallowed() -> None:
    def interrupt(e: Event, /) -> FnResult:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(interrupt)


def test_drops_record_the_event_as_it_reached_the_step() -> None:
    result = run(lambda e: Pass(e.with_field("x", 1)), lambda e: Drop("nope"), events=(ev(1),))
    assert result == BatchResult([], [Dropped(ev(1).with_field("x", 1), 1, "nope")], [])


def test_split_pieces_keep_their_order_and_an_empty_split_drops_silently() -> None:
    def halves(e: Event, /) -> FnResult:
        return Split((e.with_field("half", 0), e.with_field("half", 1)))

    result = run(halves, events=(ev(1), ev(2)))
    assert [(o.get("n"), o.get("half")) for o in result.outputs] == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert run(lambda e: Split(())) == BatchResult([], [], [])


def test_process_event_is_a_batch_of_one() -> None:
    pipeline = CompiledPipeline(PipelineId("p"), 1, (Step(0, "id", Pass),))
    assert pipeline.process_event(ev(3)) == pipeline.process_batch([ev(3)])
    assert pipeline.process_batch(iter([ev(1), ev(2)])).outputs == [ev(1), ev(2)]
