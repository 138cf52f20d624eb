"""The ``_bulk`` body (an action line and a source line per event, index names from event time) and
the answer read item by item."""

from __future__ import annotations

import json

import orjson

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.infrastructure.sinks.es_bulk import (
    Item,
    bulk_body,
    error_text,
    event_time,
    index_name,
    read_items,
)

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def _event(i: str, fields: JsonObject) -> Event:
    return Event(EventId(i), EventMeta("s", 0.0), fields)


def test_the_body_is_one_create_action_and_one_source_line_per_event() -> None:
    events = [
        _event("E1", {"@timestamp": "2024-03-05T10:00:00Z", "msg": "a"}),
        _event("E2", {"timestamp": 1709683200, "msg": "b"}),  # 2024-03-06T00:00:00Z, seconds
        _event("E3", {"timestamp": 1709769600123, "msg": "c"}),  # 2024-03-07, milliseconds
        _event("E4", {"msg": "no time", "nested": {"x": [1, "é"]}}),
    ]

    body, problems = bulk_body(events, "logs-%Y.%m.%d", NOW)

    lines = body.decode("utf-8").split("\n")
    assert lines[-1] == ""  # the body ends in a newline, as _bulk requires
    pairs = [(json.loads(lines[n]), json.loads(lines[n + 1])) for n in range(0, len(lines) - 1, 2)]
    assert pairs == [
        ({"create": {"_index": "logs-2024.03.05", "_id": "E1"}}, events[0].fields),
        ({"create": {"_index": "logs-2024.03.06", "_id": "E2"}}, events[1].fields),
        ({"create": {"_index": "logs-2024.03.07", "_id": "E3"}}, events[2].fields),
        ({"create": {"_index": "logs-2023.11.14", "_id": "E4"}}, events[3].fields),
    ]
    assert problems == [None] * 4


def test_an_event_json_cannot_hold_is_left_out_with_its_reason() -> None:
    events = [_event("E1", {"n": 1}), _event("E2", {"n": 1 << 70}), _event("E3", {"n": 3})]

    body, problems = bulk_body(events, "i", NOW)

    assert body.count(b"\n") == 4
    assert b'"E2"' not in body
    assert problems[0] is None
    assert problems[2] is None
    assert "not encodable as JSON" in str(problems[1])


def test_event_times_iso_offsets_epochs_and_what_is_no_time() -> None:
    assert event_time({"@timestamp": "2024-03-05T10:00:00+02:00"}) == 1709625600.0
    assert event_time({"@timestamp": "2024-03-05T08:00:00"}) == 1709625600.0  # no offset: UTC
    assert event_time({"@timestamp": "garbage", "timestamp": 1709625600.5}) == 1709625600.5
    assert event_time({"timestamp": 1709625600000}) == 1709625600.0
    assert event_time({"timestamp": True}) is None
    assert event_time({"timestamp": 1e300}) is None
    assert event_time({"timestamp": "0001-01-01T00:00:00+01:00"}) is None
    assert event_time({"time": "2024-03-05T08:00:00Z"}) is None
    assert index_name("app-%Y-%m", {"timestamp": "not a time"}, NOW) == "app-2023-11"
    assert index_name("fixed", {"@timestamp": "2024-03-05T08:00:00Z"}, NOW) == "fixed"


def _answer(*items: tuple[int, dict[str, object] | None]) -> bytes:
    out = []
    for n, (status, error) in enumerate(items):
        item: dict[str, object] = {"_index": "i", "_id": f"E{n}", "status": status}
        if error is not None:
            item["error"] = error
        out.append({"create": item})
    return orjson.dumps({"took": 1, "errors": any(s >= 300 for s, _ in items), "items": out})


def test_each_item_status_has_its_meaning_and_reason() -> None:
    mapper: dict[str, object] = {
        "type": "mapper_parsing_exception",
        "reason": "failed to parse field [n] of type [long]",
        "caused_by": {"type": "illegal_argument_exception", "reason": 'For input string: "x"'},
    }
    answer = _answer(
        (201, None),
        (200, None),
        (409, {"type": "version_conflict_engine_exception", "reason": "[E2]: version conflict"}),
        (429, {"type": "es_rejected_execution_exception", "reason": "rejected execution"}),
        (503, {"type": "unavailable_shards_exception", "reason": "primary shard is not active"}),
        (400, mapper),
        (404, {"type": "index_not_found_exception", "reason": "no such index [i]"}),
    )

    items = read_items(answer, 7)

    assert isinstance(items, list)
    assert [(i.status, i.outcome) for i in items] == [
        (201, "written"),
        (200, "written"),
        (409, "written"),
        (429, "retry"),
        (503, "retry"),
        (400, "rejected"),
        (404, "rejected"),
    ]
    assert items[5] == Item(
        400,
        "rejected",
        "HTTP 400 mapper_parsing_exception: failed to parse field [n] of type [long]"
        ' (caused by illegal_argument_exception: For input string: "x")',
    )
    assert items[3].reason == "HTTP 429 es_rejected_execution_exception: rejected execution"


def test_answers_that_cannot_be_read_say_why() -> None:
    assert read_items(b"<html>", 1) == "the answer is not JSON: <html>"
    assert read_items(_answer((201, None)), 2) == "the answer holds 1 items for 2 documents"
    assert read_items(b'{"items":[{"create":{"_id":"E"}}]}', 1) == (
        'an item of the answer has no status: {"create":{"_id":"E"}}'
    )
    assert read_items(b'{"errors":true}', 1) == "the answer holds no items for 1 documents"


def test_a_whole_request_error_gives_elasticsearch_reason() -> None:
    body = b'{"error":{"type":"security_exception","reason":"missing authentication"},"status":401}'
    assert error_text(body) == "security_exception: missing authentication"
    assert error_text(b"") == ""
