"""``FunctionPlugin``: a function's config model plus its factory, the unit a plugin registers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, final

import pydantic

from pipeflow.domain.json import Json
from pipeflow.domain.ports import PipelineFn

C = TypeVar("C", bound=pydantic.BaseModel)


class FunctionConfig(pydantic.BaseModel):
    """Base for function config models: frozen, unknown keys refused."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")


class ConfigProblem(ValueError):
    """Raised by a factory for a config problem pydantic cannot see (a bad regex, a missing file)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


@final
@dataclass(frozen=True, slots=True)
class FunctionPlugin(Generic[C]):
    """What a distribution registers under ``pipeflow.functions``: name, config model, factory."""

    name: str
    model: type[C]
    factory: Callable[[C], PipelineFn]
    summary: str = ""

    def __call__(self, config: Mapping[str, Json], /) -> PipelineFn | Sequence[tuple[str, str]]:
        """Validate ``config`` with the model and build the function, or list the problems."""
        try:
            parsed = self.model.model_validate(dict(config))
        except pydantic.ValidationError as exc:
            return [(_loc(e["loc"]), e["msg"]) for e in exc.errors()]
        try:
            return self.factory(parsed)
        except ConfigProblem as exc:
            return [(exc.where, exc.message)]

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the function's config."""
        return self.model.model_json_schema()


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


__all__ = ["ConfigProblem", "FunctionConfig", "FunctionPlugin"]
