"""An event JSON cannot hold (``parse`` lets a lone surrogate through; a plugin may store anything)
is dead-lettered alone: the rest of its delivery is written, and the dead letter is stored in the
state database or a configured dead-letter sink, so the run ends with every event accounted for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import dead_letter_rows, read_ndjson, run_in_process, write_config

CONFIG = """
sources:
  app: {{type: file, path: in.ndjson}}
pipelines:
  p:
    functions:
      - {{type: parse, field: message, format: json}}
sinks:
  out: {{type: file, path: out/out.ndjson, retry: {{attempts: 3, backoff_ms: 1}}}}
routes:
  - {{name: all, filter: 'true', pipeline: p, sink: out}}
{dead_letter}
"""

# The middle line's message is JSON text holding "\ud800": parsed, the field is a lone surrogate.
LINES = b'{"message":"{\\"a\\":1}"}\n{"message":"{\\"s\\":\\"\\\\ud800\\"}"}\n{"message":"{\\"b\\":2}"}\n'


@pytest.mark.parametrize("dead_letter", ["", "dead_letter: {type: file, path: out/dead.ndjson}"])
async def test_an_event_json_cannot_hold_is_dead_lettered_and_the_others_written(
    tmp_path: Path, dead_letter: str
) -> None:
    (tmp_path / "in.ndjson").write_bytes(LINES)
    config = write_config(tmp_path, CONFIG.format(dead_letter=dead_letter))

    outcome = await run_in_process(config)

    assert read_ndjson(tmp_path / "out/out.ndjson") == [
        {"message": '{"a":1}', "a": 1},
        {"message": '{"b":2}', "b": 2},
    ]
    summary = outcome.summary()
    assert (summary["events_out"], summary["dead_lettered"], summary["retries"]) == ({"out": 2}, 1, 0)
    assert outcome.failures == []
    [dead] = (
        dead_letter_rows(tmp_path / ".pipeflow")
        if not dead_letter
        else read_ndjson(tmp_path / "out/dead.ndjson")
    )
    assert dead["stage"] == "sink:out"
    assert "not encodable as JSON" in dead["reason"]
    assert dead["event"] == {"message": '{"s":"\\ud800"}', "s": "\\ud800"}  # the surrogate as its escape
