"""``rows_to_parquet``: columns typed from the values, JSON text where they are not one scalar type,
nothing lost; read back (JSON-text columns decoded) it gives the rows again."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.json import JsonObject
from pipeflow.infrastructure.sinks.parquet import JSON_TEXT, ndjson_to_parquet, rows_to_parquet


def read_back(data: bytes) -> tuple[Any, list[dict[str, Any]]]:
    """The table's schema, and its rows with JSON-text columns decoded and nulls left out."""
    table = pq.read_table(io.BytesIO(data))
    as_json = {f.name for f in table.schema if f.metadata == JSON_TEXT}
    rows = [
        {k: json.loads(v) if k in as_json else v for k, v in row.items() if v is not None}
        for row in table.to_pylist()
    ]
    return table.schema, rows


def test_each_scalar_kind_gets_its_type_and_the_rest_is_json_text() -> None:
    rows: list[JsonObject] = [
        {"s": "a", "i": 1, "f": 1.5, "b": True, "n": 1, "obj": {"k": [1, "x"]}, "mixed": 1},
        {"s": "é", "i": 2, "f": 2.0, "b": False, "n": 2.5, "arr": [], "mixed": "1"},
    ]
    schema, back = read_back(rows_to_parquet(rows, "gzip"))
    types = {f.name: str(f.type) for f in schema}
    assert types == {
        "s": "string",
        "i": "int64",
        "f": "double",
        "b": "bool",
        "n": "double",  # integers and numbers together
        "obj": "string",
        "mixed": "string",
        "arr": "string",
    }
    assert {f.name for f in schema if f.metadata == JSON_TEXT} == {"obj", "mixed", "arr"}
    assert back == rows
    assert pq.read_table(io.BytesIO(rows_to_parquet(rows, "gzip"))).column("mixed").to_pylist() == [
        "1",
        '"1"',
    ]


def test_a_missing_key_is_null_and_columns_keep_their_first_appearance_order() -> None:
    schema, back = read_back(rows_to_parquet([{"b": 1}, {"a": "x", "b": None}, {"c": True}], "none"))
    assert [f.name for f in schema] == ["b", "a", "c"]
    assert back == [{"b": 1}, {"a": "x"}, {"c": True}]


def test_an_integer_a_number_would_round_keeps_its_column_as_text() -> None:
    schema, back = read_back(rows_to_parquet([{"n": 2**62 + 1}, {"n": 0.5}], "gzip"))
    assert str(schema.field("n").type) == "string"
    assert back == [{"n": 2**62 + 1}, {"n": 0.5}]


def test_an_integer_past_64_bits_is_kept_as_text() -> None:
    schema, back = read_back(rows_to_parquet([{"big": 2**70}, {"big": 3}], "gzip"))
    assert str(schema.field("big").type) == "string"
    assert back == [{"big": 2**70}, {"big": 3}]


def test_events_without_fields_still_make_a_file_of_that_many_rows() -> None:
    table = pq.read_table(io.BytesIO(rows_to_parquet([{}, {}], "none")))
    assert table.num_rows == 2


def test_compression_is_inside_the_file_and_ndjson_goes_in_as_rows() -> None:
    data = ndjson_to_parquet(b'{"n": 1}\n\n{"n": 2}\n', "gzip")
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    assert meta.row_group(0).column(0).compression == "GZIP"
    assert pq.read_table(io.BytesIO(data)).to_pylist() == [{"n": 1}, {"n": 2}]
    plain = ndjson_to_parquet(b'{"n": 1}\n', "none")
    assert pq.ParquetFile(io.BytesIO(plain)).metadata.row_group(0).column(0).compression == "UNCOMPRESSED"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
rows_strategy = st.lists(
    st.dictionaries(st.sampled_from("abcde"), json_values, max_size=5), min_size=1, max_size=8
)


@settings(max_examples=150, deadline=None)
@given(rows_strategy)
def test_read_back_gives_the_rows_again(rows: list[JsonObject]) -> None:
    _, back = read_back(rows_to_parquet(rows, "gzip"))
    assert back == [{k: v for k, v in row.items() if v is not None} for row in rows]
    assert pa is not None
