from __future__ import annotations

import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.results import Pass
from pipeflow.infrastructure.functions.remove import Remove
from pipeflow.infrastructure.functions.remove import plugin as remove


def ev(fields: JsonObject) -> Event:
    return Event(EventId("01J"), EventMeta("t", 0.0), fields)


def run(fn: Remove, fields: JsonObject) -> JsonObject:
    result = fn(ev(fields))
    assert isinstance(result, Pass)
    return result.event.fields


def remove_fn(*fields: str) -> Remove:
    built = remove({"fields": list(fields)})
    fn = built.value_or(None)
    assert isinstance(fn, Remove), built
    return fn


def test_remove_ignores_absent_fields_and_scalars_in_the_way() -> None:
    event = ev({"a": 1, "b": "text"})
    assert remove_fn("zzz", "b.c", "a[0]")(event) == Pass(event)
    assert run(remove_fn("a", "b"), {"a": 1, "b": 2, "c": 3}) == {"c": 3}


def test_remove_nested_and_list_elements_without_touching_the_input() -> None:
    event = ev({"user": {"email": "a@b.c", "id": 7}, "tags": ["x", "y"]})
    assert run(remove_fn("user.email", "tags[0]"), event.fields) == {"user": {"id": 7}, "tags": ["y"]}
    assert event.fields == {"user": {"email": "a@b.c", "id": 7}, "tags": ["x", "y"]}


@pytest.mark.parametrize(
    ("config", "where"),
    [({"fields": []}, "fields"), ({"fields": ["ok", "[x"]}, "fields[1]"), ({"fields": "a"}, "fields")],
)
def test_config_problems_are_values(config: JsonObject, where: str) -> None:
    problems = remove(config).failure()
    assert [p.where for p in problems] == [where]
