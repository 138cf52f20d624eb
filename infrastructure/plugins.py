"""Plugin loading: the ``pipeflow.functions`` entry-point group, each plugin imported when first named.

``lazy_function_plugins()`` reads the group's names only; a plugin's module is imported the first
time its name is looked up (a config names a handful of the installed functions, and importing
every one of them, with its config model, was a large part of ``pipeflow run``'s start-up).
Iterating the mapping loads them all. ``load_function_plugins()`` loads everything at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, final

from pipeflow.infrastructure.functions.base import FunctionPlugin

GROUP = "pipeflow.functions"


@final
@dataclass(frozen=True, slots=True)
class PluginLoadError:
    """An entry point that could not be loaded or is not a ``FunctionPlugin``."""

    name: str
    reason: str


@final
class LazyPlugins(Mapping[str, FunctionPlugin[Any]]):
    """Function plugins by name, each imported on first lookup; failures go to ``errors``.

    A name whose plugin fails to load is absent (as if not installed) and its reason is in
    ``errors``; with several entry points of one name the last that loads wins.
    """

    def __init__(self, points: Mapping[str, list[EntryPoint]]) -> None:
        self._points = dict(points)
        self._loaded: dict[str, FunctionPlugin[Any]] = {}
        self._tried: set[str] = set()
        self.errors: list[PluginLoadError] = []

    def __getitem__(self, name: str) -> FunctionPlugin[Any]:
        if name not in self._tried:
            self._load(name)
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        self.load_all()
        return iter(list(self._loaded))

    def __len__(self) -> int:
        self.load_all()
        return len(self._loaded)

    def load_all(self) -> None:
        """Import every plugin not imported yet (in entry-point order)."""
        for name in self._points:
            if name not in self._tried:
                self._load(name)

    def _load(self, name: str) -> None:
        self._tried.add(name)
        for ep in self._points.get(name, ()):
            try:
                obj = ep.load()
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not take the engine down
                self.errors.append(PluginLoadError(ep.name, f"cannot import {ep.value}: {exc}"))
                continue
            if not isinstance(obj, FunctionPlugin):
                self.errors.append(PluginLoadError(ep.name, f"{ep.value} is not a FunctionPlugin"))
                continue
            self._loaded[name] = obj


def lazy_function_plugins() -> LazyPlugins:
    """Every installed function plugin by name, imported when first looked up (never raises)."""
    points: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=GROUP):
        points.setdefault(ep.name, []).append(ep)
    return LazyPlugins(points)


def load_function_plugins() -> tuple[dict[str, FunctionPlugin[Any]], list[PluginLoadError]]:
    """Every installed function plugin by name, and the ones that failed to load (never raises)."""
    plugins = lazy_function_plugins()
    plugins.load_all()
    return dict(plugins), plugins.errors


def plugin_distributions() -> dict[str, str]:
    """For each registered function name, the distribution that registers it."""
    return {ep.name: ep.dist.name if ep.dist is not None else "?" for ep in entry_points(group=GROUP)}


__all__ = [
    "GROUP",
    "LazyPlugins",
    "PluginLoadError",
    "lazy_function_plugins",
    "load_function_plugins",
    "plugin_distributions",
]
