"""The ``dedupe`` function: config problems, keys of several fields, the LRU cache, snapshots."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
import pytest

from pipeflow.domain.engine import CompiledPipeline, Step
from pipeflow.domain.errors import Problems
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.pipeline import PipelineId
from pipeflow.domain.ports import Stateful
from pipeflow.infrastructure.functions.dedupe import Dedupe, plugin
from tests.unit.fn_helpers import ev, kept


def build(config: Mapping[str, Json]) -> Dedupe:
    built = plugin(config)
    fn = built.value_or(None)
    assert isinstance(fn, Dedupe), built
    return fn


def problems(config: Mapping[str, Json]) -> Problems:
    return plugin(config).failure()


def test_a_repeat_of_the_key_is_dropped_other_fields_do_not_matter() -> None:
    fn = build({"fields": ["user", "action"]})
    rows: list[JsonObject] = [
        {"user": "ann", "action": "login", "ts": 1},
        {"user": "ann", "action": "login", "ts": 2},
        {"user": "ann", "action": "logout", "ts": 3},
        {"user": "bob", "action": "login", "ts": 4},
        {"user": "bob", "action": "login", "ts": 5},
    ]
    assert kept(fn, rows) == [True, False, True, True, False]


def test_values_compare_as_json_and_missing_differs_from_null() -> None:
    fn = build({"fields": ["v", "w.x"]})
    rows: list[JsonObject] = [
        {"v": {"a": 1, "b": [1, 2]}},
        {"v": {"b": [1, 2], "a": 1}},  # the same object: a duplicate
        {"v": 1},
        {"v": 1.0},  # a float is not the int
        {"v": True},  # nor is a boolean
        {"v": None},
        {},  # missing differs from null
        {"w": {"x": None}, "v": None},
        {"v": None, "w": {"x": None}},
        {"v": 2**70},
        {"v": 2**70},
        {"v": "é"},
        {"v": "é"},
    ]
    expected = [True, False, True, True, True, True, True, True, False, True, False, True, False]
    assert kept(fn, rows) == expected


def test_the_cache_holds_the_last_distinct_keys_and_a_repeat_keeps_its_key() -> None:
    fn = build({"fields": ["k"], "cache_size": 2})
    keys = ["a", "b", "a", "c", "a", "b", "c", "a"]
    # a b | a: repeat (a newest) | c evicts b | a: repeat | b evicts c | c evicts a | a evicts b
    assert kept(fn, [{"k": k} for k in keys]) == [True, True, False, True, False, True, True, True]
    assert fn.keys_held() == 2


def test_duplicates_are_counted_as_drops_by_the_engine() -> None:
    fn = build({"fields": ["k"]})
    pipeline = CompiledPipeline(PipelineId("p"), 1, (Step(1, "dedupe", fn),))
    result = pipeline.process_batch([ev(0, k=1), ev(1, k=1), ev(2, k=2)])
    assert [e.id for e in result.outputs] == ["e0", "e2"]
    assert [(d.stage, d.event.id, d.reason) for d in result.dropped] == [
        (1, "e1", "duplicate of one of the last 10000 distinct events")
    ]


def test_snapshot_and_restore_keep_the_recent_keys_in_order() -> None:
    config: JsonObject = {"fields": ["k"], "cache_size": 2}
    first = build(config)
    assert isinstance(first, Stateful)
    kept(first, [{"k": "a"}, {"k": "b"}, {"k": "a"}])  # b is the oldest now
    saved = orjson.loads(orjson.dumps(first.snapshot()))
    assert saved == {"version": 1, "keys": ['[["b"]]', '[["a"]]']}
    again = build(config)
    again.restore(saved)
    assert kept(again, [{"k": "c"}, {"k": "a"}, {"k": "b"}]) == [True, False, True]


def test_restoring_into_a_smaller_cache_keeps_the_newest_keys() -> None:
    big = build({"fields": ["k"], "cache_size": 5})
    kept(big, [{"k": k} for k in "abcde"])
    small = build({"fields": ["k"], "cache_size": 2})
    small.restore(big.snapshot())
    assert kept(small, [{"k": "e"}, {"k": "d"}, {"k": "a"}]) == [False, False, True]


def test_a_fresh_build_starts_empty() -> None:
    kept(build({"fields": ["k"]}), [{"k": 1}])
    assert kept(build({"fields": ["k"]}), [{"k": 1}]) == [True]


@pytest.mark.parametrize(
    "snapshot",
    [None, [], {"version": 2, "keys": []}, {"version": 1}, {"version": 1, "keys": [1]}, {"keys": []}],
)
def test_restore_refuses_what_is_not_a_snapshot(snapshot: Json) -> None:
    with pytest.raises(ValueError, match="snapshot"):
        build({"fields": ["k"]}).restore(snapshot)


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ({"fields": []}, "fields"),
        ({}, "fields"),
        ({"fields": ["ok", "a..b"]}, "fields[1]"),
        ({"fields": ["k"], "cache_size": 0}, "cache_size"),
        ({"fields": ["k"], "cache_size": "many"}, "cache_size"),
        ({"fields": ["k"], "extra": 1}, "extra"),
    ],
)
def test_config_problems_are_located(config: Mapping[str, Json], where: str) -> None:
    assert where in [p.where for p in problems(config)]
