"""pipeflow: the SDK for plugin authors (spec §15).

Installing pipeflow adds this one import name, and a ``PipelineFn`` plugin imports all it needs
from here::

    from pipeflow import Event, FnResult, Failure, FunctionConfig, FunctionPlugin, Pass, Problem

A function is a callable ``Event -> FnResult`` (``Pass``, ``Split`` or ``Drop``; it raises
``FunctionFailed`` for an event it cannot handle). Its factory takes the validated
``FunctionConfig`` and returns ``Success(fn)`` or ``Failure((Problem(where, message), ...))``;
``FunctionPlugin(name, Config, factory, summary)`` is what the distribution registers under the
``pipeflow.functions`` entry-point group. ``pipeflow.testing.check_plugin`` (the extra
``pipeflow[testing]``) runs the contract suite every function passes.

The names load on first use (PEP 562), so importing ``pipeflow.domain...`` does not pay for
pydantic or returns. The layers under it (``pipeflow.domain``, ``pipeflow.application``,
``pipeflow.infrastructure``, ``pipeflow.interfaces``) are pipeflow's own business.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeflow.infrastructure.lazy_names import lazy_getattr

if TYPE_CHECKING:  # what mypy and IDEs see; at run time ``__getattr__`` imports the same names
    from returns.result import Failure, Result, Success

    from pipeflow.domain.errors import Problem, Problems
    from pipeflow.domain.events import Event, EventId, EventMeta
    from pipeflow.domain.json import Json, JsonObject
    from pipeflow.domain.paths import Path, parse_path
    from pipeflow.domain.ports import PipelineFn, Stateful
    from pipeflow.domain.results import Drop, FnResult, FunctionFailed, Pass, Split
    from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin

_HOMES: dict[str, tuple[str, ...]] = {
    "returns.result": ("Failure", "Result", "Success"),
    "pipeflow.domain.errors": ("Problem", "Problems"),
    "pipeflow.domain.events": ("Event", "EventId", "EventMeta"),
    "pipeflow.domain.json": ("Json", "JsonObject"),
    "pipeflow.domain.paths": ("Path", "parse_path"),
    "pipeflow.domain.ports": ("PipelineFn", "Stateful"),
    "pipeflow.domain.results": ("Drop", "FnResult", "FunctionFailed", "Pass", "Split"),
    "pipeflow.infrastructure.functions.base": ("FunctionConfig", "FunctionPlugin"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "Drop",
    "Event",
    "EventId",
    "EventMeta",
    "Failure",
    "FnResult",
    "FunctionConfig",
    "FunctionFailed",
    "FunctionPlugin",
    "Json",
    "JsonObject",
    "Pass",
    "Path",
    "PipelineFn",
    "Problem",
    "Problems",
    "Result",
    "Split",
    "Stateful",
    "Success",
    "parse_path",
]


if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any name as ``object``
    __getattr__ = lazy_getattr(__name__, _HOME_OF)


def __dir__() -> list[str]:
    """The SDK's names with the module's own attributes (submodules imported so far included)."""
    return sorted({*globals(), *__all__})
