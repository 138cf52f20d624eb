"""NDJSON into one Parquet file, for the ``s3`` sink's ``format: parquet`` (the ``parquet`` extra).

Columns are the keys of the events, in the order they first appear; an event without a key has a
null there. A column whose values are all of one JSON scalar type (string, integer, number,
boolean; integers and numbers together make numbers, unless an integer is past 2**53, which a
number would round) gets that Parquet type. Objects and arrays,
and a column whose values are of different types, are stored as JSON text (a string ``"1"`` then
reads ``"\\"1\\""``, never ``1``): the typing never fails a batch and never changes a value. A
JSON-text column says so in its field metadata (``pipeflow: json``), so a reader can decode it.
pyarrow is imported by the first object made (the extra is needed only by a sink that uses it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

import orjson

from pipeflow.domain.json import Json, JsonObject

__all__ = ["JSON_TEXT", "MEDIA_TYPE", "ndjson_to_parquet", "rows_to_parquet"]

JSON_TEXT = {b"pipeflow": b"json"}
"""The field metadata of a column whose values are JSON text."""

MEDIA_TYPE = "application/vnd.apache.parquet"
"""The content type of a Parquet object."""

_SCALARS = (str, int, float, bool)
_EXACT = 2**53  # the largest integer a double holds exactly


def ndjson_to_parquet(data: bytes, compression: Literal["gzip", "none"]) -> bytes:
    """The NDJSON lines of ``data`` (objects) as one Parquet file, compressed inside by ``compression``."""
    return rows_to_parquet([orjson.loads(line) for line in data.splitlines() if line.strip()], compression)


def rows_to_parquet(rows: Sequence[JsonObject], compression: Literal["gzip", "none"]) -> bytes:
    """``rows`` as one Parquet file (see the module's doc for the columns' types)."""
    import pyarrow as pa  # type: ignore[import-untyped]  # the parquet extra
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    fields, arrays = [], []
    for name in names:
        array, as_json = _column(pa, [row.get(name) for row in rows])
        fields.append(pa.field(name, array.type, metadata=JSON_TEXT if as_json else None))
        arrays.append(array)
    if not arrays:  # no event has a field: Parquet needs a column
        fields, arrays = [pa.field("_empty", pa.null())], [pa.nulls(len(rows))]
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    out = pa.BufferOutputStream()
    pq.write_table(table, out, compression="gzip" if compression == "gzip" else "none")
    return bytes(out.getvalue().to_pybytes())


def _column(pa: Any, values: list[Json]) -> tuple[Any, bool]:
    """One typed array when the values are scalars of one kind, else their JSON text (``True``)."""
    kinds = {_kind(v) for v in values if v is not None}
    if kinds == {"int", "float"} and any(isinstance(v, int) and abs(v) > _EXACT for v in values):
        kinds.add("json")  # a number would round this integer: the column stays text
    if (len(kinds) == 1 and kinds <= {"str", "int", "float", "bool"}) or kinds == {"int", "float"}:
        kind = "float" if kinds == {"int", "float"} else next(iter(kinds))
        arrow_type = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}[kind]
        try:
            return pa.array(values, type=arrow_type), False
        except (OverflowError, pa.ArrowInvalid):  # an integer past 64 bits: as text, never changed
            pass
    return pa.array([None if v is None else _json_text(v) for v in values], type=pa.string()), True


def _json_text(value: Json) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer past 64 bits, which orjson does not write
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _kind(value: Json) -> str:
    if isinstance(value, bool):  # before int: a bool is an int in Python
        return "bool"
    if isinstance(value, _SCALARS):
        return type(value).__name__
    return "json"
