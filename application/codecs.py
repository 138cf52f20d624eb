"""JSON codecs for the stored shapes of pipelines and route tables (the inverse of ``to_json``).

Adapters store ``Pipeline.to_json()`` and ``RouteTable.to_json()`` documents and read them back
through these; a document that does not fit is a ``Failure`` with every problem, never raised.
Pipelines are built through the typestate builder (``build_pipeline``), so a document without a
function does not decode.
"""

from __future__ import annotations

from collections.abc import Mapping

from returns.result import Failure, Result, Success

from pipeflow.application.outcomes import collect, to_result
from pipeflow.domain.errors import Problem, ValidationError
from pipeflow.domain.json import Json
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId, build_pipeline
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName

_COMMON = ("type", "filter", "disabled")


def function_spec_from_json(
    obj: Mapping[str, Json], where: str = ""
) -> Result[FunctionSpec, ValidationError]:
    """A function spec from the object a user writes (``type`` plus its own fields).

    >>> function_spec_from_json({"type": "mask", "field": "m", "disabled": True})
    <Success: FunctionSpec(type='mask', config={'field': 'm'}, filter=None, disabled=True)>
    >>> function_spec_from_json({"filter": 3}, "functions[1]")
    <Failure: functions[1].type: must be a non-empty string; functions[1].filter: must be a string>
    """
    found: list[Problem] = []
    kind, flt, disabled = obj.get("type"), obj.get("filter"), obj.get("disabled", False)
    if not isinstance(kind, str) or not kind:
        found.append(Problem(_at(where, "type"), "must be a non-empty string"))
    if flt is not None and not isinstance(flt, str):
        found.append(Problem(_at(where, "filter"), "must be a string"))
    if not isinstance(disabled, bool):
        found.append(Problem(_at(where, "disabled"), "must be true or false"))
    if found or not isinstance(kind, str) or not isinstance(disabled, bool):
        return Failure(ValidationError(tuple(found)))
    config = {k: v for k, v in obj.items() if k not in _COMMON}
    return Success(FunctionSpec(kind, config, flt if isinstance(flt, str) else None, disabled))


def pipeline_from_json(doc: Mapping[str, Json]) -> Result[Pipeline, ValidationError]:
    """A pipeline from its stored document (``id``, ``description``, ``version``, ``functions``).

    >>> doc = {"id": "p", "version": 2, "functions": [{"type": "drop"}]}
    >>> pipeline_from_json(doc).map(lambda p: (p.id, len(p.functions), p.version))
    <Success: ('p', 1, 2)>
    >>> pipeline_from_json({"id": "p", "version": 2, "functions": []})
    <Failure: functions: a pipeline needs at least one function>
    """
    found: list[Problem] = []
    pid, description, version, functions = (
        doc.get("id"),
        doc.get("description", ""),
        doc.get("version"),
        doc.get("functions"),
    )
    if not isinstance(pid, str):
        found.append(Problem("id", "must be a string"))
    if not isinstance(description, str):
        found.append(Problem("description", "must be a string"))
    if not isinstance(version, int) or isinstance(version, bool):
        found.append(Problem("version", "must be an integer"))
    specs: Result[tuple[FunctionSpec, ...], ValidationError] = (
        collect(_spec(item, f"functions[{i}]") for i, item in enumerate(functions))
        if isinstance(functions, list)
        else Failure(ValidationError((Problem("functions", "must be a list"),)))
    )
    found.extend(specs.swap().map(lambda e: e.problems).value_or(()))
    if found or not isinstance(pid, str) or not isinstance(description, str) or not isinstance(version, int):
        return Failure(ValidationError(tuple(found)))
    return specs.bind(lambda fs: to_result(build_pipeline(PipelineId(pid), fs, description, version)))


def route_from_json(obj: Json, where: str) -> Result[Route, ValidationError]:
    """A route from ``{"name", "filter", "pipeline"?, "sinks" or "sink", "final"?}``."""
    if not isinstance(obj, dict):
        return Failure(ValidationError((Problem(where, "must be an object"),)))
    found: list[Problem] = []
    name, flt, pipeline, final = (
        obj.get("name"),
        obj.get("filter", "true"),
        obj.get("pipeline"),
        obj.get("final", True),
    )
    sinks = obj.get("sinks", [obj["sink"]] if "sink" in obj else None)
    if not isinstance(name, str):
        found.append(Problem(_at(where, "name"), "must be a string"))
    if not isinstance(flt, str):
        found.append(Problem(_at(where, "filter"), "must be a string"))
    if pipeline is not None and not isinstance(pipeline, str):
        found.append(Problem(_at(where, "pipeline"), "must be a string"))
    if not isinstance(final, bool):
        found.append(Problem(_at(where, "final"), "must be true or false"))
    if not isinstance(sinks, list) or not all(isinstance(s, str) for s in sinks):
        found.append(Problem(_at(where, "sinks"), "must be a list of sink names"))
    if found or not isinstance(name, str) or not isinstance(flt, str) or not isinstance(final, bool):
        return Failure(ValidationError(tuple(found)))
    if not isinstance(sinks, list):
        return Failure(ValidationError(tuple(found)))
    return Success(
        Route(
            RouteId(name),
            flt,
            tuple(SinkName(str(s)) for s in sinks),
            PipelineId(pipeline) if isinstance(pipeline, str) else None,
            final,
        )
    )


def route_table_from_json(doc: Mapping[str, Json]) -> Result[RouteTable, ValidationError]:
    """A route table from its stored document (``version``, ``routes``)."""
    version, routes = doc.get("version"), doc.get("routes")
    if not isinstance(version, int) or isinstance(version, bool) or not isinstance(routes, list):
        return Failure(
            ValidationError((Problem("", "a route table needs an integer version and a list of routes"),))
        )
    parsed = collect(route_from_json(item, f"routes[{i}]") for i, item in enumerate(routes))
    return parsed.map(lambda rs: RouteTable(rs, version))


def _spec(item: Json, where: str) -> Result[FunctionSpec, ValidationError]:
    if not isinstance(item, dict):
        return Failure(ValidationError((Problem(where, "must be an object"),)))
    return function_spec_from_json(item, where)


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


__all__ = ["function_spec_from_json", "pipeline_from_json", "route_from_json", "route_table_from_json"]
