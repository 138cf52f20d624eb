from __future__ import annotations

import pytest

from pipeflow.domain.parsers.statsd import parse_statsd_line, parse_statsd_packet


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("hits:1|c", {"name": "hits", "value": 1, "type": "counter", "tags": {}, "sample_rate": 1.0}),
        (
            "temp:-3.5e1|g",
            {"name": "temp", "value": -35.0, "type": "gauge", "tags": {}, "sample_rate": 1.0, "delta": True},
        ),
        ("queue:12|g", {"name": "queue", "value": 12, "type": "gauge", "tags": {}, "sample_rate": 1.0}),
        (
            "req.time:320|ms|@0.1",
            {"name": "req.time", "value": 320, "type": "timer", "tags": {}, "sample_rate": 0.1},
        ),
        ("size:.5|h", {"name": "size", "value": 0.5, "type": "histogram", "tags": {}, "sample_rate": 1.0}),
        ("users:alice|s", {"name": "users", "value": "alice", "type": "set", "tags": {}, "sample_rate": 1.0}),
        (
            "pay.ms:7|d|#env:prod,region:eu-1,canary|@0.5",
            {
                "name": "pay.ms",
                "value": 7,
                "type": "distribution",
                "tags": {"env": "prod", "region": "eu-1", "canary": None},
                "sample_rate": 0.5,
            },
        ),
        (
            "a:1|c|#k:v:w|#x:y\r",
            {"name": "a", "value": 1, "type": "counter", "tags": {"k": "v:w", "x": "y"}, "sample_rate": 1.0},
        ),
        (
            "big:99999999999999999999|c",
            {"name": "big", "value": 1e20, "type": "counter", "tags": {}, "sample_rate": 1.0},
        ),
    ],
)
def test_valid_lines(line: str, expected: dict[str, object]) -> None:
    assert parse_statsd_line(line) == expected


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("hits", "missing ':' between name and value"),
        (":1|c", "invalid metric name: ''"),
        ("my metric:1|c", "invalid metric name: 'my metric'"),
        ("hits:1", "missing '|type'"),
        ("hits:1|x", "unknown metric type: 'x'"),
        ("hits:abc|c", "invalid value: abc"),
        ("hits:nan|g", "invalid value: nan"),
        ("hits:1e999|g", "invalid value: 1e999"),
        ("hits:1:2|c", "invalid value: 1:2"),
        ("users:|s", "invalid value: "),
        ("hits:1|c|@0", "invalid sample rate: @0"),
        ("hits:1|c|@1.5", "invalid sample rate: @1.5"),
        ("hits:1|c|@0.5|@0.5", "unexpected section: '@0.5'"),
        ("hits:1|c|#:v", "invalid tag: ':v'"),
        ("hits:1|c|T123", "unexpected section: 'T123'"),
    ],
)
def test_invalid_lines_say_why(line: str, reason: str) -> None:
    assert parse_statsd_line(line) == reason


def test_a_packet_splits_on_newlines_and_skips_blank_lines() -> None:
    results = parse_statsd_packet("a:1|c\n\nb:2|g\nbroken\n")
    assert [line for line, _ in results] == ["a:1|c", "b:2|g", "broken"]
    assert [r if isinstance(r, str) else r["name"] for _, r in results] == [
        "a",
        "b",
        "missing ':' between name and value",
    ]
