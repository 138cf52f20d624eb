"""Router laws: explain agrees with route_batch; batching changes nothing; every event is accounted for."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.engine import Dropped, Failed
from pipeflow.domain.events import Event
from pipeflow.domain.pipeline import PipelineId
from pipeflow.domain.router import Routed, Router, build_router
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from tests.strategies import ALL_KINDS, compiled, event_ids, metas, spec_lists

FILTERS = [
    "true",
    "false",
    'level == "error"',
    "status >= 500",
    "exists(a)",
    "not exists(a)",
    "a == 1",
    "null",
]
LEVELS = st.sampled_from(["error", "info", None, 1])

events = st.builds(
    Event,
    event_ids,
    metas,
    st.fixed_dictionaries(
        {},
        optional={
            "level": LEVELS,
            "status": st.sampled_from([200, 500, 503.5, "500", True]),
            "a": st.just(1),
        },
    ),
)


@st.composite
def routers(draw: st.DrawFn) -> Router:
    pipelines = {
        PipelineId(f"p{i}"): compiled(draw(spec_lists(ALL_KINDS))) for i in range(draw(st.integers(0, 2)))
    }
    routes = tuple(
        Route(
            RouteId(f"r{i}"),
            draw(st.sampled_from(FILTERS)),
            tuple(
                SinkName(s)
                for s in draw(st.lists(st.sampled_from(["s1", "s2", "s3"]), min_size=1, max_size=2))
            ),
            draw(st.sampled_from([None, *pipelines])),
            draw(st.booleans()),
        )
        for i in range(draw(st.integers(0, 4)))
    )
    built = build_router(RouteTable(routes), pipelines)
    assert isinstance(built, Router), built
    return built


def delivered(out: Routed) -> list[list[object]]:
    return [[e.fields for e in o.delivered] for o in out.routes]


@settings(max_examples=150)
@given(routers(), events)
def test_explain_agrees_with_route_batch(router: Router, event: Event) -> None:
    out = router.route_batch([event])
    trace = router.explain(event)
    by_name = {t.name: t for t in trace.routes}
    for outcome in out.routes:
        t = by_name.get(outcome.route)
        if t is not None and t.matched:
            assert all(list(evs) == [e.fields for e in outcome.delivered] for _, evs in t.sinks)
            assert sum(s.outcome == "drop" for s in t.steps) == len(outcome.dropped)
            assert sum(s.outcome == "fail" for s in t.steps) == len(outcome.failed)
        else:
            assert (outcome.delivered, outcome.dropped, outcome.failed) == ((), (), ())
    assert trace.unmatched == (out.unmatched == (event,))


def _stage(record: Dropped | Failed) -> int:
    return record.stage


@settings(max_examples=100)
@given(routers(), st.lists(events, max_size=5))
def test_routing_a_batch_is_routing_each_event(router: Router, batch: list[Event]) -> None:
    whole = router.route_batch(batch)
    parts = [router.route_batch([e]) for e in batch]
    for i, outcome in enumerate(whole.routes):
        assert list(outcome.delivered) == [e for p in parts for e in p.routes[i].delivered]
        # The engine runs a batch step by step (breadth first): drops and failures come out in stage
        # order, and within a stage in batch order (sorted() is stable), as the engine's laws state.
        assert list(outcome.dropped) == sorted((d for p in parts for d in p.routes[i].dropped), key=_stage)
        assert list(outcome.failed) == sorted((f for p in parts for f in p.routes[i].failed), key=_stage)
    assert list(whole.unmatched) == [e for p in parts for e in p.unmatched]


@settings(max_examples=100)
@given(routers(), st.lists(events, max_size=5))
def test_every_event_is_taken_by_some_route_or_unmatched(router: Router, batch: list[Event]) -> None:
    out = router.route_batch(batch)
    for event in batch:
        trace = router.explain(event)
        assert (event in out.unmatched) == trace.unmatched
        first_final = next((t for t in trace.routes if t.matched and t.final), None)
        assert first_final is None or trace.routes[-1] is first_final
