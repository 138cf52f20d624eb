"""The ``eval`` and ``drop`` functions, alone and with the common ``filter``."""

from __future__ import annotations

from returns.result import Failure

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.errors import Problem, ValidationError
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.ports import FunctionFactory
from pipeflow.domain.results import Drop, Pass
from pipeflow.infrastructure.functions.drop import DropEvents
from pipeflow.infrastructure.functions.drop import plugin as drop
from pipeflow.infrastructure.functions.eval import Eval
from pipeflow.infrastructure.functions.eval import plugin as eval_

FACTORIES: dict[str, FunctionFactory] = {"drop": drop, "eval": eval_}


def ev(**fields: object) -> Event:
    return Event(EventId("01E"), EventMeta("t", 0.0), dict(fields))  # type: ignore[arg-type]


def run(*specs: FunctionSpec) -> CompiledPipeline | ValidationError:
    return compile_pipeline(Pipeline(PipelineId("p"), specs), FACTORIES)


def test_eval_sets_one_field() -> None:
    built = eval_({"field": "half", "expression": "status / 2"})
    fn = built.value_or(None)
    assert isinstance(fn, Eval), built
    assert fn(ev(status=7)) == Pass(ev(status=7, half=3.5))


def test_eval_fields_run_in_order_and_set_nested_paths() -> None:
    built = eval_({"fields": {"a": "1", "b": "a + 1", "user.name": 'lower("ANN")', "x": "missing"}})
    fn = built.value_or(None)
    assert isinstance(fn, Eval), built
    out = fn(ev(user={"id": 1}))
    assert out == Pass(ev(user={"id": 1, "name": "ann"}, a=1, b=2, x=None))


def test_eval_keeps_the_input_unchanged() -> None:
    fn = eval_({"field": "level", "expression": "upper(level)"}).value_or(None)
    assert isinstance(fn, Eval)
    e = ev(level="info")
    assert fn(e) == Pass(ev(level="INFO"))
    assert e.fields == {"level": "info"}


def test_eval_config_problems_are_located() -> None:
    assert eval_({"field": "x", "expression": "1 +"}) == Failure(
        (Problem("expression", "line 1, column 4: expected expression, found end of input"),)
    )
    assert eval_({"fields": {"ok": "1", "bad": "nope(1)"}}).failure()[0].where == "fields.bad"
    assert eval_({"fields": {"a..b": "1", "b": "1"}}).failure()[0].where == "fields.a..b"
    assert isinstance(eval_({"field": "x"}), Failure)
    assert isinstance(eval_({"field": "x", "expression": "1", "fields": {}}), Failure)
    assert isinstance(eval_({}), Failure)


def test_drop_drops_everything_with_a_reason() -> None:
    fn = drop({}).value_or(None)
    assert isinstance(fn, DropEvents)
    assert fn(ev(a=1)) == Drop("dropped by a drop function")
    assert drop({"extra": 1}) != []


def test_drop_with_a_filter_drops_only_matching_events() -> None:
    p = run(FunctionSpec("drop", filter='level == "debug"'))
    assert isinstance(p, CompiledPipeline)
    out = p.process_batch([ev(level="debug"), ev(level="info"), ev()])
    assert [e.fields for e in out.outputs] == [{"level": "info"}, {}]
    assert [d.reason for d in out.dropped] == ['dropped by a drop function (filter: level == "debug")']


def test_eval_with_a_filter_applies_only_where_it_matches() -> None:
    p = run(FunctionSpec("eval", {"field": "hot", "expression": "true"}, filter="status >= 500"))
    assert isinstance(p, CompiledPipeline)
    out = p.process_batch([ev(status=503), ev(status="503"), ev()])
    assert [e.fields for e in out.outputs] == [{"status": 503, "hot": True}, {"status": "503"}, {}]


def test_a_bad_function_filter_is_a_located_problem() -> None:
    p = run(FunctionSpec("drop", filter="level =="))
    assert isinstance(p, ValidationError)
    assert p.problems[0].where == "functions[0].filter"
    assert "line 1, column 9" in p.problems[0].message
