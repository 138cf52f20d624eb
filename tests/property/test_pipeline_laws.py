"""Laws of the reference engine (``CompiledPipeline.process_batch``), for generated pipelines.

Pipelines are built the way users build them: ``FunctionSpec`` data compiled by
``compile_pipeline`` against a factory registry (``tests.strategies.GEN_FACTORIES``).
``run(p, batch)`` is ``compiled(p).process_batch(batch)``; ``p ++ q`` concatenates function lists.

- composition   ``run(p ++ q, b)`` has the outputs of ``run(q, run(p, b).outputs)``, and the drops
  and failures of ``run(p, b)`` followed by those of the second run, with ``q``'s stages shifted
  by ``len(p)`` (the engine is breadth first, so this holds list for list, in order)
- identity      the empty pipeline passes every batch through; an ``identity`` step is a unit
- Drop absorbs  nothing after a dropping step sees the event
- Split distributes  ``run([split] ++ rest, [e])`` is ``run(rest, pieces)``
- batches       a batch's outputs are the concatenated outputs of its events (drops and failures
  too, in stage order)
- purity        no event handed to the engine is changed
- failures      a raising step is a dropping step whose drops are recorded as ``Failed``
- disabled      disabled functions are skipped, and the others keep their index
"""

from __future__ import annotations

import copy
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.engine import BatchResult, CompiledPipeline, Dropped, Failed, Step
from pipeflow.domain.events import Event
from pipeflow.domain.pipeline import FunctionSpec, PipelineId
from pipeflow.domain.results import FnResult, Pass
from tests.strategies import ALL_KINDS, batches, compiled, events, spec_lists

EXAMPLES = settings(max_examples=100, deadline=None)


def run(specs: list[FunctionSpec], batch: list[Event]) -> BatchResult:
    """Compile ``specs`` and run ``batch`` through them."""
    return compiled(specs).process_batch(batch)


def shifted(result: BatchResult, by: int) -> BatchResult:
    """The same result with every stage index moved by ``by`` (for a pipeline placed after another)."""
    return BatchResult(
        result.outputs,
        [replace(d, stage=d.stage + by) for d in result.dropped],
        [replace(f, stage=f.stage + by) for f in result.failed],
    )


@EXAMPLES
@given(spec_lists(ALL_KINDS), spec_lists(ALL_KINDS), batches)
def test_running_p_then_q_equals_running_their_concatenation(
    p: list[FunctionSpec], q: list[FunctionSpec], batch: list[Event]
) -> None:
    first = run(p, batch)
    second = shifted(run(q, first.outputs), len(p))
    together = run(p + q, batch)
    assert together.outputs == second.outputs
    assert together.dropped == first.dropped + second.dropped
    assert together.failed == first.failed + second.failed


@EXAMPLES
@given(batches)
def test_the_empty_pipeline_is_the_identity(batch: list[Event]) -> None:
    assert CompiledPipeline(PipelineId("empty"), 1, ()).process_batch(batch) == BatchResult(batch, [], [])
    assert run([], batch) == BatchResult(batch, [], [])


@EXAMPLES
@given(spec_lists(ALL_KINDS), st.integers(0, 5), batches)
def test_an_identity_step_is_a_unit_anywhere(specs: list[FunctionSpec], at: int, batch: list[Event]) -> None:
    at = min(at, len(specs))
    with_unit = [*specs[:at], FunctionSpec("gen", {"kind": "identity"}), *specs[at:]]
    got, want = run(with_unit, batch), run(specs, batch)
    assert got.outputs == want.outputs
    assert [(d.event, d.reason) for d in got.dropped] == [(d.event, d.reason) for d in want.dropped]
    assert [(f.event, f.reason) for f in got.failed] == [(f.event, f.reason) for f in want.failed]


