from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.results import FunctionFailed, Pass
from pipeflow.infrastructure.functions.parse import Parse
from pipeflow.infrastructure.functions.parse import plugin as parse
from pipeflow.testing import json_objects

LOGHUB = Path(__file__).parent.parent / "fixtures" / "loghub"


def ev(fields: JsonObject) -> Event:
    return Event(EventId("01J"), EventMeta("t", 0.0), fields)


def build(**config: Any) -> Parse:
    built = parse(config)
    fn = built.value_or(None)
    assert isinstance(fn, Parse), built
    return fn


def run(fn: Parse, fields: JsonObject) -> JsonObject:
    result = fn(ev(fields))
    assert isinstance(result, Pass)
    return result.event.fields


def hdfs_rows() -> tuple[list[str], list[str], list[dict[str, str]]]:
    text = (LOGHUB / "HDFS_100.log_structured.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    rows = list(csv.DictReader(lines))
    return next(csv.reader(lines[:1])), lines[1:], rows


def test_csv_parses_each_hdfs_record_into_its_columns() -> None:
    header, lines, rows = hdfs_rows()
    fn = build(field="line", format="csv", columns=header)
    for line, row in zip(lines, rows, strict=True):
        assert run(fn, {"line": line}) == {"line": line, **row}


def test_csv_under_a_target_with_short_and_long_records() -> None:
    fn = build(field="m", format="csv", columns=["a", "b"], target="csv")
    assert run(fn, {"m": '1,"x, y"'}) == {"m": '1,"x, y"', "csv": {"a": "1", "b": "x, y"}}
    assert run(fn, {"m": "1"})["csv"] == {"a": "1"}
    assert run(fn, {"m": "1,2,3"})["csv"] == {"a": "1", "b": "2"}
    assert run(fn, {"m": ""})["csv"] == {}


def test_csv_with_two_records_or_a_bad_quote_fails() -> None:
    fn = build(field="m", format="csv", columns=["a"])
    with pytest.raises(FunctionFailed, match="one CSV record"):
        fn(ev({"m": "1\n2"}))
    with pytest.raises(FunctionFailed, match="invalid CSV"):
        fn(ev({"m": '"a"b'}))


def test_kv_on_an_openssh_authentication_failure() -> None:
    lines = (LOGHUB / "OpenSSH_200.log").read_text(encoding="utf-8").splitlines()
    line = next(x for x in lines if "authentication failure;" in x)
    fn = build(field="detail", format="kv", target="auth")
    out = run(fn, {"detail": line.split("; ", 1)[1]})
    assert out["auth"] == {
        "logname": "",
        "uid": "0",
        "euid": "0",
        "tty": "ssh",
        "ruser": "",
        "rhost": "173.234.31.186",
    }


def test_kv_quotes_escapes_and_standalone_keys() -> None:
    text = 'a="x y" b=\'it\\\'s\' path=C:\\dir flag c="say \\"hi\\""'
    assert run(build(field="m", format="kv"), {"m": text}) == {
        "m": text,
        "a": "x y",
        "b": "it's",
        "path": "C:\\dir",
        "c": 'say "hi"',
    }
    assert run(build(field="m", format="kv", standalone_keys=True), {"m": "flag a=1"}) == {
        "m": "flag a=1",
        "flag": True,
        "a": "1",
    }


def test_kv_with_other_delimiters() -> None:
    fn = build(field="m", format="kv", pair_delimiter="&", kv_delimiter=":")
    assert run(fn, {"m": "a:1&b: two &&c:3"}) == {"m": "a:1&b: two &&c:3", "a": "1", "b": "two", "c": "3"}


def test_kv_unterminated_quote_fails() -> None:
    with pytest.raises(FunctionFailed, match="unterminated"):
        build(field="m", format="kv")(ev({"m": 'a="open'}))


def test_json_object_merges_at_top_level_or_under_target() -> None:
    doc = '{"level": "error", "http": {"status": 503}}'
    assert run(build(field="m", format="json"), {"m": doc, "level": "info"}) == {
        "m": doc,
        "level": "error",
        "http": {"status": 503},
    }
    assert run(build(field="m", format="json", target="body.parsed"), {"m": doc})["body"] == {
        "parsed": {"level": "error", "http": {"status": 503}}
    }


@pytest.mark.parametrize(
    "text",
    [
        "[1, 2]",
        "3",
        '"s"',
        "null",
        "{bad",
        "",
        '{"a": NaN}',
        '{"a": -Infinity}',
        '{"a": 1e999}',
        "[" * 100_000,
    ],
)
def test_json_that_is_not_an_object_fails(text: str) -> None:
    with pytest.raises(FunctionFailed, match="parse:"):
        build(field="m", format="json")(ev({"m": text}))


def test_json_keeps_integers_past_64_bits_exact() -> None:
    assert (
        run(build(field="m", format="json"), {"m": '{"n": -9223372036854775809}'})["n"]
        == -9223372036854775809
    )


@given(json_objects())
def test_json_round_trips_any_object(obj: JsonObject) -> None:
    fn = build(field="_raw", format="json", target="doc")
    assert run(fn, {"_raw": json.dumps(obj)})["doc"] == obj


@given(st.one_of(st.none(), st.integers(), st.lists(st.text()), st.dictionaries(st.text(), st.text())))
def test_non_string_values_pass_unchanged(value: Any) -> None:
    event = ev({"m": value})
    for fmt in ("json", "kv"):
        assert build(field="m", format=fmt)(event) == Pass(event)


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ({"field": "m", "format": "csv"}, "columns"),
        ({"field": "m", "format": "json", "columns": ["a"]}, "columns"),
        ({"field": "m", "format": "csv", "columns": ["a"], "delimiter": ";;"}, "delimiter"),
        ({"field": "m", "format": "kv", "kv_delimiter": " "}, "kv_delimiter"),
        ({"field": "m", "format": "kv", "pair_delimiter": "=", "kv_delimiter": "="}, "kv_delimiter"),
        ({"field": "m", "format": "yaml"}, "format"),
        ({"field": "m", "format": "json", "target": "a..b"}, "target"),
    ],
)
def test_config_problems_are_values(config: JsonObject, where: str) -> None:
    problems = parse(config).failure()
    assert [p.where for p in problems] == [where]
