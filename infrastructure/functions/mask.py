"""``mask``: replace every match of a regex in a string field (``re.sub`` rules, ``\\1`` allowed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import final

from pipeflow.domain.events import Event
from pipeflow.domain.paths import Path, parse_path
from pipeflow.domain.results import FnResult, Pass
from pipeflow.infrastructure.functions.base import ConfigProblem, FunctionConfig, FunctionPlugin


class MaskConfig(FunctionConfig):
    """Config of ``mask``."""

    field: str
    pattern: str
    replacement: str = "<redacted>"


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


def compile_regex(pattern: str, where: str = "pattern") -> re.Pattern[str]:
    """Compile a user's regex, turning a syntax error into a config problem."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigProblem(where, f"invalid regex: {exc}") from None


def field_path(text: str, where: str = "field") -> Path:
    """Parse a user's field path, turning a malformed one into a config problem."""
    path = parse_path(text)
    if path is None:
        raise ConfigProblem(where, f"not a field path: {text!r}")
    return path


def build(config: MaskConfig) -> Mask:
    """Build ``mask`` from its config (the regex and replacement template are checked here)."""
    regex = compile_regex(config.pattern)
    try:
        regex.sub(config.replacement, "")
        regex.sub(config.replacement, config.pattern)
    except (re.error, IndexError) as exc:
        raise ConfigProblem("replacement", f"invalid replacement: {exc}") from None
    return Mask(field_path(config.field), regex, config.replacement)


plugin = FunctionPlugin("mask", MaskConfig, build, "Replace every regex match in a string field.")

__all__ = ["Mask", "MaskConfig", "build", "compile_regex", "field_path", "plugin"]
