"""The log-line ``parse`` formats and ``timestamp`` through the CLI: a bad format or zone is a
config problem at its place (exit 2 from ``validate``), and ``run`` reads syslog lines into
events with a normalized time, sending a line that is not syslog to the dead-letter queue."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import cli, no_traceback

PIPELINE = """\
sources: {{in: {{type: stdin, format: lines}}}}
state_dir: {state}
pipelines:
  p:
    functions:
      - {{type: parse, field: message, format: syslog}}
      - {{type: timestamp, field: timestamp, formats: [{formats}], target: '@timestamp', {extra}}}
sinks: {{out: {{type: stdout}}}}
routes: [{{name: r, pipeline: p, sink: out}}]
"""


def _config(tmp_path: Path, formats: str, extra: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(PIPELINE.format(state=tmp_path / "state", formats=formats, extra=extra), encoding="utf-8")
    return path


def test_a_bad_strftime_format_and_an_unknown_zone_are_problems_at_their_place(tmp_path: Path) -> None:
    config = _config(tmp_path, "iso8601, '%b %d %Q'", "timezone: Mars/Olympus")
    line = config.read_text(encoding="utf-8").splitlines()[6]
    at_format, at_zone = line.index("'%b %d %Q'") + 1, line.index("Mars/Olympus") + 1
    done = cli("validate", str(config))
    no_traceback(done.stderr)
    assert done.returncode == 2
    assert done.stderr.decode("utf-8").splitlines() == [
        (
            f"{config}:7:{at_format}: pipelines.p.functions[1].formats[1]: bad strftime format: "
            "'Q' is a bad directive in format '%b %d %Q'"
        ),
        (
            f"{config}:7:{at_zone}: pipelines.p.functions[1].timezone: "
            "unknown time zone 'Mars/Olympus' (an IANA name, e.g. Europe/Paris)"
        ),
        f"{config}: 2 problem(s)",
    ]


def test_syslog_lines_get_a_normalized_time_and_the_rest_is_dead_lettered(tmp_path: Path) -> None:
    config = _config(tmp_path, "'%b %d %H:%M:%S'", "timezone: Europe/Paris, default_year: 2015")
    lines = b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster\nnot syslog\n"
    done = cli("run", str(config), "--quiet", input=lines)
    no_traceback(done.stderr)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(e["hostname"], e["appname"], e["procid"], e["@timestamp"]) for e in out] == [
        ("LabSZ", "sshd", "24200", "2015-12-10T05:55:46.000Z")
    ]
    listed = cli("dlq", "list", "--config", str(config))
    assert b"parse: syslog: not syslog: no <PRI> and no timestamp" in listed.stdout
