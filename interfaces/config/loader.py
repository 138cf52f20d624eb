"""Loading a config file: YAML → pydantic models → domain values, with every problem located.

Nothing here raises for a user's mistake: the result is ``Success(LoadedConfig)`` or
``Failure(problems)``, every ``Problem`` with its line and column where the YAML has them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, final

import pydantic
from returns.result import Failure, Result, Success

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.errors import Problem, Problems, ValidationError
from pipeflow.domain.filter import compile_filter
from pipeflow.domain.json import Json
from pipeflow.domain.pipeline import (
    PIPELINE_ID_RULE,
    FunctionSpec,
    Pipeline,
    PipelineId,
    build_pipeline,
    is_pipeline_id,
)
from pipeflow.domain.ports import FunctionFactory
from pipeflow.domain.router import Router, build_router
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName, repeated_sinks, twice
from pipeflow.interfaces.config.base import ADDRESS
from pipeflow.interfaces.config.file_sink import FileSink
from pipeflow.interfaces.config.models import Config, FunctionConfig, PipelineConfig, RouteConfig
from pipeflow.interfaces.config.problems import located, parse_loc
from pipeflow.interfaces.config.yaml_source import Loc, YamlDocument, YamlSyntaxError, load_yaml


@final
@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """A valid config: the models (paths made absolute) and the domain values built from them."""

    path: str
    config: Config
    pipelines: dict[PipelineId, Pipeline]
    compiled: dict[PipelineId, CompiledPipeline]
    routes: RouteTable
    router: Router
    document: YamlDocument | None = field(default=None, compare=False)


def load_config(
    path: str,
    factories: Mapping[str, FunctionFactory],
    path_fields: Mapping[str, tuple[str, ...]] | None = None,
) -> Result[LoadedConfig, Problems]:
    """Read, validate and build the config at ``path``; every problem is returned, none raised."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        return Failure((Problem("", f"cannot read config: {exc.strerror or exc}"),))
    except UnicodeDecodeError as exc:
        return Failure((Problem("", f"config is not UTF-8 text: {exc.reason}"),))
    return load_config_text(text, path, factories, path_fields or {})


def load_config_text(
    text: str,
    path: str,
    factories: Mapping[str, FunctionFactory],
    path_fields: Mapping[str, tuple[str, ...]],
) -> Result[LoadedConfig, Problems]:
    """Like ``load_config`` for text already read (``path`` names it and anchors relative paths)."""
    try:
        doc = load_yaml(text)
    except YamlSyntaxError as exc:
        return Failure((Problem("", f"invalid YAML: {exc.message}", exc.position),))
    if not isinstance(doc.data, dict):
        return Failure((located(doc, (), "the config must be a mapping with sources, sinks and routes"),))
    base = os.path.dirname(os.path.abspath(path))
    try:
        config = Config.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        found = [located(doc, e["loc"], _message(e)) for e in exc.errors()]
        # A schema mistake must not hide the others: check what did parse, part by part.
        found.extend(_partial_problems(doc, base, factories, path_fields))
        return Failure(_in_file_order(found))
    config = _absolute_paths(config, base)
    pipelines, compiled, problems = _compile_pipelines(doc, config.pipelines, base, factories, path_fields)
    problems.extend(_check_sinks(config, doc))
    problems.extend(
        located(doc, ("tests", i, "expect", sink), f"unknown sink {sink!r}")
        for i, case in enumerate(config.tests)
        for sink in case.expect
        if sink not in config.sinks
    )
    table = RouteTable(
        tuple(
            Route(
                RouteId(r.name),
                r.filter,
                tuple(SinkName(s) for s in r.sink_names()),
                PipelineId(r.pipeline) if r.pipeline is not None else None,
                r.final,
            )
            for r in config.routes
        )
    )
    router = build_router(table, compiled)
    if isinstance(router, ValidationError):
        problems.extend(
            located(doc, parse_loc(p.where), p.message)
            for p in router.problems
            # a pipeline that exists but failed to compile has its own problems already
            if not (
                p.where.endswith(".pipeline")
                and p.message.startswith("unknown pipeline")
                and _route_pipeline(config, p.where) in config.pipelines
            )
        )
    if problems or isinstance(router, ValidationError):
        return Failure(_in_file_order(problems))
    return Success(LoadedConfig(path, config, pipelines, compiled, table, router, doc))


def _compile_pipelines(
    doc: YamlDocument,
    configs: Mapping[str, PipelineConfig],
    base: str,
    factories: Mapping[str, FunctionFactory],
    path_fields: Mapping[str, tuple[str, ...]],
) -> tuple[dict[PipelineId, Pipeline], dict[PipelineId, CompiledPipeline], list[Problem]]:
    pipelines: dict[PipelineId, Pipeline] = {}
    compiled: dict[PipelineId, CompiledPipeline] = {}
    problems: list[Problem] = []
    for name, pc in configs.items():
        if not is_pipeline_id(name):  # serve seeds it as a pipeline of that id
            problems.append(located(doc, ("pipelines", name), f"a pipeline name must be {PIPELINE_ID_RULE}"))
        pid = PipelineId(name)
        pipeline = build_pipeline(pid, _specs(pc, base, path_fields), pc.description)
        built = pipeline if isinstance(pipeline, ValidationError) else compile_pipeline(pipeline, factories)
        if isinstance(pipeline, Pipeline):
            pipelines[pid] = pipeline
        if isinstance(built, ValidationError):
            problems.extend(
                located(doc, ("pipelines", name, *parse_loc(p.where)), p.message) for p in built.problems
            )
        else:
            compiled[pid] = built
    return pipelines, compiled, problems


