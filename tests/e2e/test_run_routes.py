"""Routes end to end: first match, ``final: false`` copies, several sinks, unmatched and dropped
counts, and failing functions dead-lettered (state database table, or a configured sink)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import dead_letter_rows, read_ndjson, run_in_process, write_config, write_ndjson

ROUTES = """
sources:
  app: {{type: file, path: in.ndjson}}
pipelines:
  parsing:
    functions:
      - {{type: parse, field: payload, format: json}}
  no_debug:
    functions:
      - {{type: drop, filter: 'level == "debug"'}}
sinks:
  audit: {{type: file, path: out/audit.ndjson}}
  errors_a: {{type: file, path: out/errors_a.ndjson}}
  errors_b: {{type: file, path: out/errors_b.ndjson}}
  rest: {{type: file, path: out/rest.ndjson}}
routes:
  - {{name: audit, filter: 'level == "error"', sink: audit, final: false}}
  - {{name: errors, filter: 'level == "error"', pipeline: parsing, sinks: [errors_a, errors_b]}}
  - {{name: rest, filter: 'level in ["info", "debug"]', pipeline: no_debug, sink: rest}}
{dead_letter}
"""

INPUT: list[dict[str, Any]] = [
    {"level": "error", "payload": '{"code": 1}'},
    {"level": "error", "payload": "not json"},
    {"level": "info", "n": 1},
    {"level": "debug", "n": 2},
    {"level": "trace", "n": 3},
]


async def test_routes_copy_fan_out_count_and_dead_letter_into_the_state_database(tmp_path: Path) -> None:
    write_ndjson(tmp_path / "in.ndjson", INPUT)
    config = write_config(tmp_path, ROUTES.format(dead_letter=""))

    outcome = await run_in_process(config)

    out = tmp_path / "out"
    assert read_ndjson(out / "audit.ndjson") == INPUT[:2]  # final: false took a copy, unchanged
    parsed = {"level": "error", "payload": '{"code": 1}', "code": 1}
    assert read_ndjson(out / "errors_a.ndjson") == [parsed]
    assert read_ndjson(out / "errors_b.ndjson") == [parsed]
    assert read_ndjson(out / "rest.ndjson") == [{"level": "info", "n": 1}]
    assert outcome.summary() | {"seconds": 0, "events_per_second": 0} == {
        "events_in": 5,
        "events_out": {"audit": 2, "errors_a": 1, "errors_b": 1, "rest": 1},
        "dropped": 1,
        "unmatched": 1,
        "dead_lettered": 1,
        "retries": 0,
        "seconds": 0,
        "events_per_second": 0,
    }
    assert outcome.failures == []
    [dead] = dead_letter_rows(tmp_path / ".pipeflow")
    assert dead["source"] == "app"
    assert dead["route"] == "errors"
    assert dead["pipeline"] == "parsing"
    assert dead["stage"] == 0
    assert "invalid JSON" in dead["reason"]
    assert dead["event"] == {"level": "error", "payload": "not json"}
    assert set(dead) == {"id", "at", "source", "route", "pipeline", "stage", "reason", "event"}


async def test_dead_letter_section_sends_records_to_a_file_sink(tmp_path: Path) -> None:
    write_ndjson(tmp_path / "in.ndjson", INPUT)
    config = write_config(
        tmp_path, ROUTES.format(dead_letter="dead_letter: {type: file, path: out/dead.ndjson}")
    )

    outcome = await run_in_process(config)

    [dead] = read_ndjson(tmp_path / "out/dead.ndjson")
    assert (dead["route"], dead["pipeline"], dead["stage"]) == ("errors", "parsing", 0)
    assert dead["event"] == {"level": "error", "payload": "not json"}
    assert "invalid JSON" in dead["reason"]
    assert outcome.summary()["dead_lettered"] == 1
    assert dead_letter_rows(tmp_path / ".pipeflow") == []  # not also in the table
