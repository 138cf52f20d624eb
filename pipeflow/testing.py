"""``check_plugin``: the contract every ``PipelineFn`` plugin passes, built in or not.

Install the extra (``pip install 'pipeflow[testing]'``: it brings Hypothesis) and call it from
your plugin's own tests, with a config your function accepts::

    from pipeflow.testing import check_plugin
    from pipeflow_geoip import plugin

    def test_geoip_passes_the_pipeflow_contract() -> None:
        check_plugin(plugin, {"field": "client_ip"}, max_examples=100)

``check_plugin`` raises ``AssertionError`` naming the broken rule and the event that broke it
(Hypothesis shrinks it first). The rules, on generated JSON-native events (arbitrary nested
fields, plus events that hold values, often log-like strings, at every path the config names):

1. the config builds: the factory returns ``Success(fn)``, and the plugin's schema can be listed;
2. deterministic: two fresh builds give equal results on the same event;
3. the input event is unchanged (its fields equal a deep copy taken before, types included);
4. nothing but ``FunctionFailed`` escapes (that one dead-letters the event);
5. the result is a ``Pass``, ``Split`` or ``Drop`` whose events are ``Event``s with JSON-native
   fields; the pieces of a ``Split`` have distinct ids;
6. the config round-trips: ``model_validate(model_dump())`` equals the model (also through JSON).

Pass ``events=`` (a strategy of ``Event``) to test with events of your own making, e.g. from
``events_for(config, values=st.emails())`` with values your function cares about.
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.result import Failure, Success

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import Path, parse_path, set_in
from pipeflow.domain.ports import PipelineFn
from pipeflow.domain.results import Drop, FnResult, FunctionFailed, Pass, Split
from pipeflow.infrastructure.functions.base import FunctionPlugin

_SCALARS: st.SearchStrategy[Json] = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
)


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Json]:
    """Any JSON-native value: nested objects and lists of null, bools, ints, finite floats, text."""
    return st.recursive(
        _SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=max_leaves,
    )


def json_objects() -> st.SearchStrategy[JsonObject]:
    """A JSON object with arbitrary keys and values: the fields of an event."""
    return st.dictionaries(st.text(max_size=8), json_values(), max_size=5)


_WORD = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=6)


def log_strings() -> st.SearchStrategy[str]:
    """Strings shaped like log payloads: JSON text, ``k=v`` pairs, CSV records, or any text."""
    pairs = st.lists(st.tuples(_WORD, st.text(max_size=6)), max_size=4)
    return st.one_of(
        st.text(),
        json_values().map(json.dumps),
        pairs.map(lambda ps: " ".join(f'{k}="{v}"' if " " in v else f"{k}={v}" for k, v in ps)),
        st.lists(st.text(max_size=5), max_size=4).map(",".join),
        st.lists(_WORD, max_size=6).map(" ".join),
    )


def config_paths(config: Mapping[str, Json]) -> tuple[Path, ...]:
    """Every string in the config's values (nested keys too) that reads as a field path.

    This over-approximates the fields a config names (``"avg"`` is a path too), which only
    means some events hold extra fields.

    >>> config_paths({"field": "user.name", "pattern": "(?P<x>.)", "fields": {"a": "b[0]"}})
    (('user', 'name'), ('a',), ('b', 0))
    """
    found: list[Path] = []

    def walk(value: Json) -> None:
        if isinstance(value, str):
            path = parse_path(value)
            if path is not None and path not in found:
                found.append(path)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)

    for value in config.values():  # top-level keys name config options, not fields
        walk(value)
    return tuple(found)


def events_for(
    config: Mapping[str, Json] | None = None, *, values: st.SearchStrategy[Json] | None = None
) -> st.SearchStrategy[Event]:
    """Events with arbitrary fields, each path the config names often holding one of ``values``.

    ``values`` defaults to log-like strings, lists and any JSON value.
    """
    paths = config_paths(config or {})
    chosen = (
        values
        if values is not None
        else st.one_of(log_strings(), st.lists(_SCALARS, max_size=4), json_values())
    )
    placed = st.tuples(*(st.none() | chosen.map(lambda v: (v,)) for _ in paths))

    def make(ident: str, meta: EventMeta, fields: JsonObject, extra: tuple[tuple[Json] | None, ...]) -> Event:
        for path, cell in zip(paths, extra, strict=True):
            if cell is not None:
                fields = set_in(fields, path, cell[0])
        return Event(EventId(ident), meta, fields)

    metas = st.builds(EventMeta, st.text(max_size=8), st.floats(0, 4e9, allow_nan=False))
    return st.builds(make, st.text(min_size=1, max_size=26), metas, json_objects(), placed)


def json_problem(value: object, where: str = "fields") -> str | None:
    """Where ``value`` stops being JSON-native (exact types, finite floats, string keys), or ``None``.

    >>> json_problem({"a": [1, (2,)]})
    'fields.a[1] is a tuple, not a JSON value'
    >>> json_problem({"a": float("nan")}) is None
    False
    """
    if value is None or type(value) in (bool, int, str):
        return None
    if type(value) is float:
        return None if math.isfinite(value) else f"{where} is {value!r}, not a finite number"
    if type(value) is list:
        return next((p for i, v in enumerate(value) if (p := json_problem(v, f"{where}[{i}]"))), None)
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str:
                return f"{where} has the key {key!r}, not a string"
            if problem := json_problem(item, f"{where}.{key}"):
                return problem
        return None
    return f"{where} is a {type(value).__name__}, not a JSON value"


def same(a: object, b: object) -> bool:
    """Equal with the same types all the way down: ``1``, ``1.0``, ``True`` differ, as do ``0.0``, ``-0.0``.

    >>> same({"a": [1]}, {"a": [1.0]}), same({"a": [1]}, {"a": [1]})
    (False, True)
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return repr(a) == repr(b)
    return a == b


