"""Multiline sources through the CLI: ``validate`` places each mistake (exit 2), ``run`` groups the
stack traces of a file and of standard input into one event each."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.e2e.conftest import cli, no_traceback
from tests.integration.test_file_source_multiline import RECORDS, TEXT

SINKS = """
sinks:
  out: {type: file, path: out.ndjson}
routes:
  - {name: all, sink: out}
"""


def _write(folder: Path, sources: str) -> Path:
    path = folder / "pipeflow.yaml"
    path.write_text(textwrap.dedent(sources).lstrip() + SINKS, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("multiline", "where", "message"),
    [
        (
            "{start: '('}",
            "sources.app.multiline.start",
            "not a valid regex: missing ), unterminated subpattern at position 0",
        ),
        (
            "{start: '^a', continuation: '^b'}",
            "sources.app.multiline",
            "exactly one of 'start' or 'continuation'",
        ),
        ("{max_lines: 3}", "sources.app.multiline", "exactly one of 'start' or 'continuation'"),
        ("{start: '^a', max_lines: 0}", "sources.app.multiline.max_lines", "greater than or equal to 1"),
    ],
)
def test_validate_places_a_bad_multiline(tmp_path: Path, multiline: str, where: str, message: str) -> None:
    _write(
        tmp_path, f"sources:\n  app: {{type: file, path: in.log, format: lines, multiline: {multiline}}}\n"
    )
    done = cli("validate", "pipeflow.yaml", cwd=tmp_path)
    no_traceback(done.stderr)
    assert done.returncode == 2
    err = done.stderr.decode()
    assert err.startswith("pipeflow.yaml:2:")
    assert f": {where}: " in err
    assert message in err


@pytest.mark.parametrize("kind", ["{type: file, path: in.log}", "{type: stdin, format: ndjson}"])
def test_multiline_needs_format_lines(tmp_path: Path, kind: str) -> None:
    _write(tmp_path, f"sources:\n  app: {{multiline: {{start: '^a'}}, {kind[1:]}\n")
    done = cli("validate", "pipeflow.yaml", cwd=tmp_path)
    no_traceback(done.stderr)
    assert done.returncode == 2
    assert "sources.app: " in done.stderr.decode()
    assert "multiline needs format: lines" in done.stderr.decode()


def _messages(path: Path) -> list[str]:
    return [json.loads(line)["message"] for line in path.read_text().splitlines()]


def test_run_groups_a_file_of_stack_traces(tmp_path: Path) -> None:
    (tmp_path / "in.log").write_text(TEXT)
    _write(
        tmp_path,
        r"""
        sources:
          app: {type: file, path: in.log, format: lines, multiline: {start: '^\d{4}-'}}
        """,
    )
    done = cli("run", "pipeflow.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert _messages(tmp_path / "out.ndjson") == RECORDS


def test_run_groups_stack_traces_from_stdin(tmp_path: Path) -> None:
    _write(
        tmp_path,
        r"""
        sources:
          app: {type: stdin, format: lines, multiline: {continuation: '^(\s|Caused by:)', max_lines: 3}}
        """,
    )
    done = cli("run", "pipeflow.yaml", input=TEXT.encode(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    got = _messages(tmp_path / "out.ndjson")
    assert "\n".join(got) == "\n".join(RECORDS)
    assert max(m.count("\n") for m in got) == 2
    assert got[1] == "\n".join(RECORDS[0].split("\n")[1:4])  # the exception line begins an event


@pytest.mark.parametrize("input_kind", ["file", "stdin"])
def test_an_over_long_line_is_dead_lettered_with_multiline_as_without(
    tmp_path: Path, input_kind: str
) -> None:
    """Regression: with ``multiline`` a line over ``max_line_bytes`` joined an event instead."""
    (tmp_path / "in.log").write_text("START short\n" + "x" * 50 + "\nSTART next\n", encoding="utf-8")
    source = "{type: file, path: in.log" if input_kind == "file" else "{type: stdin"
    _write(
        tmp_path,
        f"sources:\n  app: {source}, format: lines, max_line_bytes: 20, multiline: {{start: '^START'}}}}\n",
    )
    stdin = (tmp_path / "in.log").read_bytes() if input_kind == "stdin" else None
    done = cli("run", "pipeflow.yaml", "--summary-file", "s.json", cwd=tmp_path, input=stdin)
    assert done.returncode == 0, done.stderr.decode()
    lines = (tmp_path / "out.ndjson").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["START short", "START next"]
    assert json.loads((tmp_path / "s.json").read_text())["dead_lettered"] == 1
