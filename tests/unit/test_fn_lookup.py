from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.results import Pass
from pipeflow.infrastructure.functions.lookup import Lookup, LookupConfig
from pipeflow.infrastructure.functions.lookup import plugin as lookup

LOGHUB = Path(__file__).parent.parent / "fixtures" / "loghub"
TEMPLATES = str(LOGHUB / "OpenSSH_templates.csv")


def ev(fields: JsonObject) -> Event:
    return Event(EventId("01J"), EventMeta("t", 0.0), fields)


def build(**config: Any) -> Lookup:
    built = lookup(config)
    fn = built.value_or(None)
    assert isinstance(fn, Lookup), built
    return fn


def run(fn: Lookup, fields: JsonObject) -> JsonObject:
    result = fn(ev(fields))
    assert isinstance(result, Pass)
    return result.event.fields


def test_every_openssh_line_gets_its_ground_truth_template() -> None:
    fn = build(file=TEMPLATES, key="EventId", fields=["EventTemplate"])
    with (LOGHUB / "OpenSSH_200.log_structured.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        out = run(fn, {"message": row["Content"], "EventId": row["EventId"]})
        assert out == {
            "message": row["Content"],
            "EventId": row["EventId"],
            "EventTemplate": row["EventTemplate"],
        }


def test_column_and_field_mapping_with_nested_key() -> None:
    fn = build(
        file=TEMPLATES,
        key="event.id",
        column="EventId",
        fields={"EventTemplate": "event.template", "Occurrences": "stats.count"},
    )
    out = run(fn, {"event": {"id": "E2"}})
    assert out == {
        "event": {"id": "E2", "template": "Connection closed by <*> [preauth]"},
        "stats": {"count": "34"},
    }


def test_unknown_missing_or_wrong_typed_keys_pass_unchanged() -> None:
    fn = build(file=TEMPLATES, key="EventId", fields=["EventTemplate"])
    for fields in ({"EventId": "E999"}, {}, {"EventId": None}, {"EventId": ["E2"]}, {"EventId": 2.0}):
        event = ev(fields)  # type: ignore[arg-type]
        assert fn(event) == Pass(event)


def test_integer_keys_match_their_text_but_bools_do_not(tmp_path: Path) -> None:
    table = tmp_path / "codes.csv"
    table.write_text("code,meaning\n1,one\n404,not found\n404,shadowed\nTrue,yes\n", encoding="utf-8")
    fn = build(file=str(table), key="http.code", fields={"meaning": "http.meaning"})
    assert run(fn, {"http": {"code": 404}}) == {"http": {"code": 404, "meaning": "not found"}}
    assert run(fn, {"http": {"code": "1"}})["http"] == {"code": "1", "meaning": "one"}
    assert run(fn, {"http": {"code": True}}) == {"http": {"code": True}}


def test_the_table_is_loaded_once_at_build(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("k,v\na,1\n", encoding="utf-8")
    fn = build(file=str(table), key="k", fields=["v"])
    table.write_text("k,v\na,2\n", encoding="utf-8")
    assert run(fn, {"k": "a"}) == {"k": "a", "v": "1"}


def test_the_file_is_declared_a_path_field() -> None:
    assert LookupConfig.path_fields == ("file",)


@pytest.mark.parametrize(
    ("config", "where", "says"),
    [
        ({"file": "/nonexistent/x.csv", "key": "k", "fields": ["v"]}, "file", "cannot read"),
        ({"file": TEMPLATES, "key": "EventId", "fields": ["Nope"]}, "file", "no column 'Nope'"),
        ({"file": TEMPLATES, "key": "event.Id", "fields": ["EventTemplate"]}, "file", "no column 'Id'"),
        ({"file": TEMPLATES, "key": "ids[0]", "fields": ["EventTemplate"]}, "column", "list index"),
        ({"file": TEMPLATES, "key": "a..b", "fields": ["EventTemplate"]}, "key", "not a field path"),
        ({"file": TEMPLATES, "key": "EventId", "fields": []}, "fields", "at least 1"),
        (
            {"file": TEMPLATES, "key": "EventId", "fields": {"EventTemplate": "x..y"}},
            "fields.EventTemplate",
            "path",
        ),
    ],
)
def test_config_problems_are_values(config: JsonObject, where: str, says: str) -> None:
    problems = lookup(config).failure()
    assert [p.where for p in problems] == [where]
    assert says in problems[0].message
