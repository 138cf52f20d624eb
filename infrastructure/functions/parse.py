"""``parse``: parse a string field (JSON, key=value pairs or one CSV record) into fields.

The parsed fields go to the top level (merged over what is there) or, with ``target``, into
one object at that path. A value that is not a string (or is missing) passes unchanged; a
string that does not parse raises ``FunctionFailed``, so the event is dead-lettered.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from typing import Literal, TypeAlias, assert_never, final

from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problem, Problems
from pipeflow.domain.events import Event
from pipeflow.domain.json import JsonObject
from pipeflow.domain.paths import Path
from pipeflow.domain.results import FnResult, FunctionFailed, Pass
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import field_path


class ParseConfig(FunctionConfig):
    """Config of ``parse``.

    ``kv`` splits pairs on ``pair_delimiter`` (whitespace: any run of whitespace) and key from
    value on ``kv_delimiter``; values may be quoted with ``"`` or ``'``. ``csv`` reads one record
    with ``delimiter`` and names its values by ``columns``.
    """

    field: str
    format: Literal["json", "kv", "csv"]
    target: str | None = None
    columns: list[str] | None = None
    delimiter: str = ","
    pair_delimiter: str = " "
    kv_delimiter: str = "="
    standalone_keys: bool = False


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not JSON")


@final
@dataclass(frozen=True, slots=True)
class JsonFormat:
    """A JSON document that must be an object."""

    def parse(self, text: str) -> JsonObject:
        """Parse the text; raise ``FunctionFailed`` when it is not a JSON object."""
        # The stdlib parser, not orjson: orjson turns integers past 64 bits into floats silently.
        try:
            value = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            raise FunctionFailed(f"parse: invalid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise FunctionFailed(f"parse: JSON is a {type(value).__name__}, not an object")
        return value


@final
@dataclass(frozen=True, slots=True)
class CsvFormat:
    """One CSV record; values are strings named by ``columns``.

    A short record sets only the columns it has; values past the last column are ignored.
    Text holding more than one record raises ``FunctionFailed``.
    """

    columns: tuple[str, ...]
    delimiter: str

    def parse(self, text: str) -> JsonObject:
        """Parse one record into ``{column: value}``."""
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter, strict=True))
        except csv.Error as exc:
            raise FunctionFailed(f"parse: invalid CSV: {exc}") from None
        if len(rows) > 1:
            raise FunctionFailed(f"parse: expected one CSV record, found {len(rows)}")
        return dict(zip(self.columns, rows[0] if rows else [], strict=False))


@final
@dataclass(frozen=True, slots=True)
class KvFormat:
    """``key=value`` pairs.

    Pairs are split on ``pair`` (when it is whitespace, on any run of whitespace) and keys from
    values on the first ``kv``. A value may be quoted with ``"`` or ``'``; inside quotes ``\\``
    and an escaped quote are unescaped and the delimiters are plain text. Values stay strings;
    a later key wins. A token without ``kv`` is skipped, or becomes ``key: true`` with
    ``standalone``. An unterminated quote raises ``FunctionFailed``.
    """

    pair: str
    kv: str
    standalone: bool

    def parse(self, text: str) -> JsonObject:
        """Parse the pairs."""
        out: JsonObject = {}
        i, n = 0, len(text)
        while i < n:
            i = self._skip_separators(text, i)
            if i >= n:
                break
            start = i
            while i < n and not self._at_pair(text, i) and not text.startswith(self.kv, i):
                i += 1
            key = text[start:i].strip()
            if i < n and text.startswith(self.kv, i):
                value, i = self._value(text, i + len(self.kv))
                if key:
                    out[key] = value
            elif key and self.standalone:
                out[key] = True
        return out

    def _at_pair(self, text: str, i: int) -> bool:
        return text[i].isspace() if self.pair.isspace() else text.startswith(self.pair, i)

    def _skip_separators(self, text: str, i: int) -> int:
        while i < len(text):
            if self._at_pair(text, i):
                i += 1 if self.pair.isspace() else len(self.pair)
            elif text[i].isspace():
                i += 1
            else:
                break
        return i

    def _value(self, text: str, i: int) -> tuple[str, int]:
        n = len(text)
        while i < n and text[i].isspace() and not self._at_pair(text, i):
            i += 1
        parts: list[str] = []
        if i < n and text[i] in "\"'":
            quote, i = text[i], i + 1
            while i < n and text[i] != quote:
                if text[i] == "\\" and i + 1 < n and text[i + 1] in (quote, "\\"):
                    i += 1
                parts.append(text[i])
                i += 1
            if i >= n:
                raise FunctionFailed(f"parse: unterminated {quote} quote in key=value text")
            i += 1
        start = i
        while i < n and not self._at_pair(text, i):
            i += 1
        return "".join(parts) + text[start:i].rstrip(), i


Format: TypeAlias = JsonFormat | CsvFormat | KvFormat
"""One of the text formats ``parse`` reads."""


@final
@dataclass(frozen=True, slots=True)
class Parse:
    """Parses the string at ``path`` and sets the result at the top level or at ``target``."""

    path: Path
    format: Format
    target: Path | None

    def __call__(self, event: Event, /) -> FnResult:
        """Parse the field."""
        value = event.get(self.path)
        if not isinstance(value, str):
            return Pass(event)
        parsed = self.format.parse(value)
        if self.target is not None:
            return Pass(event.with_field(self.target, parsed))
        return Pass(event.with_fields(parsed) if parsed else event)


def _format(config: ParseConfig) -> Result[Format, Problems]:
    if config.columns is not None and config.format != "csv":
        return _problem("columns", "only the csv format takes columns")
    match config.format:
        case "json":
            return Success(JsonFormat())
        case "csv":
            if not config.columns:
                return _problem("columns", "the csv format needs columns")
            if len(config.delimiter) != 1:
                return _problem("delimiter", "must be one character")
            return Success(CsvFormat(tuple(config.columns), config.delimiter))
        case "kv":
            if not config.pair_delimiter or not config.kv_delimiter:
                return _problem("kv_delimiter", "delimiters must not be empty")
            if config.kv_delimiter.isspace() or config.kv_delimiter in config.pair_delimiter:
                return _problem("kv_delimiter", "must differ from pair_delimiter and not be whitespace")
            return Success(KvFormat(config.pair_delimiter, config.kv_delimiter, config.standalone_keys))
        case _:
            assert_never(config.format)


def _problem(where: str, message: str) -> Result[Format, Problems]:
    return Failure((Problem(where, message),))


def _target(config: ParseConfig) -> Result[Path | None, Problems]:
    return Success(None) if config.target is None else field_path(config.target, "target")


def build(config: ParseConfig) -> Result[Parse, Problems]:
    """Build ``parse``; formats, delimiters and paths are checked here."""
    return Result.do(
        Parse(path, fmt, target)
        for target in _target(config)
        for path in field_path(config.field)
        for fmt in _format(config)
    )


plugin = FunctionPlugin("parse", ParseConfig, build, "Parse a string field as json, kv or csv.")

__all__ = ["CsvFormat", "Format", "JsonFormat", "KvFormat", "Parse", "ParseConfig", "build", "plugin"]
