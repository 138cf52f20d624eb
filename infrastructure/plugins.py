"""Plugin loading: the ``pipeflow.functions`` entry-point group read once into a plain mapping."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, final

from infrastructure.functions.base import FunctionPlugin

GROUP = "pipeflow.functions"


@final
@dataclass(frozen=True, slots=True)
class PluginLoadError:
    """An entry point that could not be loaded or is not a ``FunctionPlugin``."""

    name: str
    reason: str


def load_function_plugins() -> tuple[dict[str, FunctionPlugin[Any]], list[PluginLoadError]]:
    """Every installed function plugin by name, and the ones that failed to load (never raises)."""
    plugins: dict[str, FunctionPlugin[Any]] = {}
    errors: list[PluginLoadError] = []
    for ep in entry_points(group=GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not take the engine down
            errors.append(PluginLoadError(ep.name, f"cannot import {ep.value}: {exc}"))
            continue
        if not isinstance(obj, FunctionPlugin):
            errors.append(PluginLoadError(ep.name, f"{ep.value} is not a FunctionPlugin"))
            continue
        plugins[ep.name] = obj
    return plugins, errors


def plugin_distributions() -> dict[str, str]:
    """For each registered function name, the distribution that registers it."""
    return {ep.name: ep.dist.name if ep.dist is not None else "?" for ep in entry_points(group=GROUP)}


__all__ = ["GROUP", "PluginLoadError", "load_function_plugins", "plugin_distributions"]
