"""The text formats ``parse`` reads: JSON objects, key=value pairs, CSV records and log lines.

Each format's ``parse(text)`` returns the fields or raises ``FunctionFailed`` with the reason.
The log-line formats (``LineFormat``) wrap the pure parsers of ``domain.parsers``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, TypeAlias, final

from pipeflow.domain.json import JsonObject
from pipeflow.domain.parsers.access_log import parse_clf, parse_combined
from pipeflow.domain.parsers.cef import parse_cef
from pipeflow.domain.parsers.logfmt import parse_logfmt
from pipeflow.domain.parsers.syslog import parse_syslog
from pipeflow.domain.results import FunctionFailed


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


@final
@dataclass(frozen=True, slots=True)
class LineFormat:
    """A line format read by a pure parser of ``domain.parsers`` (logfmt, syslog, clf, combined, cef)."""

    name: str
    parser: Callable[[str], JsonObject | str]

    def parse(self, text: str) -> JsonObject:
        """Parse the line; raise ``FunctionFailed`` with the parser's reason when it does not parse."""
        parsed = self.parser(text)
        if isinstance(parsed, str):
            raise FunctionFailed(f"parse: {self.name}: {parsed}")
        return parsed


LINE_FORMATS: Final[Mapping[str, Callable[[str], JsonObject | str]]] = {
    "logfmt": parse_logfmt,
    "syslog": parse_syslog,
    "clf": parse_clf,
    "combined": parse_combined,
    "cef": parse_cef,
}
"""The line formats by name, each with its domain parser."""

Format: TypeAlias = JsonFormat | CsvFormat | KvFormat | LineFormat
"""One of the text formats ``parse`` reads."""


__all__ = ["LINE_FORMATS", "CsvFormat", "Format", "JsonFormat", "KvFormat", "LineFormat"]
