"""``parse`` with the log-line formats (logfmt, syslog, clf, combined, cef) and ``on_failure``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from returns.result import Failure

from pipeflow.domain.errors import Problem
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.parsers.syslog import parse_syslog
from pipeflow.domain.results import Drop, FunctionFailed, Pass
from pipeflow.infrastructure.functions.parse import Parse
from pipeflow.infrastructure.functions.parse import plugin as parse

LOGHUB = Path(__file__).parent.parent / "fixtures" / "loghub"
COMBINED = (
    '203.0.113.9 - alice [04/Dec/2005:05:47:44 +0100] "POST /api/v1/items?id=7 HTTP/1.1" 201 512 '
    '"https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)"'
)


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


def test_logfmt_merges_at_the_top_level() -> None:
    line = 'level=warn msg="disk almost full" pct=93 alert'
    assert run(build(field="m", format="logfmt"), {"m": line}) == {
        "m": line,
        "level": "warn",
        "msg": "disk almost full",
        "pct": "93",
        "alert": True,
    }


def test_syslog_gives_the_fields_the_syslog_source_makes() -> None:
    fn = build(field="message", format="syslog", target="syslog")
    for line in (LOGHUB / "OpenSSH_200.log").read_text(encoding="utf-8").splitlines():
        assert run(fn, {"message": line}) == {"message": line, "syslog": parse_syslog(line)}
    rfc5424 = '<165>1 2003-10-11T22:14:15.003Z host app 12 ID47 [ex@32473 a="1"] hi'
    out = run(build(field="message", format="syslog"), {"message": rfc5424})
    assert out["structured_data"] == {"ex@32473": {"a": "1"}}
    assert (out["message"], out["level"], out["hostname"]) == ("hi", "notice", "host")


def test_combined_sets_typed_fields() -> None:
    assert run(build(field="line", format="combined", target="http"), {"line": COMBINED})["http"] == {
        "client": "203.0.113.9",
        "ident": "-",
        "user": "alice",
        "timestamp": "2005-12-04T04:47:44.000Z",
        "method": "POST",
        "path": "/api/v1/items?id=7",
        "protocol": "HTTP/1.1",
        "status": 201,
        "bytes": 512,
        "referrer": "https://example.com/",
        "agent": "Mozilla/5.0 (X11; Linux x86_64)",
    }


def test_clf_leaves_out_referrer_and_agent() -> None:
    out = run(build(field="line", format="clf"), {"line": COMBINED})
    assert "agent" not in out
    assert (out["status"], out["bytes"]) == (201, 512)


def test_cef_unescapes() -> None:
    line = r"CEF:0|Acme|Fire\|wall|2.1|4000|Port scan|7|src=10.1.1.1 msg=ports 1\=22 act=blocked"
    out = run(build(field="m", format="cef", target="cef"), {"m": line})["cef"]
    assert out == {
        "cef_version": "0",
        "device_vendor": "Acme",
        "device_product": "Fire|wall",
        "device_version": "2.1",
        "signature_id": "4000",
        "name": "Port scan",
        "severity": "7",
        "src": "10.1.1.1",
        "msg": "ports 1=22",
        "act": "blocked",
    }


@pytest.mark.parametrize(
    ("fmt", "line", "reason"),
    [
        ("logfmt", 'a="open', "parse: logfmt: unterminated quote in the value of a"),
        ("syslog", "hello", "parse: syslog: not syslog: no <PRI> and no timestamp"),
        ("clf", "hello", "parse: clf: not a Common Log Format line"),
        ("combined", "hello", "parse: combined: not a Combined Log Format line"),
        ("cef", "hello", "parse: cef: no CEF: header"),
        ("json", "{", "parse: invalid JSON"),
    ],
)
def test_a_line_that_does_not_parse_fails_passes_or_drops(fmt: str, line: str, reason: str) -> None:
    event = ev({"m": line})
    with pytest.raises(FunctionFailed, match="^" + reason.replace("|", r"\|")):
        build(field="m", format=fmt)(event)
    passed = build(field="m", format=fmt, on_failure="pass")(event)
    assert isinstance(passed, Pass)
    assert passed.event is event
    dropped = build(field="m", format=fmt, on_failure="drop")(event)
    assert isinstance(dropped, Drop)
    assert dropped.reason.startswith(reason)


def test_a_non_string_or_missing_field_passes_unchanged() -> None:
    fn = build(field="m", format="cef")
    cases: list[JsonObject] = [{"m": 3}, {"x": "CEF:0|a|b|c|d|e|f|"}, {"m": None}]
    for fields in cases:
        assert run(fn, fields) == fields


def test_an_unknown_format_or_on_failure_is_a_config_problem() -> None:
    assert parse({"field": "m", "format": "xml"}) == Failure(
        (
            Problem(
                "format",
                "Input should be 'json', 'kv', 'csv', 'logfmt', 'syslog', 'clf', 'combined' or 'cef'",
            ),
        )
    )
    built = parse({"field": "m", "format": "clf", "on_failure": "ignore"})
    assert isinstance(built, Failure)
    assert built.failure()[0].where == "on_failure"
    assert parse({"field": "m", "format": "clf", "columns": ["a"]}) == Failure(
        (Problem("columns", "only the csv format takes columns"),)
    )
