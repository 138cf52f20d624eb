"""A runaway grok match in a real ``pipeflow run``, in one process and in forked workers: stopped
after ``timeout_ms``, answered by RE2 when the pattern has an RE2 twin, dead-lettered when not."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import cli, dead_letter_rows, no_traceback, read_ndjson, write_config, write_ndjson

CONFIG = """
state_dir: state
sources: {app: {type: file, path: in.ndjson}}
pipelines:
  parse:
    functions:
      - {type: grok, patterns: ['%s'], timeout_ms: 5}
sinks:
  out: {type: file, path: out.ndjson}
routes:
  - {name: all, filter: 'true', pipeline: parse, sink: out}
"""

RUNAWAY = "a" * 48 + "!"  # 2**47 ways to fail on a backtracking engine


def run(folder: Path, lines: list[str], workers: str) -> subprocess.CompletedProcess[bytes]:
    """``pipeflow run`` over ``lines`` as ``{"message": line}`` events; with 2, in forked workers."""
    write_ndjson(folder / "in.ndjson", [{"message": line} for line in lines])
    done = cli("run", "pipeflow.yaml", "--workers", workers, "--quiet", cwd=folder, timeout=60)
    no_traceback(done.stderr)
    assert b"not used" not in done.stderr  # two workers did run
    return done


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_runaway_match_is_answered_by_re2(tmp_path: Path, workers: str) -> None:
    write_config(tmp_path, CONFIG % r"(?<x>(a+)+b)|(?<y>c)")
    lines = [f"{i}c" for i in range(2000)] + [RUNAWAY + "c"] + [f"{i}ab" for i in range(2000)]
    done = run(tmp_path, lines, workers)
    assert done.returncode == 0, done.stderr
    out = read_ndjson(tmp_path / "out.ndjson")
    assert len(out) == len(lines)
    runaway = next(o for o in out if o["message"].startswith("aaa"))
    assert runaway == {"message": RUNAWAY + "c", "y": "c"}  # what RE2 found, after re was stopped
    assert all(o.get("x") == "ab" for o in out if o["message"].endswith("ab"))


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_runaway_match_without_an_re2_twin_is_dead_lettered(tmp_path: Path, workers: str) -> None:
    write_config(tmp_path, CONFIG % r"(?<w>a)(?P=w)(a+)+$")
    lines = ["aaa"] * 2000 + [RUNAWAY] + ["aaaa"] * 2000
    run(tmp_path, lines, workers)
    out = read_ndjson(tmp_path / "out.ndjson")
    assert len(out) == 4000
    assert all(o["w"] == "a" for o in out)
    (dead,) = dead_letter_rows(tmp_path / "state")
    assert "grok: the match took longer than 5 ms" in str(dead)
    assert RUNAWAY in str(dead)
