"""Laws of ``throttle`` and ``dedupe``: the limit holds, it is reached, and both equal plain models.

Throttle: no span of ``window_s`` seconds (event time) holds more than ``rate`` admitted events of
a key; an event is dropped only when its span already holds ``rate``; any order of event times
equals a model that keeps every key's whole history; a restart in the middle (snapshot, JSON,
restore) changes nothing. Dedupe: equal to an ``OrderedDict`` LRU of keys; an event is dropped
exactly when its key was seen with fewer than ``cache_size`` other distinct keys since; a restart
changes nothing.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Sequence

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.ports import PipelineFn
from pipeflow.domain.results import Drop, Pass
from pipeflow.infrastructure.functions.dedupe import Dedupe
from pipeflow.infrastructure.functions.dedupe import plugin as dedupe_plugin
from pipeflow.infrastructure.functions.throttle import Throttle
from pipeflow.infrastructure.functions.throttle import plugin as throttle_plugin

KEYS = st.sampled_from(["a", "b", "c"])
TIMES = st.integers(0, 400).map(lambda n: n / 4)  # quarter seconds: many ties and exact boundaries


def throttle(rate: int, window_s: float) -> Throttle:
    fn = throttle_plugin({"rate": rate, "window_s": window_s, "key": "k"}).unwrap()
    assert isinstance(fn, Throttle)
    return fn


def passes(fn: PipelineFn, rows: Sequence[JsonObject]) -> list[bool]:
    out = []
    for i, fields in enumerate(rows):
        result = fn(Event(EventId(f"e{i}"), EventMeta("test", 0.0), dict(fields)))
        assert isinstance(result, Pass | Drop)
        out.append(isinstance(result, Pass))
    return out


def restarted(make: Callable[[], Throttle | Dedupe], rows: Sequence[JsonObject], at: int) -> list[bool]:
    """The decisions of a function that is snapshotted after ``at`` rows and restored into a new one."""
    first = make()
    head = passes(first, rows[:at])
    second = make()
    second.restore(orjson.loads(orjson.dumps(first.snapshot())))
    return head + passes(second, rows[at:])


throttle_inputs = st.tuples(
    st.integers(1, 4),
    st.sampled_from([0.5, 1.0, 2.5, 10.0]),
    st.lists(st.tuples(KEYS, TIMES), max_size=60),
)


@settings(max_examples=200)
@given(throttle_inputs)
def test_throttle_never_admits_more_than_rate_per_span_and_drops_only_at_the_limit(
    case: tuple[int, float, list[tuple[str, float]]],
) -> None:
    rate, window_s, raw = case
    rows = sorted(raw, key=lambda r: r[1])  # event time in order: taken as written
    admitted = passes(throttle(rate, window_s), [{"k": k, "ts": t} for k, t in rows])
    for (key, t), ok in zip(rows, admitted, strict=True):
        before = [
            u
            for (k, u), was in zip(rows, admitted, strict=True)
            if was and k == key and t - window_s < u <= t
        ]
        # ``before`` counts admitted events of the key in (t - window_s, t], this one included if admitted.
        if ok:
            assert len(before) <= rate
        else:
            assert len(before) == rate  # dropped only when the span already holds ``rate``


@settings(max_examples=100)
@given(st.integers(1, 5), st.lists(st.floats(0, 9.99), min_size=6, max_size=30), KEYS)
def test_a_dense_burst_admits_exactly_rate(rate: int, offsets: list[float], key: str) -> None:
    times = sorted(100.0 + o for o in offsets)  # all within 10 s: one span
    got = passes(throttle(rate, 10.0), [{"k": key, "ts": t} for t in times])
    assert sum(got) == min(rate, len(times))
    assert got == [i < rate for i in range(len(times))]


def throttle_model(rate: int, window_s: float, rows: Sequence[tuple[str, float]]) -> list[bool]:
    """Every key's whole history: its clock, and the times it admitted since it last started over."""
    clocks: dict[str, float] = {}
    admitted: dict[str, list[float]] = {}
    out = []
    for key, t in rows:
        clock = clocks.get(key)
        if clock is not None and t < clock - window_s:  # the key's time went back: it starts over
            admitted[key] = []
            clock = None
        at = t if clock is None else max(clock, t)
        clocks[key] = at
        times = admitted.setdefault(key, [])
        ok = sum(1 for u in times if at - window_s < u <= at) < rate
        if ok:
            times.append(at)
        out.append(ok)
    return out


