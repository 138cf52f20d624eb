"""Plugin loading: the ``pipeflow.functions`` entry-point group, each plugin imported when first named.

``lazy_function_plugins()`` reads the group's names only; a plugin's module is imported the first
time its name is looked up (a config names a handful of the installed functions, and importing
every one of them, with its config model, was a large part of ``pipeflow run``'s start-up).
Iterating the mapping loads them all. ``load_function_plugins()`` loads everything at once.

The same reading of the installed entry points tells pydantic when it has no plugins to look for
(``quiet_pydantic_plugins``), so that it does not read them all a second time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, final

if TYPE_CHECKING:  # imported by the first lookup: it builds a pydantic model (quiet_pydantic_plugins)
    from pipeflow.infrastructure.functions.base import FunctionPlugin

GROUP = "pipeflow.functions"
PYDANTIC_GROUP = "pydantic"
"""The entry-point group of pydantic's own plugins."""


@final
@dataclass(frozen=True, slots=True)
class PluginLoadError:
    """An entry point that could not be loaded or is not a ``FunctionPlugin``."""

    name: str
    reason: str


@final
class LazyPlugins(Mapping[str, "FunctionPlugin[Any]"]):
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
        from pipeflow.infrastructure.functions.base import FunctionPlugin

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
    """Every installed function plugin by name, imported when first looked up (never raises).

    The installed entry points are read once, for this group and pydantic's
    (``quiet_pydantic_plugins``).
    """
    installed = entry_points()
    quiet_pydantic_plugins(list(installed.select(group=PYDANTIC_GROUP)))
    points: dict[str, list[EntryPoint]] = {}
    for ep in installed.select(group=GROUP):
        points.setdefault(ep.name, []).append(ep)
    return LazyPlugins(points)


def quiet_pydantic_plugins(registered: list[EntryPoint]) -> bool:
    """When no distribution registers a pydantic plugin (``registered`` is empty), say so to
    pydantic with ``PYDANTIC_DISABLE_PLUGINS`` unless that is set already; whether it was set.

    pydantic reads every installed distribution's entry points when it builds its first model
    (~3-5 ms of every start-up here) and would find none; with the variable it finds none without
    reading them. With a pydantic plugin installed nothing changes. Processes started from this
    one inherit it: pipeflow starts only its worker pool, which sees the same distributions.
    """
    if registered or "PYDANTIC_DISABLE_PLUGINS" in os.environ:
        return False
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    return True


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
    "PYDANTIC_GROUP",
    "LazyPlugins",
    "PluginLoadError",
    "lazy_function_plugins",
    "load_function_plugins",
    "plugin_distributions",
    "quiet_pydantic_plugins",
]
