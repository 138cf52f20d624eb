from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.results import Pass
from pipeflow.infrastructure.functions.regex_extract import RegexExtract
from pipeflow.infrastructure.functions.regex_extract import plugin as regex_extract

LOGHUB = Path(__file__).parent.parent / "fixtures" / "loghub"
SSH_LINE = (
    r"^(?P<Date>\w{3}) +(?P<Day>\d+) (?P<Time>[\d:]+) (?P<Component>\S+) "
    r"sshd\[(?P<Pid>\d+)\]: (?P<Content>.*?)\s*$"
)


def ev(fields: JsonObject) -> Event:
    return Event(EventId("01J"), EventMeta("t", 0.0), fields)


def build(**config: Any) -> RegexExtract:
    built = regex_extract(config)
    fn = built.value_or(None)
    assert isinstance(fn, RegexExtract), built
    return fn


def run(fn: RegexExtract, fields: JsonObject) -> JsonObject:
    result = fn(ev(fields))
    assert isinstance(result, Pass)
    return result.event.fields


def structured() -> list[dict[str, str]]:
    with (LOGHUB / "OpenSSH_200.log_structured.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_openssh_lines_match_the_loghub_ground_truth() -> None:
    lines = (LOGHUB / "OpenSSH_200.log").read_text(encoding="utf-8").splitlines()
    fn = build(field="message", pattern=SSH_LINE)
    truth = structured()
    assert len(lines) == len(truth) == 200
    for line, row in zip(lines, truth, strict=True):
        out = run(fn, {"message": line})
        expected = {k: row[k] for k in ("Date", "Day", "Time", "Component", "Pid", "Content")}
        assert {k: out[k] for k in expected} == expected


def template_regex(template: str) -> str:
    parts = template.split("<*>")
    return (
        "^"
        + "".join(
            re.escape(p) + (f"(?P<p{i}>.*?)" if i < len(parts) - 1 else "") for i, p in enumerate(parts)
        )
        + "$"
    )


def test_template_parameters_rebuild_each_openssh_message() -> None:
    for row in structured():
        if "<*>" not in row["EventTemplate"]:
            continue
        out = run(build(field="Content", pattern=template_regex(row["EventTemplate"])), dict(row))
        params = [out[f"p{i}"] for i in range(row["EventTemplate"].count("<*>"))]
        rebuilt = row["EventTemplate"]
        for value in params:
            assert isinstance(value, str)
            rebuilt = rebuilt.replace("<*>", value, 1)
        assert rebuilt == row["Content"]


def test_invalid_user_lines_give_user_and_ip() -> None:
    fn = build(
        field="message", pattern=r"^Invalid user (?P<user>.*?) from (?P<ip>[\d.]+)$"
    )  # one user name is " 0101"
    rows = [r for r in structured() if r["EventId"] == "E13"]
    assert len(rows) == 14
    for row in rows:
        out = run(fn, {"message": row["Content"]})
        assert row["Content"] == f"Invalid user {out['user']} from {out['ip']}"


def test_first_match_only_and_unmatched_groups_set_nothing() -> None:
    fn = build(field="m", pattern=r"(?P<num>\d+)|(?P<word>[a-z]+)")
    assert run(fn, {"m": "12 ab 34"}) == {"m": "12 ab 34", "num": "12"}
    assert run(fn, {"m": "ab 12"}) == {"m": "ab 12", "word": "ab"}


def test_no_match_sets_nothing_and_keeps_the_same_event() -> None:
    fn = build(field="m", pattern=r"user=(?P<user>\w+)")
    event = ev({"m": "nothing here"})
    assert fn(event) == Pass(event)


@pytest.mark.parametrize("value", [None, 42, ["user=a"], {"user": "a"}, True])
def test_non_string_or_missing_values_pass_unchanged(value: Any) -> None:
    fn = build(field="m", pattern=r"user=(?P<user>\w+)")
    event = ev({"m": value})
    assert fn(event) == Pass(event)
    assert fn(ev({})) == Pass(ev({}))


def test_nested_field_and_input_untouched() -> None:
    fn = build(field="http.path", pattern=r"/users/(?P<user_id>\d+)")
    event = ev({"http": {"path": "/users/7/edit"}})
    assert run(fn, event.fields) == {"http": {"path": "/users/7/edit"}, "user_id": "7"}
    assert event.fields == {"http": {"path": "/users/7/edit"}}


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ({"field": "m", "pattern": r"(\d+)"}, "pattern"),
        ({"field": "m", "pattern": "("}, "pattern"),
        ({"field": "a..b", "pattern": "(?P<x>.)"}, "field"),
        ({"field": "m"}, "pattern"),
        ({"field": "m", "pattern": "(?P<x>.)", "extra": 1}, "extra"),
    ],
)
def test_config_problems_are_values(config: JsonObject, where: str) -> None:
    problems = regex_extract(config).failure()
    assert [p.where for p in problems] == [where]


@pytest.mark.parametrize("pattern", ["a{4294967296}", "(" * 1000 + ")" * 1000])
@pytest.mark.parametrize("kind", ["regex_extract", "mask"])
def test_a_pattern_re_refuses_without_re_error_is_a_config_problem(kind: str, pattern: str) -> None:
    """Regression: a repeat count past ``re``'s limit (``OverflowError``) or groups nested too deep
    (``RecursionError``) were an internal error, not a problem at the pattern."""
    from pipeflow.infrastructure.functions import mask

    config = {"field": "m", "pattern": pattern} | ({"replacement": "x"} if kind == "mask" else {})
    [problem] = (regex_extract if kind == "regex_extract" else mask.plugin)(config).failure()
    assert problem.where == "pattern"
    assert problem.message.startswith("invalid regex: ")
