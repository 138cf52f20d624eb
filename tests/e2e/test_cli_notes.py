"""``run`` tells the user when a file source matched nothing (a likely typo), and still exits 0."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import cli, no_traceback, write_config


def test_a_file_source_matching_no_file_gets_a_note(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        """
        sources: {app: {type: file, path: "logz/*.ndjson"}}
        sinks: {out: {type: file, path: out.ndjson}}
        routes: [{name: all, sink: out}]
        """,
    )
    done = cli("run", str(config))
    no_traceback(done.stderr)
    assert done.returncode == 0
    assert f"note: source 'app' matched no file ({tmp_path / 'logz/*.ndjson'})" in done.stderr.decode()


def test_no_note_when_the_glob_matches(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.ndjson").write_text('{"n": 1}\n')
    config = write_config(
        tmp_path,
        """
        sources: {app: {type: file, path: "logs/*.ndjson"}}
        sinks: {out: {type: file, path: out.ndjson}}
        routes: [{name: all, sink: out}]
        """,
    )
    done = cli("run", str(config))
    assert done.returncode == 0
    assert "note:" not in done.stderr.decode()