def _partial_problems(
    doc: YamlDocument,
    base: str,
    factories: Mapping[str, FunctionFactory],
    path_fields: Mapping[str, tuple[str, ...]],
) -> list[Problem]:
    """The semantic problems of the sections that parsed on their own (the rest is reported already)."""
    data = doc.data
    raw_pipelines = data.get("pipelines") if isinstance(data.get("pipelines"), dict) else {}
    raw_sinks = data.get("sinks") if isinstance(data.get("sinks"), dict) else {}
    raw_routes = data.get("routes") if isinstance(data.get("routes"), list) else []
    parsed: dict[str, PipelineConfig] = {}
    for name, raw in raw_pipelines.items():
        with contextlib.suppress(pydantic.ValidationError):
            parsed[str(name)] = PipelineConfig.model_validate(raw)
    problems = _compile_pipelines(doc, parsed, base, factories, path_fields)[2]
    for i, raw in enumerate(raw_routes):
        try:
            route = RouteConfig.model_validate(raw)
        except pydantic.ValidationError:
            continue
        matches = compile_filter(route.filter)
        if isinstance(matches, ValidationError):
            problems.extend(located(doc, ("routes", i, "filter"), p.message) for p in matches.problems)
        if route.pipeline is not None and route.pipeline not in raw_pipelines:
            problems.append(located(doc, ("routes", i, "pipeline"), f"unknown pipeline {route.pipeline!r}"))
        problems.extend(_route_sink_problems(doc, i, route, set(raw_sinks)))
    return problems


def _in_file_order(problems: list[Problem]) -> Problems:
    unique = dict.fromkeys(problems)
    return tuple(sorted(unique, key=lambda p: (p.position.line, p.position.column) if p.position else (0, 0)))


def _route_pipeline(config: Config, where: str) -> str | None:
    loc = parse_loc(where)
    return config.routes[int(loc[1])].pipeline if len(loc) > 1 and isinstance(loc[1], int) else None


def _specs(
    pc: PipelineConfig, base: str, path_fields: Mapping[str, tuple[str, ...]]
) -> tuple[FunctionSpec, ...]:
    return tuple(_spec(fc, base, path_fields.get(fc.type, ())) for fc in pc.functions)


def _spec(fc: FunctionConfig, base: str, path_fields: tuple[str, ...]) -> FunctionSpec:
    own: dict[str, Json] = fc.own_fields()
    for key in path_fields:
        value = own.get(key)
        if isinstance(value, str):
            own[key] = os.path.join(base, os.path.expanduser(value))
    return FunctionSpec(fc.type, own, fc.filter, fc.disabled)


def _check_sinks(config: Config, doc: YamlDocument) -> list[Problem]:
    names = set(config.sinks)
    found = [p for i, route in enumerate(config.routes) for p in _route_sink_problems(doc, i, route, names)]
    return found + _shared_files(config, doc)


def _route_sink_problems(doc: YamlDocument, i: int, route: RouteConfig, sinks: set[str]) -> list[Problem]:
    def at(j: int) -> Loc:
        return ("routes", i, "sink") if route.sink is not None else ("routes", i, "sinks", j)

    names = route.sink_names()
    problems = [located(doc, at(j), f"unknown sink {s!r}") for j, s in enumerate(names) if s not in sinks]
    problems += [located(doc, at(j), twice(s)) for j, s in repeated_sinks(names) if s in sinks]
    return problems  # put in file order with the others (_in_file_order)


def _shared_files(config: Config, doc: YamlDocument) -> list[Problem]:
    """File sinks (the dead-letter one too) sharing a file: each cuts its file back to what it
    wrote when a run restarts after a crash, which would cut what the other wrote."""
    named: list[tuple[Loc, str, object]] = [(("sinks", n, "path"), n, s) for n, s in config.sinks.items()]
    if config.dead_letter is not None:
        named.append((("dead_letter", "path"), "dead_letter", config.dead_letter))
    owners: dict[str, str] = {}
    problems: list[Problem] = []
    for loc, name, sink in named:
        if not isinstance(sink, FileSink):
            continue
        owner = owners.setdefault(os.path.normpath(sink.path), name)
        if owner != name:
            problems.append(
                located(doc, loc, f"the same file as sink {owner!r}: each file sink needs its own")
            )
    return problems


def _absolute_paths(config: Config, base: str) -> Config:
    def fix(model: Any) -> Any:
        if model is not None and isinstance(getattr(model, "path", None), str):
            return model.model_copy(update={"path": os.path.join(base, os.path.expanduser(model.path))})
        return model

    return config.model_copy(
        update={
            "state_dir": os.path.join(base, os.path.expanduser(config.state_dir)),
            "sources": {k: fix(v) for k, v in config.sources.items()},
            "sinks": {k: fix(v) for k, v in config.sinks.items()},
            "dead_letter": fix(config.dead_letter),
        }
    )


def _message(error: Any) -> str:
    msg = str(error["msg"])
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "union_tag_invalid":
        return msg.replace("Input tag", "type").replace(" found using 'type'", "")
    if error["type"] == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") == ADDRESS:
        return "expected host:port (or [v6 address]:port, :port), the port from 0 to 65535"
    return msg.removeprefix("Value error, ")


__all__ = ["LoadedConfig", "load_config", "load_config_text"]
