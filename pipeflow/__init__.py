"""pipeflow: the SDK for plugin authors (spec §15).

Installing pipeflow adds this one import name. A ``PipelineFn`` plugin imports all it needs from
here; the layers live under it (``pipeflow.domain``, ``pipeflow.application``,
``pipeflow.infrastructure``, ``pipeflow.interfaces``) and are pipeflow's own business.
"""

from __future__ import annotations

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import Path, parse_path
from pipeflow.domain.ports import PipelineFn, Stateful
from pipeflow.domain.results import Drop, FnResult, Pass, Split
from pipeflow.infrastructure.functions.base import ConfigProblem, FunctionConfig, FunctionPlugin

__all__ = [
    "ConfigProblem",
    "Drop",
    "Event",
    "EventId",
    "EventMeta",
    "FnResult",
    "FunctionConfig",
    "FunctionPlugin",
    "Json",
    "JsonObject",
    "Pass",
    "Path",
    "PipelineFn",
    "Split",
    "Stateful",
    "parse_path",
]
