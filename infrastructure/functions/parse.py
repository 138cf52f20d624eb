"""``parse``: parse a string field (JSON, key=value pairs, a CSV record or a log line) into fields.

The formats live in ``parse_formats`` (log lines: the pure parsers of ``domain.parsers``). The
parsed fields go to the top level (merged over what is there) or, with ``target``, into one
object at that path. A value that is not a string (or is missing) passes unchanged; a string
that does not parse goes where ``on_failure`` says: by default the function fails (``FunctionFailed``),
so the event is dead-lettered with the reason; ``pass`` lets it go on unchanged, ``drop`` drops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, assert_never, final

import pydantic
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problem, Problems
from pipeflow.domain.events import Event
from pipeflow.domain.paths import Path
from pipeflow.domain.results import FnResult, FunctionFailed, Pass
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import field_path
from pipeflow.infrastructure.functions.on_failure import OnFailure, settle
from pipeflow.infrastructure.functions.parse_formats import (
    LINE_FORMATS,
    CsvFormat,
    Format,
    JsonFormat,
    KvFormat,
    LineFormat,
)


class ParseConfig(FunctionConfig):
    """Config of ``parse``.

    ``kv`` splits pairs on ``pair_delimiter`` (whitespace: any run of whitespace) and key from
    value on ``kv_delimiter``; values may be quoted with ``"`` or ``'``. ``csv`` reads one record
    with ``delimiter`` and names its values by ``columns``. ``logfmt``, ``syslog``, ``clf``,
    ``combined`` and ``cef`` read one log line each. ``on_failure`` says where text that does
    not parse goes.
    """

    field: str = pydantic.Field(description="The string field to parse.")
    format: Literal["json", "kv", "csv", "logfmt", "syslog", "clf", "combined", "cef"] = pydantic.Field(
        description="How the text is read: `json`, `kv`, `csv`,"
        " or a log line: `logfmt`, `syslog`, `clf`, `combined`, `cef`."
    )
    target: str | None = pydantic.Field(
        None, description="A field path the parsed fields are written under (none: the event's top level)."
    )
    columns: list[str] | None = pydantic.Field(
        None, description="`csv` only (and required there): the names of the record's values, in order."
    )
    delimiter: str = pydantic.Field(",", description="`csv`: the one character between values.")
    pair_delimiter: str = pydantic.Field(
        " ", description="`kv`: what separates pairs (a space: any run of whitespace)."
    )
    kv_delimiter: str = pydantic.Field(
        "=", description="`kv`: what separates a key from its value (the first one counts)."
    )
    standalone_keys: bool = pydantic.Field(
        False,
        description="`kv`: a token without `kv_delimiter` becomes `key: true` instead of being skipped.",
    )
    on_failure: OnFailure = pydantic.Field(
        "dead_letter", description="Text that does not parse: `dead_letter`, `pass` (unchanged) or `drop`."
    )


@final
@dataclass(frozen=True, slots=True)
class Parse:
    """Parses the string at ``path`` and sets the result at the top level or at ``target``."""

    path: Path
    format: Format
    target: Path | None
    on_failure: OnFailure = "dead_letter"

    def __call__(self, event: Event, /) -> FnResult:
        """Parse the field."""
        value = event.get(self.path)
        if not isinstance(value, str):
            return Pass(event)
        try:
            parsed = self.format.parse(value)
        except FunctionFailed as exc:
            return settle(self.on_failure, event, str(exc))
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
        case "logfmt" | "syslog" | "clf" | "combined" | "cef":
            return Success(LineFormat(config.format, LINE_FORMATS[config.format]))
        case _:
            assert_never(config.format)


def _problem(where: str, message: str) -> Result[Format, Problems]:
    return Failure((Problem(where, message),))


def _target(config: ParseConfig) -> Result[Path | None, Problems]:
    return Success(None) if config.target is None else field_path(config.target, "target")


def build(config: ParseConfig) -> Result[Parse, Problems]:
    """Build ``parse``; formats, delimiters and paths are checked here."""
    return Result.do(
        Parse(path, fmt, target, config.on_failure)
        for target in _target(config)
        for path in field_path(config.field)
        for fmt in _format(config)
    )


plugin = FunctionPlugin(
    "parse",
    ParseConfig,
    build,
    "Parse a string field as json, kv, csv, logfmt, syslog, clf, combined or cef.",
)

__all__ = ["Parse", "ParseConfig", "build", "plugin"]
