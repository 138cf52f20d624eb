from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure

from pipeflow.domain.errors import Problem
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.results import Drop, Pass, Split
from pipeflow.infrastructure.functions.split import SplitList
from pipeflow.infrastructure.functions.split import plugin as split
from pipeflow.testing import json_values

LOGHUB = Path(__file__).parent.parent / "fixtures" / "loghub"


def ev(fields: JsonObject, ident: str = "01J") -> Event:
    return Event(EventId(ident), EventMeta("ssh", 5.0), fields)


def build(field: str) -> SplitList:
    built = split({"field": field})
    fn = built.value_or(None)
    assert isinstance(fn, SplitList), built
    return fn


def test_one_event_per_openssh_line_of_a_batch() -> None:
    lines: list[Json] = list((LOGHUB / "OpenSSH_200.log").read_text(encoding="utf-8").splitlines()[:5])
    result = build("lines")(ev({"lines": lines, "host": "LabSZ"}, "01PARENT"))
    assert isinstance(result, Split)
    assert [e.fields for e in result.events] == [{"lines": line, "host": "LabSZ"} for line in lines]
    assert [e.id for e in result.events] == [f"01PARENT-{i}" for i in range(5)]
    assert all(e.meta == EventMeta("ssh", 5.0) for e in result.events)


def test_nested_list_field() -> None:
    result = build("a.items")(ev({"a": {"items": [{"n": 1}, {"n": 2}], "k": 0}}))
    assert isinstance(result, Split)
    assert [e.fields for e in result.events] == [
        {"a": {"items": {"n": 1}, "k": 0}},
        {"a": {"items": {"n": 2}, "k": 0}},
    ]


def test_an_empty_list_is_dropped_with_a_reason() -> None:
    assert build("xs")(ev({"xs": []})) == Drop("split: the list is empty")


@pytest.mark.parametrize("value", ["a,b", 3, None, {"a": [1]}, True])
def test_a_non_list_passes_unchanged(value: Any) -> None:
    event = ev({"xs": value})
    assert build("xs")(event) == Pass(event)
    assert build("xs")(ev({})) == Pass(ev({}))


@given(st.lists(json_values(), min_size=1, max_size=6))
def test_pieces_hold_the_elements_in_order_with_distinct_ids(items: list[Json]) -> None:
    event = ev({"xs": items, "keep": 1})
    result = build("xs")(event)
    assert isinstance(result, Split)
    assert [e.get("xs") for e in result.events] == items
    assert len({e.id for e in result.events}) == len(items)
    assert event.fields == {"xs": items, "keep": 1}


def test_a_bad_path_is_a_config_problem() -> None:
    assert split({"field": "a["}) == Failure((Problem("field", "not a field path: 'a['"),))