def build_fn(plugin: FunctionPlugin[Any], config: Mapping[str, Json]) -> PipelineFn:
    """Rule 1: build the function, or fail naming every config problem."""
    match plugin(config):
        case Success(PipelineFn() as fn):
            return fn
        case Failure(problems):
            listed = "; ".join(f"{p.where or '<config>'}: {p.message}" for p in problems)
            raise AssertionError(f"{plugin.name}: the config {dict(config)!r} does not build: {listed}")
        case built:
            raise AssertionError(f"{plugin.name}: the factory gave {built!r}, not Success(a function)")


def check_config(plugin: FunctionPlugin[Any], config: Mapping[str, Json]) -> None:
    """Rules 1 and 6: the config builds, the schema lists, and the model round-trips (also via JSON)."""
    assert isinstance(plugin, FunctionPlugin), f"{plugin!r} is not a FunctionPlugin"
    build_fn(plugin, config)
    assert isinstance(plugin.schema(), dict), f"{plugin.name}: schema() is not a JSON schema"
    model = plugin.model.model_validate(dict(config))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # pydantic warns, not raises, when a field does not serialize
            python_dump, dumped = model.model_dump(), model.model_dump(mode="json")
    except Exception as exc:  # the author sees why the dump failed, whatever it raised
        raise AssertionError(f"{plugin.name}: config {model!r} does not serialize: {exc}") from exc
    again = plugin.model.model_validate(python_dump)
    assert again == model, f"{plugin.name}: config does not round-trip: {model!r} became {again!r}"
    assert json_problem(dumped, "config") is None, f"{plugin.name}: {json_problem(dumped, 'config')}"
    via_json = plugin.model.model_validate(json.loads(json.dumps(dumped)))
    assert via_json == model, f"{plugin.name}: config does not round-trip through JSON: became {via_json!r}"


def check_result(name: str, result: object) -> None:
    """Rule 5: a ``FnResult`` of ``Event``s with JSON-native fields; split pieces have distinct ids."""
    match result:
        case Pass(event):
            pieces: tuple[object, ...] = (event,)
        case Split(events):
            assert type(events) is tuple, f"{name}: Split.events is a {type(events).__name__}, not a tuple"
            pieces = events
            ids = [e.id for e in events if isinstance(e, Event)]
            assert len(set(ids)) == len(ids), f"{name}: split pieces share ids: {ids}"
        case Drop(reason):
            assert isinstance(reason, str), f"{name}: Drop.reason is {reason!r}, not a string"
            pieces = ()
        case _:
            raise AssertionError(f"{name}: returned {result!r}, not a Pass, Split or Drop")
    for piece in pieces:
        assert isinstance(piece, Event), f"{name}: returned {piece!r}, not an Event"
        problem = json_problem(piece.fields)
        assert problem is None, f"{name}: output is not JSON-native: {problem}"


def _run(name: str, fn: PipelineFn, event: Event) -> FnResult | FunctionFailed:
    try:
        return fn(event)
    except FunctionFailed as failed:
        return failed
    except Exception as exc:  # rule 4: nothing else may escape
        raise AssertionError(
            f"{name}: raised {type(exc).__name__}: {exc} on {event.fields!r}; only FunctionFailed may escape"
        ) from exc


def check_event(plugin: FunctionPlugin[Any], config: Mapping[str, Json], event: Event) -> None:
    """Rules 2 to 5 on one event, with two fresh builds of the function."""
    name = plugin.name
    before = copy.deepcopy(event.fields)
    first = _run(name, build_fn(plugin, config), event)
    assert same(event.fields, before), f"{name}: changed its input: {before!r} became {event.fields!r}"
    second = _run(name, build_fn(plugin, config), event)
    if isinstance(first, FunctionFailed) or isinstance(second, FunctionFailed):
        assert type(first) is type(second), (
            f"{name}: not deterministic on {before!r}: {first!r} vs {second!r}"
        )
        return
    check_result(name, first)
    assert first == second, f"{name}: not deterministic on {before!r}: {first!r} vs {second!r}"


def check_plugin(
    plugin: FunctionPlugin[Any],
    config: Mapping[str, Json],
    *,
    max_examples: int = 50,
    events: st.SearchStrategy[Event] | None = None,
) -> None:
    """Check every rule of the contract; raise ``AssertionError`` naming what broke and on what."""
    check_config(plugin, config)
    strategy = events if events is not None else events_for(config)

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(strategy)
    def every_event(event: Event) -> None:
        check_event(plugin, config, event)

    every_event()


__all__ = [
    "build_fn",
    "check_config",
    "check_event",
    "check_plugin",
    "check_result",
    "config_paths",
    "events_for",
    "json_objects",
    "json_problem",
    "json_values",
    "log_strings",
    "same",
]
