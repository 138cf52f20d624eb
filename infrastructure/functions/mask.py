"""``mask``: replace every match of a regex in a string field (``re.sub`` rules, ``\\1`` allowed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import final

import pydantic
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problem, Problems
from pipeflow.domain.events import Event
from pipeflow.domain.paths import Path
from pipeflow.domain.results import FnResult, Pass
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import compile_regex, field_path


class MaskConfig(FunctionConfig):
    """Config of ``mask``."""

    field: str = pydantic.Field(description="The string field to mask.")
    pattern: str = pydantic.Field(description="A regex; every match in the field is replaced.")
    replacement: str = pydantic.Field("<redacted>", description="The text each match is replaced with.")


@final
@dataclass(frozen=True, slots=True)
class Mask:
    """Replaces every match of ``regex`` in the string at ``path``; other values pass unchanged."""

    path: Path
    regex: re.Pattern[str]
    replacement: str

    def __call__(self, event: Event, /) -> FnResult:
        """Mask the field, returning a new event only when something changed."""
        value = event.get(self.path)
        if not isinstance(value, str):
            return Pass(event)
        masked = self.regex.sub(self.replacement, value)
        return Pass(event if masked == value else event.with_field(self.path, masked))


def _replacement(regex: re.Pattern[str], replacement: str) -> Result[str, Problems]:
    """The replacement template, once ``re.sub`` accepts it (group references that exist, ...)."""
    try:
        regex.sub(replacement, "")
        regex.sub(replacement, regex.pattern)
    except (re.error, IndexError) as exc:
        return Failure((Problem("replacement", f"invalid replacement: {exc}"),))
    return Success(replacement)


def build(config: MaskConfig) -> Result[Mask, Problems]:
    """Build ``mask`` from its config (the regex and replacement template are checked here)."""
    return Result.do(
        Mask(path, regex, replacement)
        for regex in compile_regex(config.pattern)
        for replacement in _replacement(regex, config.replacement)
        for path in field_path(config.field)
    )


plugin = FunctionPlugin("mask", MaskConfig, build, "Replace every regex match in a string field.")

__all__ = ["Mask", "MaskConfig", "build", "plugin"]
