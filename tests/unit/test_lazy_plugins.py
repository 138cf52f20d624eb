"""Plugins are imported when first named: a lookup imports that plugin only; failures are errors."""

from __future__ import annotations

import os
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from pipeflow.infrastructure.functions import drop
from pipeflow.infrastructure.plugins import (
    LazyPlugins,
    PluginLoadError,
    load_function_plugins,
    quiet_pydantic_plugins,
)
from pipeflow.interfaces.bootstrap import App
from tests.fakes import CountingIds, FakeClock

GROUP = "pipeflow.functions"


def _point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name, value, GROUP)


def test_a_lookup_imports_only_the_plugin_named() -> None:
    sys.modules.pop("tests.unit.fake_plugin_never_imported", None)
    plugins = LazyPlugins(
        {
            "drop": [_point("drop", "pipeflow.infrastructure.functions.drop:plugin")],
            "other": [_point("other", "tests.unit.fake_plugin_never_imported:plugin")],
        }
    )
    assert plugins.get("drop") is drop.plugin
    assert "tests.unit.fake_plugin_never_imported" not in sys.modules
    assert plugins.errors == []


def test_a_broken_plugin_is_absent_and_its_reason_recorded_when_named() -> None:
    plugins = LazyPlugins(
        {
            "gone": [_point("gone", "tests.unit.no_such_module_here:plugin")],
            "odd": [_point("odd", "pipeflow.infrastructure.functions.drop:DropEvents")],
        }
    )
    assert plugins.get("gone") is None
    assert [e.name for e in plugins.errors] == ["gone"]
    assert "odd" not in plugins
    assert plugins.errors[1] == PluginLoadError(
        "odd", "pipeflow.infrastructure.functions.drop:DropEvents is not a FunctionPlugin"
    )
    assert plugins.get("gone") is None
    assert len(plugins.errors) == 2  # tried once


def test_iterating_loads_every_plugin_and_the_last_that_loads_wins() -> None:
    plugins = LazyPlugins(
        {
            "drop": [
                _point("drop", "pipeflow.infrastructure.functions.drop:plugin"),
                _point("drop", "tests.unit.no_such_module_here:plugin"),
            ],
            "broken": [_point("broken", "tests.unit.no_such_module_here:plugin")],
        }
    )
    assert dict(plugins) == {"drop": drop.plugin}
    assert len(plugins) == 1
    assert sorted(e.name for e in plugins.errors) == ["broken", "drop"]


def test_the_installed_builtins_load_eagerly_as_before() -> None:
    plugins, errors = load_function_plugins()
    assert plugins["drop"] is drop.plugin
    assert not [e for e in errors if e.name in {"drop", "mask", "eval", "regex_extract"}]


def test_a_config_naming_a_broken_plugin_says_why_it_failed_to_load(tmp_path: Path) -> None:
    lazy = LazyPlugins(
        {
            "drop": [_point("drop", "pipeflow.infrastructure.functions.drop:plugin")],
            "gone": [_point("gone", "tests.unit.no_such_module_here:plugin")],
        }
    )
    app = App(lazy, lazy.errors, FakeClock(), CountingIds())
    config = tmp_path / "pipeflow.yaml"
    config.write_text(
        "sources: {app: {type: stdin}}\n"
        "pipelines: {p: {functions: [{type: drop}, {type: gone}, {type: nope}]}}\n"
        "sinks: {out: {type: stdout}}\n"
        "routes: [{name: all, pipeline: p, sink: out}]\n",
        encoding="utf-8",
    )
    problems = app.load(str(config)).failure()
    assert [(p.where, p.message) for p in problems] == [
        (
            "pipelines.p.functions[1].type",
            (
                "unknown function type 'gone' (plugin failed to load: cannot import "
                "tests.unit.no_such_module_here:plugin: No module named 'tests.unit.no_such_module_here')"
            ),
        ),
        ("pipelines.p.functions[2].type", "unknown function type 'nope'"),
    ]
    assert [p.position.line if p.position else None for p in problems] == [2, 2]


def test_pydantic_is_told_it_has_no_plugins_only_when_none_is_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    plugin = EntryPoint("logfire", "logfire.integrations.pydantic:plugin", "pydantic")
    assert not quiet_pydantic_plugins([plugin])
    assert "PYDANTIC_DISABLE_PLUGINS" not in os.environ
    assert quiet_pydantic_plugins([])
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "some_plugin")
    assert not quiet_pydantic_plugins([])
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "some_plugin"  # the user's choice stays
