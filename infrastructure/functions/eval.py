"""``eval``: set fields to the values of expressions (``field`` + ``expression``, or a ``fields`` map)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Self, TypeAlias, final

import pydantic
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problem, Problems, ValidationError
from pipeflow.domain.events import Event
from pipeflow.domain.filter import compile_expression
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import Path
from pipeflow.domain.results import FnResult, Pass
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import collect, field_path


class EvalConfig(FunctionConfig):
    """Config of ``eval``: one ``field`` with its ``expression``, or ``fields`` (field to expression)."""

    field: str | None = pydantic.Field(
        None, description="The field path set to `expression`'s value (with `expression`; or use `fields`)."
    )
    expression: str | None = pydantic.Field(
        None, description="The expression whose value is written to `field`."
    )
    fields: dict[str, str] | None = pydantic.Field(
        None, description="Several fields at once: field path to the expression giving its value."
    )

    @pydantic.model_validator(mode="after")
    def _one_form(self) -> Self:
        single = self.field is not None or self.expression is not None
        if single == (self.fields is not None):
            raise ValueError("give either 'field' and 'expression', or 'fields'")
        if single and (self.field is None or self.expression is None):
            raise ValueError("'field' and 'expression' go together")
        return self


@final
@dataclass(frozen=True, slots=True)
class Eval:
    """Sets each path to its expression's value, in order: a later expression sees earlier results."""

    assignments: tuple[tuple[Path, Callable[[JsonObject], Json]], ...]

    def __call__(self, event: Event, /) -> FnResult:
        """Evaluate and set every field (expressions never raise; a misfit value is null)."""
        for path, value in self.assignments:
            event = event.with_field(path, value(event.fields))
        return Pass(event)


_Assignment: TypeAlias = tuple[Path, Callable[[JsonObject], Json]]  # a path and its expression


def _expression(text: str, where: str) -> Result[Callable[[JsonObject], Json], Problems]:
    compiled = compile_expression(text)
    if isinstance(compiled, ValidationError):
        return Failure((Problem(where, str(compiled)),))
    return Success(compiled)


def _assignment(name: str, text: str, *, in_map: bool) -> Result[_Assignment, Problems]:
    return Result.do(
        (path, value)
        for value in _expression(text, f"fields.{name}" if in_map else "expression")
        for path in field_path(name, f"fields.{name}" if in_map else "field")
    )


def build(config: EvalConfig) -> Result[Eval, Problems]:
    """Compile every expression once (a bad one is a config problem naming where it is)."""
    in_map = config.fields is not None
    pairs = config.fields if config.fields is not None else {config.field or "": config.expression or ""}
    return collect(_assignment(name, text, in_map=in_map) for name, text in pairs.items()).map(Eval)


plugin = FunctionPlugin("eval", EvalConfig, build, "Set fields to the values of expressions.")

__all__ = ["Eval", "EvalConfig", "build", "plugin"]
