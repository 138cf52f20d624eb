"""``FunctionPlugin``: a function's config model plus its factory, the unit a plugin registers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, final

import pydantic
from returns.result import Failure, Result

from pipeflow.domain.errors import Problem, Problems
from pipeflow.domain.json import Json
from pipeflow.domain.ports import PipelineFn


class FunctionConfig(pydantic.BaseModel):
    """Base for function config models: frozen, unknown keys refused.

    A model whose fields name files lists them in ``path_fields``: the config loader makes those
    values relative to the config file's folder, as it does for sources and sinks.
    """

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")
    path_fields: ClassVar[tuple[str, ...]] = ()


C = TypeVar("C", bound=FunctionConfig)


@final
@dataclass(frozen=True, slots=True)
class FunctionPlugin(Generic[C]):
    """What a distribution registers under ``pipeflow.functions``: name, config model, factory.

    The factory takes the validated config and returns ``Success(fn)``, or ``Failure(problems)``
    for what pydantic cannot see (a bad regex, a missing file), each ``Problem`` located relative
    to the function's config (``"pattern"``, ``"fields[0]"``).
    """

    name: str
    model: type[C]
    factory: Callable[[C], Result[PipelineFn, Problems]]
    summary: str = ""

    def __call__(self, config: Mapping[str, Json], /) -> Result[PipelineFn, Problems]:
        """Validate ``config`` with the model and build the function, or list the problems."""
        try:
            parsed = self.model.model_validate(dict(config))
        except pydantic.ValidationError as exc:
            return Failure(tuple(Problem(_loc(e["loc"]), e["msg"]) for e in exc.errors()))
        built = self.factory(parsed)
        if not isinstance(built, Result):  # a plugin's factory is third-party code: say what it did
            kind = type(built).__name__
            return Failure((Problem("", f"the {self.name!r} factory returned a {kind}, not a Result"),))
        return built

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the function's config."""
        return self.model.model_json_schema()

    @property
    def path_fields(self) -> tuple[str, ...]:
        """The config fields that name files (made relative to the config file by the loader)."""
        return self.model.path_fields


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


__all__ = ["FunctionConfig", "FunctionPlugin"]
