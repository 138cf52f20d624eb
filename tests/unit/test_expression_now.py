"""``now()``: the batch's time from the injected clock, read once per batch, in every engine."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.filter import FilterSyntaxError, compile_expression, compile_filter, parse_filter
from pipeflow.domain.filter.batch_time import batch_time, now
from pipeflow.domain.filter.constant import Constant
from pipeflow.domain.filter.reference import evaluate
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.ports import SourceBatch
from pipeflow.domain.router import Router, build_router
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from pipeflow.infrastructure.actors.plan import BatchPlan
from pipeflow.infrastructure.actors.routing import RouterCell, make_planner
from pipeflow.infrastructure.fastpath.planner import make_fast_planner
from pipeflow.infrastructure.functions import eval
from pipeflow.infrastructure.metering import metered_fast_planner, metered_planner
from pipeflow.infrastructure.metrics import Metrics
from pipeflow.interfaces.bootstrap import bootstrap
from tests.fakes import CountingIds, FakeClock


class TickingClock:
    """A fake clock that moves one second each time it is read (so a second read would show)."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.reads = 0

    def now(self) -> float:
        self.reads += 1
        self.at += 1.0
        return self.at


def _router() -> Router:
    spec = FunctionSpec("eval", {"field": "at", "expression": "now()"})
    pipeline = compile_pipeline(Pipeline(PipelineId("p"), (spec,)), {"eval": eval.plugin})
    assert isinstance(pipeline, CompiledPipeline)
    routes = (
        Route(RouteId("late"), "t < now() - 60", (SinkName("late"),), PipelineId("p")),
        Route(RouteId("rest"), "true", (SinkName("rest"),), PipelineId("p")),
    )
    router = build_router(RouteTable(routes), {PipelineId("p"): pipeline})
    assert isinstance(router, Router)
    return router


def _delivered(plan: BatchPlan) -> dict[str, list[object]]:
    got: dict[str, list[object]] = {}
    for part in plan.parts:
        if part.encoded is not None:
            got.setdefault(part.sink, []).extend(
                orjson.loads(line) for line in part.encoded.data.splitlines()
            )
        else:
            got.setdefault(part.sink, []).extend(e.fields for e in part.events)
    return got


def _batch(ts: list[float], *, raw: bool) -> SourceBatch:
    if raw:
        return SourceBatch("src", [], lines=[orjson.dumps({"t": t}) for t in ts])
    meta = EventMeta("src", 0.0)
    return SourceBatch("src", [Event(EventId(f"e{i}"), meta, {"t": t}) for i, t in enumerate(ts)])


PLANNERS = ["reference", "fast", "metered", "metered_fast"]


@pytest.mark.parametrize("kind", PLANNERS)
def test_every_event_of_a_batch_sees_one_time_and_the_next_batch_a_new_one(kind: str) -> None:
    clock, cell = TickingClock(1000.0), RouterCell(_router())
    planner = {
        "reference": lambda: make_planner(cell, clock),
        "fast": lambda: make_fast_planner(cell, clock, CountingIds()),
        "metered": lambda: metered_planner(cell, clock, Metrics()),
        "metered_fast": lambda: metered_fast_planner(cell, clock, CountingIds(), Metrics(), None, ["rest"]),
    }[kind]()
    times = [900.0, 941.0, 939.5, 1000.0]
    first = _delivered(planner(_batch(times, raw=False)))
    assert clock.reads == 1
    assert first == {
        "late": [{"t": 900.0, "at": 1001.0}, {"t": 939.5, "at": 1001.0}],
        "rest": [{"t": 941.0, "at": 1001.0}, {"t": 1000.0, "at": 1001.0}],
    }
    second = _delivered(planner(_batch(times, raw=kind in ("fast", "metered_fast"))))
    assert clock.reads == 2
    assert second == {
        "late": [{"t": 900.0, "at": 1002.0}, {"t": 941.0, "at": 1002.0}, {"t": 939.5, "at": 1002.0}],
        "rest": [{"t": 1000.0, "at": 1002.0}],
    }
    assert now() is None, "the batch's time does not outlive the batch"


def test_reference_compiled_and_fast_path_agree_at_one_time() -> None:
    clock = TickingClock(50.0)
    cell = RouterCell(_router())
    ts = [-20.0, -9.0, 0.0, 51.0, 52.0]
    reference = _delivered(make_planner(cell, TickingClock(50.0))(_batch(ts, raw=False)))
    fast = _delivered(make_fast_planner(cell, clock, CountingIds())(_batch(ts, raw=True)))
    assert fast == reference
    assert reference["late"] == [{"t": -20.0, "at": 51.0}]
    text = 'format_timestamp(now() - t, "iso8601")'
    compiled, parsed = compile_expression(text), parse_filter(text)
    assert callable(compiled)
    assert not isinstance(parsed, FilterSyntaxError)
    with batch_time(86400.0):
        assert compiled({"t": 0.5}) == evaluate(parsed, {"t": 0.5}) == "1970-01-01T23:59:59.500Z"


def test_now_is_never_folded_at_compile_time() -> None:
    for text in ["now()", "now() + 1", 'format_timestamp(now(), "%Y")', "now() > 0"]:
        compiled = compile_expression(text)
        assert callable(compiled), text
        assert not isinstance(compiled, Constant), text
    value, predicate = compile_expression("now() + 1"), compile_filter("now() > 100")
    assert callable(value)
    assert callable(predicate)
    with batch_time(10.0):
        assert (value({}), predicate({})) == (11.0, False)
    with batch_time(200.0):
        assert (value({}), predicate({})) == (201.0, True)


def test_outside_a_batch_now_is_null_and_a_filter_on_it_is_false() -> None:
    value, predicate = compile_expression("now()"), compile_filter("now() > 0")
    assert callable(value)
    assert callable(predicate)
    assert (value({}), predicate({})) == (None, False)


def test_now_takes_no_arguments() -> None:
    assert str(parse_filter("now(1)")) == "line 1, column 1: now() takes 0 arguments, got 1"


CONFIG = """
sources: {in: {type: stdin}}
pipelines:
  stamp: {functions: [{type: eval, field: at, expression: "now()"}]}
sinks: {out: {type: stdout}}
routes: [{name: all, filter: "true", pipeline: stamp, sink: out}]
tests:
  - name: stamped
    input: [{"a": 1}, {"a": 2}]
    expect: {out: [{"a": 1, "at": 1700000000.0}, {"a": 2, "at": 1700000000.0}]}
"""


def test_pipeflow_test_and_explain_take_now_from_the_apps_clock(tmp_path: Path) -> None:
    path = tmp_path / "now.yaml"
    path.write_text(CONFIG)
    app = bootstrap(clock=FakeClock(1_700_000_000.0), ids=CountingIds())
    loaded = app.load(str(path)).unwrap()
    assert [r.passed for r in app.run_config_tests(loaded)] == [True]
    trace = orjson.dumps(app.explain(loaded, {"a": 1}))
    assert b'"at":1700000000.0' in trace
    assert now() is None
