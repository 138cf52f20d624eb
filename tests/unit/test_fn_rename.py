from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.results import Pass
from pipeflow.infrastructure.functions.remove import Remove
from pipeflow.infrastructure.functions.remove import plugin as remove
from pipeflow.infrastructure.functions.rename import Rename
from pipeflow.infrastructure.functions.rename import plugin as rename

LOGHUB = Path(__file__).parent.parent / "fixtures" / "loghub"


def ev(fields: JsonObject) -> Event:
    return Event(EventId("01J"), EventMeta("t", 0.0), fields)


def run(fn: Rename | Remove, fields: JsonObject) -> JsonObject:
    result = fn(ev(fields))
    assert isinstance(result, Pass)
    return result.event.fields


def rename_fn(**fields: str) -> Rename:
    built = rename({"fields": dict(fields)})
    fn = built.value_or(None)
    assert isinstance(fn, Rename), built
    return fn


def remove_fn(*fields: str) -> Remove:
    built = remove({"fields": list(fields)})
    fn = built.value_or(None)
    assert isinstance(fn, Remove), built
    return fn


def openssh_row() -> dict[str, Any]:
    with (LOGHUB / "OpenSSH_200.log_structured.csv").open(newline="", encoding="utf-8") as handle:
        return dict(next(csv.DictReader(handle)))


def test_rename_and_remove_shape_a_loghub_record() -> None:
    row = openssh_row()
    renamed = run(rename_fn(Content="message", Pid="process.pid"), row)
    trimmed = run(remove_fn("LineId", "EventTemplate", "process.pid"), renamed)
    assert trimmed == {
        "Date": "Dec",
        "Day": "10",
        "Time": "06:55:46",
        "Component": "LabSZ",
        "EventId": "E27",
        "message": row["Content"],
        "process": {},
    }
    assert set(row) == {
        "LineId",
        "Date",
        "Day",
        "Time",
        "Component",
        "Pid",
        "Content",
        "EventId",
        "EventTemplate",
    }


def test_rename_moves_nested_paths_in_order() -> None:
    built = rename({"fields": {"a": "b.c", "b.c": "d", "tags[0]": "first"}})
    fn = built.value_or(None)
    assert isinstance(fn, Rename), built
    assert run(fn, {"a": 1, "tags": ["x", "y"]}) == {"b": {}, "d": 1, "tags": ["y"], "first": "x"}


def test_rename_of_a_missing_field_changes_nothing() -> None:
    event = ev({"a": 1})
    assert rename_fn(missing="b")(event) == Pass(event)


def test_rename_overwrites_an_existing_target_and_keeps_null() -> None:
    assert run(rename_fn(a="b"), {"a": None, "b": 2}) == {"b": None}


def test_rename_to_a_list_index_that_does_not_exist_keeps_the_field() -> None:
    built = rename({"fields": {"a": "tags[5]"}})
    fn = built.value_or(None)
    assert isinstance(fn, Rename), built
    assert run(fn, {"a": 1, "tags": []}) == {"a": 1, "tags": []}


def test_neither_changes_its_input() -> None:
    event = ev({"a": {"b": [1, 2]}})
    run(rename_fn(**{"a.b": "c"}), event.fields)
    run(remove_fn("a.b[0]"), event.fields)
    assert event.fields == {"a": {"b": [1, 2]}}


@pytest.mark.parametrize(
    ("plugin_config", "where"),
    [
        ((rename, {"fields": {}}), "fields"),
        ((rename, {"fields": {"a": "b..c"}}), "fields.a"),
    ],
)
def test_config_problems_are_values(plugin_config: tuple[Any, JsonObject], where: str) -> None:
    plugin, config = plugin_config
    problems = plugin(config).failure()
    assert [p.where for p in problems] == [where]
