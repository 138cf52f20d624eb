"""The ``Pipeline`` aggregate and its builder, and the engine's edge cases by example."""

from __future__ import annotations

import dataclasses

import pytest

from pipeflow.domain.engine import BatchResult, CompiledPipeline, Dropped, Failed, Step
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineBuilder, PipelineId
from pipeflow.domain.results import Drop, FnResult, Pass, Split

MASK = FunctionSpec("mask", {"field": "message", "pattern": r"\d"})
OFF = FunctionSpec("drop", disabled=True)
FILTERED = FunctionSpec("drop", filter='level == "debug"')


def ev(n: int = 0) -> Event:
    return Event(EventId(f"01E{n}"), EventMeta("app", 0.0), {"n": n})


def test_active_functions_skip_disabled_ones_and_keep_indices() -> None:
    p = Pipeline(PipelineId("p"), (OFF, MASK, OFF, FILTERED))
    assert p.active_functions == ((1, MASK), (3, FILTERED))
    assert Pipeline(PipelineId("p"), (OFF,)).active_functions == ()


def test_changed_bumps_the_version_and_keeps_the_old_value() -> None:
    p = Pipeline(PipelineId("p"), (MASK,), "first")
    q = p.changed((MASK, FILTERED))
    assert (q.id, q.functions, q.description, q.version) == ("p", (MASK, FILTERED), "first", 2)
    assert (p.functions, p.version) == ((MASK,), 1)
    assert p.changed((), "second").description == "second"


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
