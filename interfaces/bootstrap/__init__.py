"""The composition root: the one place that builds real adapters and wires them together.

``bootstrap()`` takes optional fakes (clock, ids, streams, plugins) so tests can drive the real
wiring; the CLI (``interfaces.cli``) calls it once and only translates. This package is the only
code that imports ``pipeflow.infrastructure`` (an import contract holds it): ``adapters`` maps
config to sources and sinks, ``extras`` checks their optional extras, ``state`` opens the state
database, ``runtime`` runs ``run``'s topology, ``serve``/``engine``/``reload``/``database``
(``database_postgres``) run ``serve``, ``console`` backs the web console's endpoints, ``dlq`` the
dead letters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, final

import anyio
from returns.result import Failure, Result

from pipeflow.domain.errors import Problem, Problems
from pipeflow.domain.events import Event, EventMeta
from pipeflow.domain.filter.batch_time import batch_time
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.ports import Clock, FunctionFactory, IdFactory, PipelineFn
from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.plugins import PluginLoadError, lazy_function_plugins

if TYPE_CHECKING:  # each command imports what it uses when it runs (start-up time: docs/performance.md)
    from pipeflow.application.config_tests import CaseResult
    from pipeflow.infrastructure.functions.base import FunctionPlugin
    from pipeflow.interfaces.bootstrap.runtime import RunOutcome
    from pipeflow.interfaces.config.loader import LoadedConfig


@final
@dataclass(slots=True)
class App:
    """Everything the interfaces need, built once: plugins, clock, ids, standard streams."""

    plugins: Mapping[str, FunctionPlugin[Any]]
    plugin_errors: list[PluginLoadError]
    clock: Clock
    ids: IdFactory
    stdin: BinaryIO | None = None
    stdout: BinaryIO | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def factories(self) -> Mapping[str, FunctionFactory]:
        """Function factories by type name (every plugin is one); a plugin that failed to load is
        a factory that says so, where the config names its type."""
        return _Factories(self.plugins, self.plugin_errors)

    @property
    def path_fields(self) -> Mapping[str, tuple[str, ...]]:
        """Per function type, the config fields that are file paths (made relative to the config)."""
        return _PathFields(self.plugins)

    def load(self, path: str) -> Result[LoadedConfig, Problems]:
        """Load and validate a config file: the loaded config, or every problem in it (a source or
        sink whose optional extra is not installed included)."""
        from pipeflow.interfaces.bootstrap.extras import check_extras
        from pipeflow.interfaces.config.loader import load_config

        return load_config(path, self.factories, self.path_fields).bind(check_extras)

    def describe_plugins(self) -> dict[str, Any]:
        """Every installed function with its distribution, summary and config schema; broken ones."""
        from pipeflow.infrastructure.plugins import plugin_distributions

        dists = plugin_distributions()
        functions = [
            {
                "name": name,
                "distribution": dists.get(name, "?"),
                "summary": plugin.summary,
                "schema": plugin.schema(),
                "required": plugin.schema().get("required", []),
            }
            for name, plugin in sorted(self.plugins.items())
        ]
        errors = [{"name": e.name, "reason": e.reason} for e in self.plugin_errors]
        return {"functions": functions, "errors": errors}

    def run_config_tests(self, loaded: LoadedConfig) -> list[CaseResult]:
        """Run the config's ``tests:`` cases through its router, each a batch at the clock's time."""
        from pipeflow.application.config_tests import ConfigTest, run_config_test

        cases = [
            ConfigTest(
                c.name,
                tuple(c.input) if isinstance(c.input, list) else (c.input,),
                c.expect,
            )
            for c in loaded.config.tests
        ]
        results = []
        for case in cases:
            with batch_time(self.clock.now()):  # what ``now()`` gives in the case's expressions
                results.append(run_config_test(loaded.router, case))
        return results

    def explain(self, loaded: LoadedConfig, fields: JsonObject) -> dict[str, Json]:
        """The trace of one event through the config's routes, as JSON (``now()``: the clock's time)."""
        at = self.clock.now()
        event = Event(self.ids.new_id(), EventMeta("explain", at), fields)
        with batch_time(at):
            return loaded.router.explain(event).to_json()

    async def run(
        self, loaded: LoadedConfig, workers: int = 1, *, handle_signals: bool = True, progress: bool = False
    ) -> RunOutcome:
        """Run the topology of a loaded config to completion."""
        from pipeflow.interfaces.bootstrap.runtime import RunOutcome, run_topology
        from pipeflow.interfaces.bootstrap.state import make_state_dir

        problem = make_state_dir(loaded.config.state_dir)
        if problem is not None:
            from pipeflow.infrastructure.actors.stats import RunStats

            return RunOutcome(RunStats(), [problem])
        return await run_topology(
            loaded,
            clock=self.clock,
            ids=self.ids,
            stdin=self.stdin,
            stdout=self.stdout,
            handle_signals=handle_signals,
            workers=workers,
            progress=progress,
        )


@final
class _PathFields(Mapping[str, tuple[str, ...]]):
    """Path fields per function type, read from a plugin only when its type is looked up."""

    def __init__(self, plugins: Mapping[str, FunctionPlugin[Any]]) -> None:
        self._plugins = plugins

    def __getitem__(self, name: str) -> tuple[str, ...]:
        return self._plugins[name].path_fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._plugins)

    def __len__(self) -> int:
        return len(self._plugins)

    def __bool__(self) -> bool:
        return True  # ``len`` would import every plugin; an empty one reads like ``{}`` anyway


@final
class _Factories(Mapping[str, FunctionFactory]):
    """The plugins as factories; a name whose plugin failed to load maps to ``_Unloadable``.

    Plugins load when first looked up, so a load error is known only after the lookup that met it.
    """

    def __init__(self, plugins: Mapping[str, FunctionPlugin[Any]], errors: list[PluginLoadError]) -> None:
        self._plugins = plugins
        self._errors = errors

    def __getitem__(self, name: str) -> FunctionFactory:
        try:
            return self._plugins[name]
        except KeyError:
            reason = next((e.reason for e in reversed(self._errors) if e.name == name), None)
            if reason is None:
                raise
            return _Unloadable(name, reason)

    def __iter__(self) -> Iterator[str]:
        return iter(self._plugins)

    def __len__(self) -> int:
        return len(self._plugins)


@final
@dataclass(frozen=True, slots=True)
class _Unloadable:
    """The factory of a plugin that failed to load: every config naming it gets the reason."""

    name: str
    reason: str

    def __call__(self, config: Mapping[str, Json], /) -> Result[PipelineFn, Problems]:
        message = f"unknown function type {self.name!r} (plugin failed to load: {self.reason})"
        return Failure((Problem("type", message),))


def bootstrap(
    *,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
    plugins: Mapping[str, FunctionPlugin[Any]] | None = None,
) -> App:
    """Build the app with real adapters, or with the fakes given.

    Installed plugins are imported when a config first names their type (``LazyPlugins``); their
    load errors are listed as they happen (listing every plugin loads them all).
    """
    errors: list[PluginLoadError] = []
    if plugins is None:
        lazy = lazy_function_plugins()
        plugins, errors = lazy, lazy.errors
    return App(plugins, errors, clock or SystemClock(), ids or UlidFactory(), stdin, stdout)


def run_sync(app: App, loaded: LoadedConfig, workers: int = 1) -> RunOutcome:
    """Run from synchronous code (the CLI)."""
    return anyio.run(app.run, loaded, workers)


__all__ = ["App", "bootstrap", "run_sync"]
