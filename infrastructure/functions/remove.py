"""``remove``: delete fields (paths allowed); absent fields are ignored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

import pydantic
from returns.result import Result

from pipeflow.domain.errors import Problems
from pipeflow.domain.events import Event
from pipeflow.domain.paths import Path
from pipeflow.domain.results import FnResult, Pass
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import collect, field_path


class RemoveConfig(FunctionConfig):
    """Config of ``remove``: the field paths to delete."""

    fields: list[str] = pydantic.Field(min_length=1, description="The field paths to delete.")


@final
@dataclass(frozen=True, slots=True)
class Remove:
    """Removes each path in order; a path that is absent (or runs through a scalar) changes nothing."""

    paths: tuple[Path, ...]

    def __call__(self, event: Event, /) -> FnResult:
        """Remove the fields."""
        for path in self.paths:
            event = event.without_field(path)
        return Pass(event)


def build(config: RemoveConfig) -> Result[Remove, Problems]:
    """Build ``remove``; every path is checked here."""
    return collect(field_path(text, f"fields[{i}]") for i, text in enumerate(config.fields)).map(Remove)


plugin = FunctionPlugin("remove", RemoveConfig, build, "Remove fields.")

__all__ = ["Remove", "RemoveConfig", "build", "plugin"]
