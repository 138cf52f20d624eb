"""``regex_extract``: pull named groups of a regex's first match out of a string field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import final

import pydantic
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problem, Problems
from pipeflow.domain.events import Event
from pipeflow.domain.json import JsonObject
from pipeflow.domain.paths import Path
from pipeflow.domain.results import FnResult, Pass
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import compile_regex, field_path


class RegexExtractConfig(FunctionConfig):
    """Config of ``regex_extract``: the string field to search and a regex with named groups."""

    field: str = pydantic.Field(description="The string field to search.")
    pattern: str = pydantic.Field(
        description="A regex with named groups; each named group that matches becomes a field."
    )


@final
@dataclass(frozen=True, slots=True)
class RegexExtract:
    """Sets a top-level field per named group of the first match (``re.search``) in a string field.

    A group that did not take part in the match sets nothing; no match sets nothing. A value
    that is not a string (or is missing) passes unchanged.
    """

    path: Path
    regex: re.Pattern[str]

    def __call__(self, event: Event, /) -> FnResult:
        """Extract the named groups of the first match."""
        value = event.get(self.path)
        if not isinstance(value, str):
            return Pass(event)
        match = self.regex.search(value)
        if match is None:
            return Pass(event)
        found: JsonObject = {k: v for k, v in match.groupdict().items() if v is not None}
        return Pass(event.with_fields(found) if found else event)


def _named(regex: re.Pattern[str]) -> Result[re.Pattern[str], Problems]:
    if not regex.groupindex:
        return Failure((Problem("pattern", "needs at least one named group, e.g. (?P<user_id>\\d+)"),))
    return Success(regex)


def build(config: RegexExtractConfig) -> Result[RegexExtract, Problems]:
    """Build ``regex_extract``; a pattern without a named group is a config problem."""
    return Result.do(
        RegexExtract(path, regex)
        for regex in compile_regex(config.pattern).bind(_named)
        for path in field_path(config.field)
    )


plugin = FunctionPlugin(
    "regex_extract", RegexExtractConfig, build, "Set a field per named group of a regex's first match."
)

__all__ = ["RegexExtract", "RegexExtractConfig", "build", "plugin"]
