"""``lookup``: enrich events from a CSV table loaded once, when the function is built.

The table is keyed by one CSV column (``column``; by default the last segment of ``key``);
when a key appears in several rows, the first row wins. An event whose ``key`` field is a
string (or an integer, compared as its decimal text) found in the table gets the listed
columns copied in, as strings. Any other value, a missing key or one not in the table
passes unchanged.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import ClassVar, TypeAlias, final

import pydantic
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problem, Problems
from pipeflow.domain.events import Event
from pipeflow.domain.paths import Path
from pipeflow.domain.results import FnResult, Pass
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import collect, field_path


class LookupConfig(FunctionConfig):
    """Config of ``lookup``.

    ``file`` is a CSV file with a header row; relative to the process's working directory here
    (the config loader rewrites it relative to the config file: see ``path_fields``). ``fields``
    lists the columns to copy (each to a top-level field of the same name) or maps a column to
    the field path it goes to.
    """

    path_fields: ClassVar[tuple[str, ...]] = ("file",)

    file: str = pydantic.Field(
        description="A CSV file with a header row, loaded once (relative to the config file)."
    )
    key: str = pydantic.Field(
        description="The field whose value (a string, or an integer as its text) is looked up."
    )
    column: str | None = pydantic.Field(
        None, description="The CSV column the table is keyed by (none: the last segment of `key`)."
    )
    fields: list[str] | dict[str, str] = pydantic.Field(
        min_length=1,
        description="The columns to copy, each to a top-level field of its name, or column to field path.",
    )


Table: TypeAlias = dict[str, tuple[tuple[Path, str], ...]]
"""A lookup table: key to the ``(field path, value)`` pairs to set."""


@final
@dataclass(frozen=True, slots=True)
class Lookup:
    """Copies the columns of the row whose key matches the event's ``key`` field."""

    key: Path
    table: Table

    def __call__(self, event: Event, /) -> FnResult:
        """Enrich the event when its key is in the table."""
        value = event.get(self.key)
        # bool is an int, but True is not the text a CSV holds: only str and int keys are looked up.
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return Pass(event)
        row = self.table.get(value if isinstance(value, str) else str(value))
        if row is None:
            return Pass(event)
        for path, cell in row:
            event = event.with_field(path, cell)
        return Pass(event)


def _targets(config: LookupConfig) -> Result[tuple[tuple[str, Path], ...], Problems]:
    if isinstance(config.fields, list):
        return Success(tuple((column, (column,)) for column in config.fields))
    return collect(_target(column, text) for column, text in config.fields.items())


def _target(column: str, text: str) -> Result[tuple[str, Path], Problems]:
    return field_path(text, f"fields.{column}").map(lambda path: (column, path))


def _key_column(config: LookupConfig, key: Path) -> Result[str, Problems]:
    if config.column is not None:
        return Success(config.column)
    last = key[-1]
    if isinstance(last, int):
        return Failure((Problem("column", "needed when key ends with a list index"),))
    return Success(last)


def load_table(file: str, column: str, targets: tuple[tuple[str, Path], ...]) -> Result[Table, Problems]:
    """Read the CSV once, or say why it cannot be used (unreadable, a column missing)."""
    try:
        with FsPath(file).open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, strict=True)
            header = reader.fieldnames or []
            missing = [c for c in [column, *(c for c, _ in targets)] if c not in header]
            if missing:
                message = f"{file}: no column {', '.join(map(repr, missing))} in {header}"
                return Failure((Problem("file", message),))
            table: Table = {}
            for row in reader:
                if row[column] is None:  # a short row without its key
                    continue
                table.setdefault(row[column], tuple((path, row[c] or "") for c, path in targets))
            return Success(table)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return Failure((Problem("file", f"cannot read {file}: {exc}"),))


def build(config: LookupConfig) -> Result[Lookup, Problems]:
    """Build ``lookup``: check the paths and load the table."""
    return Result.do(
        Lookup(key, table)
        for key in field_path(config.key, "key")
        for targets in _targets(config)
        for column in _key_column(config, key)
        for table in load_table(config.file, column, targets)
    )


plugin = FunctionPlugin("lookup", LookupConfig, build, "Enrich events from a CSV table loaded once.")

__all__ = ["Lookup", "LookupConfig", "Table", "build", "load_table", "plugin"]
