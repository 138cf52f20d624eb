"""Input that cannot become an event is dead-lettered with its ``raw`` text and a reason, the good
lines around it are all delivered, and the run still exits 0."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import cli, dead_letter_rows, read_ndjson, write_config

CONFIG = """
sources:
  json_in: {type: file, path: in.ndjson, max_line_bytes: 64}
  text_in: {type: file, path: in.log, format: lines}
sinks:
  out: {type: file, path: out.ndjson}
routes:
  - {name: all, sink: out}
"""


def test_bad_lines_are_dead_lettered_and_good_ones_delivered(tmp_path: Path) -> None:
    long_line = json.dumps({"pad": "x" * 100}).encode()
    (tmp_path / "in.ndjson").write_bytes(
        b'{"ok": 1}\n{not json\n{"ok": 2}\n[1, 2, 3]\n"just a string"\n' + long_line + b'\n{"ok": 3}\n'
        b'{"s": "\xff"}\n'  # not UTF-8: said so (orjson says "str is not valid UTF-8")
    )
    (tmp_path / "in.log").write_bytes(b"fine line\nbad \xff\xfe bytes\nanother fine line\n")
    config = write_config(tmp_path, CONFIG)

    done = cli("run", str(config), "--summary-file", str(tmp_path / "summary.json"))

    assert done.returncode == 0, done.stderr.decode()
    assert b"Traceback" not in done.stderr
    out = read_ndjson(tmp_path / "out.ndjson")
    assert [r for r in out if "ok" in r] == [{"ok": 1}, {"ok": 2}, {"ok": 3}]
    assert [r for r in out if "message" in r] == [{"message": "fine line"}, {"message": "another fine line"}]
    dead = dead_letter_rows(tmp_path / ".pipeflow")
    reasons = {d["raw"][:9]: (d["source"], d["reason"]) for d in dead}
    assert len(dead) == 6
    assert all("event" not in d and d["raw"] for d in dead)
    assert reasons["{not json"][1].startswith("invalid JSON")
    assert reasons["[1, 2, 3]"][1] == "not a JSON object: list"
    assert reasons['"just a s'][1] == "not a JSON object: str"
    assert reasons['{"pad": "'] == ("json_in", f"line over max_line_bytes ({len(long_line)} bytes)")
    assert reasons["bad \\xff\\"][0] == "text_in"
    assert reasons["bad \\xff\\"][1].startswith("invalid UTF-8")
    assert reasons['{"s": "\\x'] == ("json_in", "invalid UTF-8: invalid start byte at byte 7")
    assert sorted(d["raw"] for d in dead) == sorted(
        [
            "{not json",
            "[1, 2, 3]",
            '"just a string"',
            long_line[:64].decode(),
            "bad \\xff\\xfe bytes",
            '{"s": "\\xff"}',
        ]
    )
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert summary["events_out"] == {"out": 5}
    assert summary["dead_lettered"] == 6
