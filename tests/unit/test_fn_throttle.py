"""The ``throttle`` function: config problems, per-key limits, event time, forgetting, snapshots."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
import pytest

from pipeflow.domain.engine import CompiledPipeline, Step
from pipeflow.domain.errors import Problems
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.pipeline import PipelineId
from pipeflow.domain.ports import Stateful
from pipeflow.domain.results import Drop, FunctionFailed, Pass
from pipeflow.infrastructure.functions.throttle import Throttle, plugin, read_time
from tests.unit.fn_helpers import ev, kept


def build(config: Mapping[str, Json]) -> Throttle:
    built = plugin(config)
    fn = built.value_or(None)
    assert isinstance(fn, Throttle), built
    return fn


def problems(config: Mapping[str, Json]) -> Problems:
    return plugin(config).failure()


def test_at_most_rate_events_per_window_and_the_window_slides() -> None:
    fn = build({"rate": 2, "window_s": 10})
    times = [0, 1, 2, 9.9, 10, 10.5, 11, 11.5, 30]
    # 10 lets 0 out of the span (0, 10]; 11 lets 1 out; 30 finds an empty span.
    assert kept(fn, [{"ts": t} for t in times]) == [True, True, False, False, True, False, True, False, True]


def test_each_key_has_its_own_limit_and_the_key_is_an_expression() -> None:
    fn = build({"rate": 1, "window_s": 60, "key": "host"})
    rows: list[JsonObject] = [
        {"ts": 0, "host": "a"},
        {"ts": 1, "host": "b"},
        {"ts": 2, "host": "a"},
        {"ts": 3},  # no host: the null key
        {"ts": 4, "host": None},  # null: the same key as a missing host
        {"ts": 5, "host": "b"},
    ]
    assert kept(fn, rows) == [True, True, False, True, False, False]


def test_a_key_expression_can_compute_the_key() -> None:
    fn = build({"rate": 1, "window_s": 60, "key": "status >= 500"})
    rows: list[JsonObject] = [{"ts": 0, "status": 200}, {"ts": 1, "status": 503}, {"ts": 2, "status": 404}]
    assert kept(fn, rows) == [True, True, False]


def test_keys_compare_as_json_values() -> None:
    fn = build({"rate": 1, "window_s": 60, "key": "k"})
    rows: list[JsonObject] = [
        {"ts": 0, "k": {"a": 1, "b": 2}},
        {"ts": 0, "k": {"b": 2, "a": 1}},  # same object
        {"ts": 0, "k": 1},
        {"ts": 0, "k": 1.0},  # an int and a float are different keys
        {"ts": 0, "k": True},
        {"ts": 0, "k": 2**70},
        {"ts": 0, "k": 2**70},
    ]
    assert kept(fn, rows) == [True, False, True, True, True, True, False]


def test_event_time_in_iso_8601_and_a_custom_time_field() -> None:
    fn = build({"rate": 1, "window_s": 60, "time_field": "at.time"})
    rows: list[JsonObject] = [
        {"at": {"time": "2024-06-01T00:00:00Z"}},
        {"at": {"time": "2024-06-01T02:00:30+02:00"}},  # 00:00:30 UTC
        {"at": {"time": 1717200060}},  # 00:01:00 UTC: the first left the span
        {"at": {"time": "2024-06-01T00:01:59.5"}},  # no offset: UTC
    ]
    assert kept(fn, rows) == [True, False, True, False]


def test_a_late_event_counts_at_its_keys_newest_time_and_an_older_one_starts_the_key_over() -> None:
    fn = build({"rate": 1, "window_s": 10, "key": "k"})
    rows: list[JsonObject] = [
        {"ts": 100, "k": "a"},
        {"ts": 50, "k": "b"},  # b's own clock: 50 (a's time does not matter)
        {"ts": 55, "k": "b"},  # b's span (45, 55] holds 50
        {"ts": 95, "k": "a"},  # 5 s late: taken at 100, a's span holds 100
        {"ts": 89, "k": "a"},  # 11 s before a's clock: a's time went back, it starts over at 89
        {"ts": 92, "k": "a"},  # the span (82, 92] holds 89
        {"ts": 99.5, "k": "a"},  # 89 left the span (89.5, 99.5]
    ]
    assert kept(fn, rows) == [True, True, False, False, True, False, True]
    assert fn.snapshot() == {"version": 2, "keys": [['"b"', 55.0, [50.0]], ['"a"', 99.5, [99.5]]]}


def test_a_file_of_older_logs_after_newer_ones_is_throttled_on_its_own_time() -> None:
    fn = build({"rate": 2, "window_s": 60})
    newer: list[JsonObject] = [{"ts": 1_000_000 + i} for i in range(5)]
    older: list[JsonObject] = [{"ts": t} for t in (1000, 1001, 1002, 1003, 1004, 1061)]
    expected = [True, True, False, False, False, True, True, False, False, False, True]
    assert kept(fn, newer + older) == expected


@pytest.mark.parametrize("ts", [None, "yesterday", True, "", {"t": 1}, [1], "60", 10**400])
def test_an_event_without_a_readable_time_dead_letters_by_default(ts: Json) -> None:
    fn = build({"rate": 5, "window_s": 1})
    event = ev(0, msg="x") if ts is None else ev(0, ts=ts)
    with pytest.raises(FunctionFailed, match="'ts' is missing or not a time"):
        fn(event)
    assert fn.snapshot() == {"version": 2, "keys": []}  # nothing was counted


def test_on_failure_passes_or_drops_an_event_without_a_time() -> None:
    event = ev(0, msg="x")
    assert build({"rate": 1, "window_s": 1, "on_failure": "pass"})(event) == Pass(event)
    dropped = build({"rate": 1, "window_s": 1, "on_failure": "drop"})(event)
    assert isinstance(dropped, Drop)
    assert "missing or not a time" in dropped.reason


def test_throttled_events_are_counted_as_drops_by_the_engine() -> None:
    fn = build({"rate": 1, "window_s": 60})
    pipeline = CompiledPipeline(PipelineId("p"), 1, (Step(2, "throttle", fn),))
    result = pipeline.process_batch([ev(0, ts=0), ev(1, ts=1), ev(2, ts=2), ev(3)])
    assert [e.id for e in result.outputs] == ["e0"]
    assert [(d.stage, d.event.id) for d in result.dropped] == [(2, "e1"), (2, "e2")]
    assert result.dropped[0].reason == "throttled: over 1 events per 60s for this key"
    assert [(f.stage, f.event.id) for f in result.failed] == [(2, "e3")]


def test_at_most_max_keys_are_held_the_one_longest_without_an_event_goes_first() -> None:
    fn = build({"rate": 1, "window_s": 60, "key": "k", "max_keys": 2})
    rows: list[JsonObject] = [
        {"ts": 0, "k": "a"},
        {"ts": 1, "k": "b"},
        {"ts": 2, "k": "a"},  # throttled; a is now the most recent
        {"ts": 3, "k": "c"},  # a third key: b (longest without an event) is forgotten
        {"ts": 4, "k": "a"},  # a is still held: throttled
        {"ts": 5, "k": "b"},  # b starts over
    ]
    assert kept(fn, rows) == [True, True, False, True, False, True]
    assert fn.keys_held() == 2


def test_snapshot_and_restore_continue_the_windows() -> None:
    config: JsonObject = {"rate": 2, "window_s": 10, "key": "k"}
    first = build(config)
    assert isinstance(first, Stateful)
    assert kept(first, [{"ts": 0, "k": "a"}, {"ts": 1, "k": "a"}, {"ts": 2, "k": "b"}]) == [True] * 3
    saved = orjson.loads(orjson.dumps(first.snapshot()))
    again = build(config)
    again.restore(saved)
    assert again.snapshot() == first.snapshot()
    assert kept(again, [{"ts": 3, "k": "a"}, {"ts": 4, "k": "b"}, {"ts": 10.5, "k": "a"}]) == [
        False,
        True,
        True,
    ]


def test_a_fresh_build_starts_empty() -> None:
    config: JsonObject = {"rate": 1, "window_s": 10}
    kept(build(config), [{"ts": 0}])
    assert kept(build(config), [{"ts": 0}]) == [True]


@pytest.mark.parametrize(
    "snapshot",
    [
        None,
        [],
        {"version": 1, "mark": None, "keys": []},
        {"version": 2},
        {"version": 2, "keys": {}},
        {"version": 2, "keys": [["null", [1.0]]]},
        {"version": 2, "keys": [["null", None, [1.0]]]},
        {"version": 2, "keys": [["null", 1.0, [2.0]]]},
        {"version": 2, "keys": [["null", 5.0, [2.0, 1.0]]]},
        {"version": 2, "keys": [[1, 1.0, [1.0]]]},
        {"version": 2, "keys": [["null", 1.0, [True]]]},
        {"version": 2, "keys": [["null", 1.0, "1.0"]]},
    ],
)
def test_restore_refuses_what_is_not_a_snapshot(snapshot: Json) -> None:
    fn = build({"rate": 1, "window_s": 10})
    with pytest.raises(ValueError, match="snapshot"):
        fn.restore(snapshot)


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ({"rate": 0, "window_s": 10}, "rate"),
        ({"rate": 1.5, "window_s": 10}, "rate"),
        ({"window_s": 10}, "rate"),
        ({"rate": 1, "window_s": 0}, "window_s"),
        ({"rate": 1, "window_s": -1}, "window_s"),
        ({"rate": 1, "window_s": "inf"}, "window_s"),
        ({"rate": 1}, "window_s"),
        ({"rate": 1, "window_s": 1, "key": "host ==="}, "key"),
        ({"rate": 1, "window_s": 1, "time_field": "a..b"}, "time_field"),
        ({"rate": 1, "window_s": 1, "on_failure": "retry"}, "on_failure"),
        ({"rate": 1, "window_s": 1, "max_keys": 0}, "max_keys"),
        ({"rate": 1, "window_s": 1, "extra": 1}, "extra"),
    ],
)
def test_config_problems_are_located(config: Mapping[str, Json], where: str) -> None:
    assert where in [p.where for p in problems(config)]


def test_read_time() -> None:
    assert read_time(60) == 60.0
    assert read_time("1970-01-01T01:01:00+01:00") == 60.0
    assert read_time(float("inf")) is None
    assert read_time(False) is None