@EXAMPLES
@given(spec_lists(ALL_KINDS), batches)
def test_drop_absorbs_nothing_after_it_sees_the_event(rest: list[FunctionSpec], batch: list[Event]) -> None:
    seen: list[Event] = []

    def spy(event: Event, /) -> FnResult:
        seen.append(event)
        return Pass(event)

    pipeline = compiled([FunctionSpec("gen", {"kind": "drop", "seed": 1}), *rest])
    spied = replace(pipeline, steps=(*pipeline.steps, Step(len(rest) + 1, "spy", spy)))
    result = spied.process_batch(batch)
    assert seen == []
    assert result == BatchResult([], [Dropped(e, 0, "drop 1") for e in batch], [])


@EXAMPLES
@given(st.integers(0, 11), spec_lists(ALL_KINDS), events)
def test_split_distributes_over_the_rest_of_the_chain(seed: int, rest: list[FunctionSpec], e: Event) -> None:
    split = FunctionSpec("gen", {"kind": "split", "seed": seed})
    pieces = compiled([split]).process_event(e).outputs
    assert len(pieces) == seed % 4
    assert run([split, *rest], [e]) == shifted(run(rest, pieces), 1)


@EXAMPLES
@given(spec_lists(ALL_KINDS), batches)
def test_a_batch_is_the_concatenation_of_its_events(specs: list[FunctionSpec], batch: list[Event]) -> None:
    pipeline = compiled(specs)
    whole = pipeline.process_batch(batch)
    singles = [pipeline.process_event(e) for e in batch]
    assert whole.outputs == [o for r in singles for o in r.outputs]
    # sorted() is stable: within a stage, events keep their batch order.
    assert whole.dropped == sorted((d for r in singles for d in r.dropped), key=lambda d: d.stage)
    assert whole.failed == sorted((f for r in singles for f in r.failed), key=lambda f: f.stage)


@EXAMPLES
@given(spec_lists(ALL_KINDS), batches)
def test_no_function_changes_its_input_event(specs: list[FunctionSpec], batch: list[Event]) -> None:
    before = copy.deepcopy(batch)
    result = run(specs, batch)
    assert batch == before
    # What the engine recorded was not changed after it was recorded either.
    snapshot = copy.deepcopy(result)
    run(specs, result.outputs)
    assert result == snapshot


@EXAMPLES
@given(st.data(), spec_lists(), batches)
def test_a_raising_step_is_a_failure_naming_its_index_and_the_batch_flows_on(
    data: st.DataObject, specs: list[FunctionSpec], batch: list[Event]
) -> None:
    at = data.draw(st.integers(0, len(specs)), label="at")
    seed = data.draw(st.integers(0, 11), label="seed")
    failing = [*specs[:at], FunctionSpec("gen", {"kind": "fail_if", "seed": seed}), *specs[at:]]
    dropping = [*specs[:at], FunctionSpec("gen", {"kind": "drop_if", "seed": seed}), *specs[at:]]
    failed, dropped = run(failing, batch), run(dropping, batch)
    assert failed.outputs == dropped.outputs
    moved = [d for d in dropped.dropped if d.stage == at]
    assert failed.dropped == [d for d in dropped.dropped if d.stage != at]
    assert failed.failed == [Failed(d.event, at, f"gen: picked {seed}") for d in moved]


@EXAMPLES
@given(spec_lists(ALL_KINDS, disabled=True), batches)
def test_disabled_functions_are_skipped_and_the_rest_keep_their_index(
    specs: list[FunctionSpec], batch: list[Event]
) -> None:
    pipeline = compiled(specs)
    active = [i for i, s in enumerate(specs) if not s.disabled]
    assert [s.index for s in pipeline.steps] == active
    enabled_only = run([s for s in specs if not s.disabled], batch)
    got = pipeline.process_batch(batch)
    assert got.outputs == enabled_only.outputs
    assert [replace(d, stage=active.index(d.stage)) for d in got.dropped] == enabled_only.dropped
    assert [replace(f, stage=active.index(f.stage)) for f in got.failed] == enabled_only.failed
