"""``serve``'s fast planner meters exactly as the reference one: for generated route tables
(fused built-ins, plugins, functions only the reference engine runs, splits, failures, fan-out
routes) and batches, given events or raw lines, both planners leave equal metrics behind, and
the metered fast one plans what ``make_fast_planner`` plans (the hoisted drop it gives up changes
no plan)."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.ports import SourceBatch
from pipeflow.domain.router import Router
from pipeflow.infrastructure.actors.plan import BatchPlan
from pipeflow.infrastructure.actors.routing import RouterCell
from pipeflow.infrastructure.fastpath.counts import tally_fast
from pipeflow.infrastructure.fastpath.outcome import run_fields
from pipeflow.infrastructure.fastpath.planner import Snapshots, make_fast_planner
from pipeflow.infrastructure.metering import metered_fast_planner, metered_planner
from pipeflow.infrastructure.metrics import Metrics
from tests.fakes import CountingIds, FakeClock
from tests.property.test_fastpath_equals_reference import field_sets, routers


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample's value by name and labels (not the ``_created`` times, which differ)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics.render().decode())
        for s in family.samples
        if not s.name.endswith("_created")
    }


def _events(batch: list[JsonObject]) -> list[Event]:
    meta = EventMeta("src", 0.0)
    return [Event(EventId(f"e{i}"), meta, dict(f)) for i, f in enumerate(batch)]


@settings(max_examples=200, deadline=None)
@given(routers(), st.lists(field_sets, max_size=8), st.booleans())
def test_fast_and_reference_planners_leave_equal_metrics(
    router: Router, batch: list[JsonObject], raw: bool
) -> None:
    cell = RouterCell(router)
    expected, got = Metrics(), Metrics()
    metered_planner(cell, FakeClock(), expected)(SourceBatch("src", _events(batch)))
    routed = router.route_batch(_events(batch))
    for o in routed.routes:  # each route counts what it delivered, dropped and failed on
        took = len(o.delivered) + len(o.dropped) + len(o.failed)
        assert expected.value("pipeflow_route_events_total", route=o.route) == (took or None)
    fast = metered_fast_planner(cell, FakeClock(), CountingIds(), got, encoded_sinks=("s1",))
    if raw:
        fast(SourceBatch("src", [], lines=[orjson.dumps(f) for f in batch]))
    else:
        fast(SourceBatch("src", _events(batch)))
    assert samples(got) == samples(expected)


def view(plan: BatchPlan) -> tuple[object, ...]:
    """What a plan says, ids aside: per part its sink, route and events' fields; the rest."""
    parts = [
        (
            p.sink,
            p.route,
            p.pipeline,
            [orjson.loads(x) for x in p.encoded.data.splitlines()] if p.encoded else [],
            [e.fields for e in p.events],
        )
        for p in plan.parts
    ]
    dead = [(d.reason, d.route, d.stage, d.event) for d in plan.dead]
    return parts, dead, plan.dropped, plan.unmatched, plan.events_in, plan.rejected


@settings(max_examples=100, deadline=None)
@given(routers(), st.lists(field_sets, max_size=8), st.booleans())
def test_the_metered_fast_planner_plans_what_the_fast_planner_plans(
    router: Router, batch: list[JsonObject], raw: bool
) -> None:
    cell = RouterCell(router)
    sinks = ("s1",)
    metered = metered_fast_planner(cell, FakeClock(), CountingIds(), Metrics(), encoded_sinks=sinks)
    plain = make_fast_planner(cell, FakeClock(), CountingIds(), sinks)
    lines = [orjson.dumps(f) for f in batch]
    if raw:
        assert view(metered(SourceBatch("src", [], lines=lines))) == view(
            plain(SourceBatch("src", [], lines=lines))
        )
    else:
        assert view(metered(SourceBatch("src", _events(batch)))) == view(
            plain(SourceBatch("src", _events(batch)))
        )


def test_a_snapshot_not_compiled_metered_is_not_tallied() -> None:
    import pytest

    from pipeflow.domain.router import build_router
    from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName

    router = build_router(RouteTable((Route(RouteId("r"), "true", (SinkName("s"),)),)), {})
    assert isinstance(router, Router)
    outcome = run_fields(Snapshots()(router), [{"a": 1}], EventMeta("src", 0.0), CountingIds())
    with pytest.raises(ValueError, match="metered"):
        tally_fast(outcome)