@settings(max_examples=200)
@given(throttle_inputs, st.integers(0, 60))
def test_throttle_in_any_order_equals_the_model_and_a_restart_changes_nothing(
    case: tuple[int, float, list[tuple[str, float]]], cut: int
) -> None:
    rate, window_s, rows = case
    fields: list[JsonObject] = [{"k": k, "ts": t} for k, t in rows]
    expected = throttle_model(rate, window_s, rows)
    assert passes(throttle(rate, window_s), fields) == expected
    assert restarted(lambda: throttle(rate, window_s), fields, min(cut, len(rows))) == expected


VALUES: st.SearchStrategy[Json] = st.sampled_from([0, 1, 1.0, True, None, "a", "b", [1], {"x": 1}])
ROWS = st.lists(st.dictionaries(st.sampled_from(["u", "v", "other"]), VALUES, max_size=3), max_size=60)
FIELDS = ["u", "v"]


def dedupe(cache_size: int) -> Dedupe:
    fields: list[Json] = [*FIELDS]
    fn = dedupe_plugin({"fields": fields, "cache_size": cache_size}).unwrap()
    assert isinstance(fn, Dedupe)
    return fn


def model_key(row: JsonObject) -> tuple[tuple[bool, str], ...]:
    """A key as the model sees it: per field, whether it is there and its JSON text."""
    return tuple((f in row, json.dumps(row.get(f), sort_keys=True)) for f in FIELDS)


def dedupe_model(cache_size: int, rows: Sequence[JsonObject]) -> list[bool]:
    """A plain OrderedDict LRU of keys: a hit moves the key last and drops the event."""
    lru: OrderedDict[tuple[tuple[bool, str], ...], None] = OrderedDict()
    out = []
    for row in rows:
        key = model_key(row)
        if key in lru:
            lru.move_to_end(key)
            out.append(False)
        else:
            lru[key] = None
            if len(lru) > cache_size:
                lru.popitem(last=False)
            out.append(True)
    return out


@settings(max_examples=200)
@given(st.integers(1, 6), ROWS, st.integers(0, 60))
def test_dedupe_equals_an_ordered_dict_lru_and_a_restart_changes_nothing(
    cache_size: int, rows: list[JsonObject], cut: int
) -> None:
    expected = dedupe_model(cache_size, rows)
    assert passes(dedupe(cache_size), rows) == expected
    assert restarted(lambda: dedupe(cache_size), rows, min(cut, len(rows))) == expected


@settings(max_examples=200)
@given(st.integers(1, 6), ROWS)
def test_dedupe_drops_exactly_the_keys_seen_within_cache_size_distinct_keys(
    cache_size: int, rows: list[JsonObject]
) -> None:
    got = passes(dedupe(cache_size), rows)
    keys = [model_key(r) for r in rows]
    for j, key in enumerate(keys):
        earlier = [p for p in range(j) if keys[p] == key]
        if not earlier:
            assert got[j]
            continue
        between = set(keys[earlier[-1] + 1 : j])
        assert got[j] == (len(between) >= cache_size)
    # So two passed events with the same key have at least cache_size other distinct keys between them.
    passed = [j for j, ok in enumerate(got) if ok]
    for a in passed:
        for c in passed:
            if c > a and keys[c] == keys[a]:
                assert len(set(keys[a + 1 : c]) - {keys[a]}) >= cache_size
                break
