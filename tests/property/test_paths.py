"""Laws of field paths and of the event lens built on them.

- round trip   ``parse_path(render_path(p)) == p`` for every path
- put-get      ``get_in(set_in(f, p, v), p) == v`` when ``p`` is settable in ``f``
- get-put      ``set_in(f, p, get_in(f, p)) == f`` when ``p`` exists in ``f``
- put-put      ``set_in(set_in(f, p, v), p, w) == set_in(f, p, w)``
- remove       after ``remove_in(f, p)`` a key path is gone and its siblings are untouched
- purity       ``set_in``, ``remove_in``, ``Event.with_field`` and ``Event.without_field`` never
  change their input (compared against a deep copy)
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.events import Event
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import MISSING, Path, get_in, parse_path, remove_in, render_path, set_in
from tests.strategies import events, existing_paths, field_dicts, json_values, paths, settable_paths

EXAMPLES = settings(max_examples=150, deadline=None)


@EXAMPLES
@given(paths)
def test_parse_render_round_trip(p: Path) -> None:
    assert parse_path(render_path(p)) == p


@EXAMPLES
@given(st.data(), field_dicts, json_values)
def test_put_get(data: st.DataObject, fields: JsonObject, value: Json) -> None:
    p = data.draw(settable_paths(fields), label="path")
    assert get_in(set_in(fields, p, value), p) == value


@EXAMPLES
@given(st.data(), field_dicts.filter(bool))
def test_get_put(data: st.DataObject, fields: JsonObject) -> None:
    p = data.draw(existing_paths(fields), label="path")
    current = get_in(fields, p)
    assert current is not MISSING
    assert set_in(fields, p, current) == fields  # type: ignore[arg-type]


@EXAMPLES
@given(field_dicts, paths, json_values, json_values)
def test_put_put(fields: JsonObject, p: Path, v: Json, w: Json) -> None:
    assert set_in(set_in(fields, p, v), p, w) == set_in(fields, p, w)


@EXAMPLES
@given(st.data(), field_dicts.filter(bool))
def test_remove_takes_out_a_key_and_nothing_else(data: st.DataObject, fields: JsonObject) -> None:
    p = data.draw(existing_paths(fields).filter(lambda q: isinstance(q[-1], str)), label="path")
    removed = remove_in(fields, p)
    assert get_in(removed, p) is MISSING
    parent = get_in(fields, p[:-1])
    assert isinstance(parent, dict)
    assert get_in(removed, p[:-1]) == {k: v for k, v in parent.items() if k != p[-1]}


@EXAMPLES
@given(field_dicts, paths)
def test_removing_what_is_absent_returns_the_same_fields(fields: JsonObject, p: Path) -> None:
    if get_in(fields, p) is MISSING:
        assert remove_in(fields, p) is fields


@EXAMPLES
@given(field_dicts, paths, json_values)
def test_set_in_and_remove_in_never_change_their_input(fields: JsonObject, p: Path, value: Json) -> None:
    before = copy.deepcopy(fields)
    set_in(fields, p, value)
    remove_in(fields, p)
    assert fields == before


@EXAMPLES
@given(events, paths, json_values)
def test_with_field_and_without_field_never_change_the_original(e: Event, p: Path, value: Json) -> None:
    before = copy.deepcopy(e)
    changed = e.with_field(p, value)
    removed = e.without_field(p)
    assert e == before
    assert (changed.id, changed.meta) == (e.id, e.meta)
    assert (removed.id, removed.meta) == (e.id, e.meta)


@EXAMPLES
@given(st.data(), events, json_values)
def test_event_lens_put_get(data: st.DataObject, e: Event, value: Json) -> None:
    p = data.draw(settable_paths(e.fields), label="path")
    changed = e.with_field(p, value)
    assert changed.get(p, default="<absent>") == value
    assert changed.has(p)
    assert e.get(render_path(p), default="<absent>") == e.get(p, default="<absent>")
