"""The contract suite itself: each rule catches a function that breaks it."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problem, Problems
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json
from pipeflow.domain.ports import PipelineFn
from pipeflow.domain.results import Drop, FnResult, FunctionFailed, Pass, Split
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.testing import (
    check_plugin,
    config_paths,
    events_for,
    json_problem,
    json_values,
    same,
)


class FieldConfig(FunctionConfig):
    field: str = "message"


def plugin_of(fn: Callable[[Event], Any], model: type[FunctionConfig] = FieldConfig) -> FunctionPlugin[Any]:
    @dataclass(frozen=True)
    class Fn:
        def __call__(self, event: Event, /) -> FnResult:
            result: FnResult = fn(event)
            return result

    def build(config: FunctionConfig) -> Result[PipelineFn, Problems]:
        return Success(Fn())

    return FunctionPlugin("bad", model, build)


def mutates(event: Event) -> FnResult:
    event.fields["touched"] = True
    return Pass(event)


_counter = itertools.count()


def nondeterministic(event: Event) -> FnResult:
    return Pass(event.with_field("n", next(_counter)))


def raises(event: Event) -> FnResult:
    if isinstance(event.get("message"), str):
        raise ValueError("boom")
    return Pass(event)


def not_json(event: Event) -> FnResult:
    return Pass(event.with_field("t", (1, 2)))  # type: ignore[arg-type]


def not_a_result(event: Event) -> FnResult:
    return event  # type: ignore[return-value]


def same_ids(event: Event) -> FnResult:
    return Split((event, event.with_field("copy", True)))


# Small events keep shrinking a failure cheap: these tests show each rule fires, not the strategies.
SIMPLE = st.builds(
    lambda text: Event(EventId("01J"), EventMeta("t", 0.0), {"message": text, "tags": [1]}),
    st.text(max_size=3),
)


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (mutates, "changed its input"),
        (nondeterministic, "not deterministic"),
        (raises, "only FunctionFailed may escape"),
        (not_json, "not JSON-native"),
        (not_a_result, "not a Pass, Split or Drop"),
        (same_ids, "share ids"),
    ],
)
def test_each_rule_catches_its_breaker(fn: Callable[[Event], FnResult], message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_plugin(plugin_of(fn), {"field": "message"}, max_examples=30, events=SIMPLE)


def test_a_well_behaved_function_passes() -> None:
    def fine(event: Event) -> FnResult:
        if event.get("message") == "":
            raise FunctionFailed("empty")
        return Drop("no") if event.has("x") else Pass(event.with_field("seen", True))

    check_plugin(plugin_of(fine), {"field": "message"}, max_examples=30)


def test_a_config_that_does_not_build_is_named() -> None:
    with pytest.raises(AssertionError, match=r"does not build: field: Input should be a valid string"):
        check_plugin(plugin_of(lambda e: Pass(e)), {"field": 3})


def test_a_factory_problem_is_named() -> None:
    def build(config: FieldConfig) -> Result[PipelineFn, Problems]:
        return Failure((Problem("field", f"no such field: {config.field}"),))

    with pytest.raises(AssertionError, match=r"does not build: field: no such field: message"):
        check_plugin(FunctionPlugin("bad", FieldConfig, build), {"field": "message"})


def test_a_factory_that_returns_no_result_is_named() -> None:
    def build(config: FieldConfig) -> Result[PipelineFn, Problems]:
        return lambda event: Pass(event)  # type: ignore[return-value]  # the pre-Result contract

    with pytest.raises(
        AssertionError, match=r"does not build: <config>: the 'bad' factory returned a function"
    ):
        check_plugin(FunctionPlugin("bad", FieldConfig, build), {"field": "message"})


class LossyConfig(FunctionConfig):
    pattern: str = ""

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        return {"pattern": "other"}


def test_a_config_that_does_not_round_trip_is_caught() -> None:
    with pytest.raises(AssertionError, match="does not round-trip"):
        check_plugin(plugin_of(lambda e: Pass(e), LossyConfig), {"pattern": "x"})


def test_config_paths_are_the_paths_in_config_values() -> None:
    assert config_paths({"field": "a.b", "fields": ["c", "not a path"], "rate": 3}) == (("a", "b"), ("c",))


@given(events_for({"field": "message.text"}))
def test_generated_events_hold_json_native_fields(event: Event) -> None:
    assert json_problem(event.fields) is None


@given(json_values())
def test_same_is_reflexive_and_json_values_are_json(value: Json) -> None:
    assert same(value, value)
    assert json_problem(value) is None


@given(st.integers())
def test_same_tells_numbers_and_bools_apart(n: int) -> None:
    assert not same(n, float(n))
    assert not same([n], [bool(n)])


def test_events_for_fills_the_named_paths() -> None:
    seen: list[bool] = []

    @given(events_for({"field": "message"}))
    def collect(event: Event) -> None:
        seen.append(isinstance(event.get("message"), str))

    collect()
    assert any(seen)
