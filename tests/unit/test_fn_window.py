"""The ``window`` function: config, aggregates per group, pass-through, dead letters, snapshots."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.engine import CompiledPipeline, Step
from pipeflow.domain.errors import Problems
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.parsers.timestamp import epoch_seconds
from pipeflow.domain.pipeline import PipelineId
from pipeflow.domain.ports import PipelineFn, Stateful
from pipeflow.domain.results import FunctionFailed, Pass
from pipeflow.infrastructure.functions.window import Window, plugin
from tests.unit.fn_helpers import ev


def build(config: Mapping[str, Json]) -> Window:
    built = plugin(config)
    fn = built.value_or(None)
    assert isinstance(fn, Window), built
    return fn


def problems(config: Mapping[str, Json]) -> Problems:
    return plugin(config).failure()


def run(fn: PipelineFn, events: list[JsonObject]) -> list[JsonObject]:
    out = []
    for i, fields in enumerate(events):
        result = fn(ev(i, **fields))
        assert isinstance(result, Pass)
        out.append(result.event.fields)
    return out


SPEC_EXAMPLE: Mapping[str, Json] = {
    "field": "latency_ms",
    "size": 3,
    "by": ["service"],
    "emit": {"lat_avg": "avg", "lat_max": "max"},
}


def test_the_spec_example_aggregates_the_last_three_events_of_each_group() -> None:
    got = run(
        build(SPEC_EXAMPLE),
        [
            {"service": "a", "latency_ms": 10},
            {"service": "b", "latency_ms": 100},
            {"service": "a", "latency_ms": 20},
            {"service": "a", "latency_ms": 60},
            {"service": "a", "latency_ms": 4},
        ],
    )
    assert [(e["lat_avg"], e["lat_max"]) for e in got] == [
        (10.0, 10),
        (100.0, 100),
        (15.0, 20),
        (30.0, 60),
        (28.0, 60),
    ]
    assert got[0] == {"service": "a", "latency_ms": 10, "lat_avg": 10.0, "lat_max": 10}


def test_every_aggregate_and_nested_paths() -> None:
    fn = build(
        {
            "field": "m.v",
            "size": 2,
            "emit": {"w.avg": "avg", "w.min": "min", "w.max": "max", "sum": "sum", "n": "count", "r": "rate"},
        }
    )
    got = run(fn, [{"m": {"v": 1}, "ts": 0}, {"m": {"v": 7}, "ts": 3}])
    assert got[0]["w"] == {"avg": 1.0, "min": 1, "max": 1}
    assert (got[0]["sum"], got[0]["n"], got[0]["r"]) == (1, 1, None)
    assert got[1]["w"] == {"avg": 4.0, "min": 1, "max": 7}
    assert (got[1]["sum"], got[1]["n"], got[1]["r"]) == (8, 2, 2.0)


def test_time_window_reads_iso_and_epoch_times() -> None:
    fn = build({"field": "v", "size": "60s", "emit": {"n": "count", "r": "rate"}})
    got = run(
        fn,
        [
            {"v": 0, "ts": "2024-06-01T00:00:00Z"},
            {"v": 30, "ts": 1717200030},
            {"v": 90, "ts": "2024-06-01T00:01:00+00:00"},
            {"v": 100, "ts": 1717200070.5},
        ],
    )
    assert [(e["n"], e["r"]) for e in got] == [(1, None), (2, 1.0), (2, 2.0), (3, 70 / 40.5)]


def test_custom_time_field_and_groups_by_several_fields() -> None:
    fn = build(
        {"field": "v", "size": "10s", "by": ["host", "tags[0]"], "time_field": "at", "emit": {"n": "count"}}
    )
    got = run(
        fn,
        [
            {"v": 1, "at": 0, "host": "h", "tags": ["x"]},
            {"v": 1, "at": 1, "host": "h", "tags": ["y"]},
            {"v": 1, "at": 2, "host": "h", "tags": ["x"]},
            {"v": 1, "at": 3},
            {"v": 1, "at": 4},
        ],
    )
    assert [e["n"] for e in got] == [1, 1, 2, 1, 2]


@pytest.mark.parametrize("value", [None, "12", True, [1], {"a": 1}])
def test_missing_or_non_numeric_values_pass_unchanged_and_are_not_counted(value: Json) -> None:
    fn = build({"field": "v", "size": 5, "emit": {"n": "count"}})
    first = ev(0, v=1)
    odd = ev(1, other=1) if value is None else ev(1, v=value)
    assert fn(first) == Pass(first.with_field("n", 1))
    assert fn(odd) == Pass(odd)
    assert run(fn, [{"v": 2}]) == [{"v": 2, "n": 2}]


@pytest.mark.parametrize("ts", [None, "yesterday", True, "", {"t": 1}])
def test_time_window_dead_letters_an_event_without_a_readable_time(ts: Json) -> None:
    fn = build({"field": "v", "size": "1m", "emit": {"n": "count"}})
    event = ev(0, v=1) if ts is None else ev(0, v=1, ts=ts)
    with pytest.raises(FunctionFailed, match="'ts' is missing or not a time"):
        fn(event)
    assert fn.snapshot() == {"version": 1, "groups": []}  # nothing was counted


def test_a_failed_event_is_a_failure_value_in_the_engine() -> None:
    fn = build({"field": "v", "size": "1m", "emit": {"n": "count"}})
    pipeline = CompiledPipeline(PipelineId("p"), 1, (Step(4, "window", fn),))
    result = pipeline.process_batch([ev(0, v=1, ts=0), ev(1, v=2)])
    assert [e.fields for e in result.outputs] == [{"v": 1, "ts": 0, "n": 1}]
    assert [(f.stage, f.event.id) for f in result.failed] == [(4, "e1")]
    assert "not a time" in result.failed[0].reason


def test_count_window_without_a_time_still_aggregates_rate_is_null() -> None:
    got = run(build({"field": "v", "size": 2, "emit": {"r": "rate"}}), [{"v": 1}, {"v": 2, "ts": "nope"}])
    assert [e["r"] for e in got] == [None, None]


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ({"field": "v", "size": 0, "emit": {"a": "avg"}}, "size"),
        ({"field": "v", "size": "1 minute", "emit": {"a": "avg"}}, "size"),
        ({"field": "v", "size": 2.5, "emit": {"a": "avg"}}, "size"),
        ({"field": "v", "size": 3, "emit": {"a": "median"}}, "emit.a"),
        ({"field": "v", "size": 3, "emit": {}}, "emit"),
        ({"field": "v", "size": 3}, "emit"),
        ({"field": "v..x", "size": 3, "emit": {"a": "avg"}}, "field"),
        ({"field": "v", "size": 3, "by": ["ok", "bad path"], "emit": {"a": "avg"}}, "by[1]"),
        ({"field": "v", "size": 3, "emit": {"a b": "avg"}}, "emit.a b"),
        ({"field": "v", "size": 3, "emit": {"a": "avg"}, "time_field": ""}, "time_field"),
        ({"field": "v", "size": 3, "emit": {"a": "avg"}, "extra": 1}, "extra"),
    ],
)
def test_config_problems_are_located(config: Mapping[str, Json], where: str) -> None:
    assert where in [p.where for p in problems(config)]


def test_event_time_reads_numbers_and_iso_8601() -> None:
    assert epoch_seconds(1.5) == 1.5
    assert epoch_seconds("1970-01-01T00:01:00Z") == 60.0
    assert epoch_seconds("1970-01-01T00:01:00") == 60.0  # no offset: UTC
    assert epoch_seconds("1970-01-01T01:01:00+01:00") == 60.0
    assert epoch_seconds("60") is None
    assert epoch_seconds(False) is None


def test_window_is_stateful_and_a_fresh_build_starts_empty() -> None:
    first = build(SPEC_EXAMPLE)
    assert isinstance(first, Stateful)
    run(first, [{"service": "a", "latency_ms": 10}])
    again = build(SPEC_EXAMPLE)
    assert again.snapshot() == {"version": 1, "groups": []}
    assert run(again, [{"service": "a", "latency_ms": 2}])[0]["lat_avg"] == 2.0


@pytest.mark.parametrize(
    "snapshot",
    [
        None,
        [],
        {"version": 2, "groups": []},
        {"version": 1},
        {"version": 1, "groups": [1]},
        {"version": 1, "groups": [{"key": [], "points": [[1]]}]},
        {"version": 1, "groups": [{"key": [], "points": [["1", 0]]}]},
        {"version": 1, "groups": [{"key": "a", "points": []}]},
    ],
)
def test_restore_refuses_what_is_not_a_snapshot(snapshot: Json) -> None:
    fn = build(SPEC_EXAMPLE)
    with pytest.raises(ValueError, match="snapshot"):
        fn.restore(snapshot)


events_st = st.lists(
    st.fixed_dictionaries(
        {
            "g": st.sampled_from(["a", "b", None]),
            "v": st.one_of(st.integers(-100, 100), st.floats(-100, 100, allow_nan=False), st.just("x")),
            "ts": st.integers(0, 200),
        }
    ),
    max_size=20,
)


@settings(max_examples=60)
@given(events_st, st.integers(0, 20), st.sampled_from([2, "30s"]))
def test_a_restart_through_a_json_snapshot_changes_nothing(
    events: list[JsonObject], cut: int, size: int | str
) -> None:
    config: Mapping[str, Json] = {
        "field": "v",
        "size": size,
        "by": ["g"],
        "emit": {"a": "avg", "s": "sum", "r": "rate", "n": "count"},
    }
    cut = min(cut, len(events))
    expected = run(build(config), events)
    before = build(config)
    head = run(before, events[:cut])
    after = build(config)
    after.restore(orjson.loads(orjson.dumps(before.snapshot())))
    assert head + run(after, events[cut:]) == expected
