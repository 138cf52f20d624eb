"""``pipeflow run`` as a process: the summary on stderr, ``--summary-file`` JSON, exit codes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.e2e.conftest import cli, no_traceback, read_ndjson

FIXTURES = Path(__file__).parent.parent / "fixtures" / "e2e"

SUMMARY = {
    "events_in": 5,
    "events_out": {"audit": 1, "errors": 1, "errors_copy": 1, "rest": 2},
    "dropped": 1,
    "unmatched": 1,
    "dead_lettered": 0,
}


def _copy_good(tmp_path: Path) -> Path:
    for name in ("good.yaml", "good.ndjson"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path / "good.yaml"


def test_run_prints_the_summary_on_stderr_and_writes_the_summary_file(tmp_path: Path) -> None:
    _copy_good(tmp_path)

    done = cli("run", "good.yaml", "--summary-file", "summary.json", cwd=tmp_path)

    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert [re.sub(r"\s+", " ", line.strip()) for line in lines[:-1]] == [
        "events in 5",
        "-> audit 1",
        "-> errors 1",
        "-> errors_copy 1",
        "-> rest 2",
        "dropped 1",
        "unmatched 1",
        "dead-lettered 0",
    ]
    assert re.fullmatch(r"took \d+\.\d{3} s, [\d,]+ events/s", lines[-1])
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert {k: summary[k] for k in SUMMARY} == SUMMARY
    assert set(summary) == {*SUMMARY, "retries", "seconds", "events_per_second"}
    assert read_ndjson(tmp_path / "out/rest.ndjson") == [
        {"level": "info", "message": "user # logged in", "seen": True},
        {"level": "info", "message": "user # logged out", "seen": True},
    ]


def test_run_quiet_prints_nothing_but_still_writes_the_summary_file(tmp_path: Path) -> None:
    _copy_good(tmp_path)

    done = cli("run", "good.yaml", "--quiet", "--summary-file", "summary.json", cwd=tmp_path)

    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert {k: summary[k] for k in SUMMARY} == SUMMARY


def test_run_with_a_bad_config_or_bad_usage_exits_2(tmp_path: Path) -> None:
    missing = cli("run", "nope.yaml", cwd=tmp_path)
    bad_workers = cli("run", "nope.yaml", "--workers", "0", cwd=tmp_path)

    assert missing.returncode == 2
    assert missing.stderr.decode().splitlines() == [
        "nope.yaml: cannot read config: No such file or directory",
        "nope.yaml: 1 problem(s)",
    ]
    assert bad_workers.returncode == 2
    assert b"Invalid value for '--workers'" in bad_workers.stderr
    for done in (missing, bad_workers):
        no_traceback(done.stderr)
    assert not (tmp_path / ".pipeflow").exists()


def test_a_summary_file_in_a_missing_folder_is_a_usage_error_before_anything_runs(tmp_path: Path) -> None:
    """Regression: the run wrote its sinks, then failed on the summary with an internal error."""
    _copy_good(tmp_path)

    done = cli("run", "good.yaml", "--summary-file", "nope/summary.json", cwd=tmp_path)

    assert done.returncode == 2
    no_traceback(done.stderr)
    assert "--summary-file" in done.stderr.decode()
    assert f"folder '{tmp_path / 'nope'}' does not exist" in done.stderr.decode()
    assert not (tmp_path / "out").exists()  # nothing was read or written
