"""``grok``: parse unstructured text with named patterns (``%{IPORHOST:client}``) into fields.

Patterns are expanded once (``domain.parsers.grok``) against the core library
(``grok_patterns``) and the function's own ``pattern_definitions``, and compiled once
(``grok_engine``: ``re`` under a time limit per match, RE2 behind it, so no pattern can hang a
pipeline).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, final

import pydantic
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problem, Problems
from pipeflow.domain.events import Event
from pipeflow.domain.filter.values import finite
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.parsers.grok import Expansion, GrokError, Kind, expand
from pipeflow.domain.paths import Path, get_in, render_path, set_in
from pipeflow.domain.results import Drop, FnResult, FunctionFailed, Pass
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import field_path
from pipeflow.infrastructure.functions.grok_engine import Matcher, compile_expansion
from pipeflow.infrastructure.functions.grok_patterns import CORE_PATTERNS

OnFailure: TypeAlias = Literal["pass", "drop", "dead_letter"]
"""What happens to an event no pattern matches."""

NO_MATCH = "grok: no pattern matched"
"""The reason an unmatched event is dropped or dead-lettered with."""

_NAME = re.compile(r"\w+")


class GrokConfig(FunctionConfig):
    """Config of ``grok``: the string field, the patterns tried in order, extra named patterns."""

    field: str = pydantic.Field("message", description="The string field the patterns are matched against.")
    patterns: list[str] = pydantic.Field(
        min_length=1,
        description="Grok patterns (`%{NAME:field:type}` captures), tried in order: the first match wins.",
    )
    pattern_definitions: dict[str, str] = pydantic.Field(
        default_factory=dict,
        description="Named patterns of your own (name to pattern), usable as `%{NAME}` in `patterns`.",
    )
    target: str | None = pydantic.Field(
        None, description="A field path the captures are written under (none: the event's top level)."
    )
    on_failure: OnFailure = pydantic.Field(
        "pass", description="An event no pattern matches: `pass` (unchanged), `drop` or `dead_letter`."
    )
    timeout_ms: float = pydantic.Field(
        20,
        gt=0,
        le=60_000,
        description="CPU time one match may take on Python's `re`; a longer one is run again on RE2 "
        "(linear time), or dead-lettered when RE2 cannot run the pattern.",
    )


@final
@dataclass(frozen=True, slots=True)
class GrokPattern:
    """One compiled pattern and, per capture, the field it sets and its conversion."""

    matcher: Matcher
    fields: tuple[tuple[Path, Kind], ...]
    flat: bool  # every field is a top-level key: set them all with one dict merge
    keys: tuple[str, ...] | None = field(init=False, repr=False, compare=False)  # flat, no key twice
    typed: tuple[tuple[str, Kind], ...] = field(init=False, repr=False, compare=False)  # to convert

    def __post_init__(self) -> None:
        keys = tuple(str(path[0]) for path, _ in self.fields)
        unique = self.flat and len(set(keys)) == len(keys)
        typed = tuple((key, kind) for key, (_, kind) in zip(keys, self.fields, strict=True) if kind != "str")
        object.__setattr__(self, "keys", keys if unique else None)
        object.__setattr__(self, "typed", typed)

    def apply(self, event: Event, values: Sequence[str | None]) -> Event:
        """Set the fields of the captures that took part in the match (a later one wins)."""
        fields = dict(event.fields)
        return event.replace_fields(fields) if self.write(fields, values) else event

    def write(self, fields: JsonObject, values: Sequence[str | None]) -> bool:
        """``apply`` in place on ``fields`` (nested objects on the way are copied, never changed);
        whether anything was set. Every capture is converted before anything is written, so a
        conversion that fails leaves ``fields`` as they were."""
        keys = self.keys
        if keys is not None:  # the common case, made fast: one merge, then the few conversions
            merged: JsonObject = {k: text for k, text in zip(keys, values, strict=True) if text is not None}
            for name, kind in self.typed:
                text = merged.get(name)
                if isinstance(text, str):
                    merged[name] = convert(kind, text, (name,))
            fields.update(merged)
            return bool(merged)
        if self.flat:
            found = {
                path[0]: text if kind == "str" else convert(kind, text, path)
                for (path, kind), text in zip(self.fields, values, strict=True)
                if text is not None
            }
            fields.update(found)  # type: ignore[arg-type]
            return bool(found)
        updates = [
            (path, text if kind == "str" else convert(kind, text, path))
            for (path, kind), text in zip(self.fields, values, strict=True)
            if text is not None
        ]
        for path, value in updates:
            key = path[0]
            assert isinstance(key, str)  # a field path starts with a key (``parse_path``)
            fields[key] = value if len(path) == 1 else set_in(fields, path, value)[key]
        return bool(updates)


@final
@dataclass(frozen=True, slots=True)
class Grok:
    """Tries each pattern on the string at ``path``; the first that matches sets its fields.

    A missing or non-string value counts as no match. No match: ``on_failure`` says whether the
    event passes unchanged, is dropped or is dead-lettered (``FunctionFailed``).
    """

    path: Path
    patterns: tuple[GrokPattern, ...]
    on_failure: OnFailure

    def __call__(self, event: Event, /) -> FnResult:
        """Match the field against the patterns in order."""
        value = event.get(self.path)
        if isinstance(value, str):
            for pattern in self.patterns:
                values = pattern.matcher.captures(value)
                if values is not None:
                    return Pass(pattern.apply(event, values))
        if self.on_failure == "pass":
            return Pass(event)
        if self.on_failure == "drop":
            return Drop(NO_MATCH)
        raise FunctionFailed(NO_MATCH)

    def fuse(self) -> Callable[[JsonObject], bool]:
        """The in-place kernel (``Fusable``): what ``__call__`` does, on the fields themselves."""
        path, patterns, on_failure = self.path, self.patterns, self.on_failure
        top = path[0] if len(path) == 1 else None

        def kernel(fields: JsonObject) -> bool:
            value = fields.get(top) if top is not None else get_in(fields, path)  # type: ignore[arg-type]
            if isinstance(value, str):
                for pattern in patterns:
                    values = pattern.matcher.captures(value)
                    if values is not None:
                        pattern.write(fields, values)
                        return True
            if on_failure == "pass":
                return True
            if on_failure == "drop":
                return False
            raise FunctionFailed(NO_MATCH)

        return kernel


def convert(kind: Kind, text: str, path: Path) -> Json:
    """A capture as ``kind``: ``int`` truncates a decimal (``"2.7"`` is 2), as Logstash does.

    >>> convert("int", "2.7", ("n",)), convert("float", "-1e3", ("x",)), convert("str", "a", ("s",))
    (2, -1000.0, 'a')
    >>> convert("int", "9" * 20, ("n",))
    Traceback (most recent call last):
    pipeflow.domain.results.FunctionFailed: grok: n: '99999999999999999999' is not a finite int
    """
    if kind == "str":
        return text
    value: int | float | None = None
    try:
        if kind == "int":
            try:
                value = int(text)
            except ValueError:  # maybe a decimal
                value = int(float(text))  # raises OverflowError for inf, ValueError for nan
        else:
            value = float(text)
    except (ValueError, OverflowError):
        pass
    if value is not None and finite(value) is not None:  # an event holds 64-bit integers at most
        return value
    raise FunctionFailed(f"grok: {render_path(path)}: {text[:40]!r} is not a finite {kind}")


def _pattern(
    expanded: Expansion | GrokError, target: Path | None, where: str, limit_s: float
) -> Result[GrokPattern, Problems]:
    if isinstance(expanded, GrokError):
        return Failure((Problem(where, expanded.message),))
    matcher = compile_expansion(expanded, limit_s)
    if isinstance(matcher, str):
        return Failure((Problem(where, matcher),))
    fields = tuple(((*(target or ()), *c.path), c.kind) for c in expanded.captures)
    flat = all(len(path) == 1 and isinstance(path[0], str) for path, _ in fields)
    return Success(GrokPattern(matcher, fields, flat))


def _definition_problems(config: GrokConfig, library: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    for name in config.pattern_definitions:
        if not _NAME.fullmatch(name):
            problems.append(Problem("pattern_definitions", f"{name!r} is not a pattern name (A-Z, 0-9, _)"))
        elif isinstance(expanded := expand(f"%{{{name}}}", library), GrokError):
            problems.append(Problem(f"pattern_definitions.{name}", expanded.message))
    return problems


def build(config: GrokConfig) -> Result[Grok, Problems]:
    """Build ``grok``: every pattern is expanded and compiled here, and every problem listed."""
    library = {**CORE_PATTERNS, **config.pattern_definitions}
    problems = _definition_problems(config, library)
    path = field_path(config.field)
    target = Success(None) if config.target is None else field_path(config.target, "target")
    built: list[GrokPattern] = []
    for i, text in enumerate(config.patterns):
        at = target.value_or(None)
        match _pattern(expand(text, library), at, f"patterns[{i}]", config.timeout_ms / 1000):
            case Success(pattern):
                built.append(pattern)
            case Failure(more):
                problems.extend(more)
    for result in (path, target):
        problems.extend(result.failure() if isinstance(result, Failure) else ())
    if problems:
        return Failure(tuple(problems))
    return Success(Grok(path.unwrap(), tuple(built), config.on_failure))


plugin = FunctionPlugin("grok", GrokConfig, build, "Parse text into fields with named grok patterns.")

__all__ = ["NO_MATCH", "Grok", "GrokConfig", "GrokPattern", "OnFailure", "build", "convert", "plugin"]
