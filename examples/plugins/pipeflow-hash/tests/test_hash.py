"""The plugin's own tests, as its author runs them: ``pip install -e '.[test]' && pytest``."""

from __future__ import annotations

from hypothesis import strategies as st
from pipeflow_hash import Hash, plugin

from pipeflow import Event, EventId, EventMeta, Failure, JsonObject, Pass, Problem
from pipeflow.testing import check_plugin, events_for


def test_hash_passes_the_pipeflow_contract() -> None:
    check_plugin(plugin, {"fields": ["user.email"], "salt": "k", "target": "_id"}, max_examples=50)


def test_hash_passes_the_contract_on_pii_shaped_values() -> None:
    config: JsonObject = {"fields": ["user.email", "user.id"]}
    values = st.emails() | st.integers()
    check_plugin(plugin, config, max_examples=50, events=events_for(config, values=values))


def test_the_factory_returns_the_function() -> None:
    fn = plugin({"fields": ["n"], "algorithm": "md5"}).unwrap()
    assert isinstance(fn, Hash)
    event = Event(EventId("01A"), EventMeta("app", 0.0), {"n": 42})
    assert fn(event) == Pass(event.with_field("n", "a1d0c6e83f027327d8461063f4ac58a6"))


def test_a_bad_field_path_is_a_problem_at_its_place() -> None:
    assert plugin({"fields": ["ok", "a..b"]}) == Failure((Problem("fields[1]", "not a field path: 'a..b'"),))
    assert plugin({"fields": ["tags[0]"], "target": "_h"}) == Failure(
        (Problem("fields[0]", "'tags[0]' ends in a list index: a target suffix needs a name"),)
    )
