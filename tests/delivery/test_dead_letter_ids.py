"""Dead letters made from rejected lines of a file keep one id across restarts (spec section 14): a
line read again (its checkpoint lost, as after a crash) is dead-lettered with the id it had, in one
process and with worker processes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.delivery.helpers import dead_letter_rows, start, write_config

LINES = [b'{"n": 0}', b"not json", b'{"n": 1}', b"[1, 2]", b"not json", b'{"n": 2}', b"{broken"]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_rejected_lines_get_the_same_dead_letter_ids_when_read_again(tmp_path: Path, workers: str) -> None:
    (tmp_path / "in.ndjson").write_bytes(b"\n".join(LINES) + b"\n")
    config = write_config(
        tmp_path,
        """
        state_dir: state
        sources:
          app: {type: file, path: in.ndjson}
        sinks:
          out: {type: file, path: out.ndjson}
        routes:
          - {name: all, sink: out}
        """,
    )
    ids = []
    for _ in range(2):
        proc = start(config, "--workers", workers)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        rows = dead_letter_rows(tmp_path / "state")
        ids.append([(r["id"], r["raw"]) for r in rows if r["stage"] == "decode"])
        with sqlite3.connect(tmp_path / "state" / "state.db") as db:  # forget where the file was read to
            db.execute("DELETE FROM checkpoints WHERE path NOT LIKE 'pipeflow:%'")
            db.execute("DELETE FROM dead_letters")
    first, again = ids
    assert [raw for _, raw in first] == ["not json", "[1, 2]", "not json", "{broken"]
    assert len({i for i, _ in first}) == 4  # one id per line, equal lines included
    assert again == first


@pytest.mark.parametrize(
    ("workers", "source"),
    [
        ("1", "{type: file, path: in.ndjson, max_line_bytes: 1000}"),
        ("2", "{type: file, path: in.ndjson, max_line_bytes: 1000}"),
        ("1", "{type: file, path: in.ndjson, format: lines, max_line_bytes: 1000, multiline: {start: '^.'}}"),
    ],
)
def test_lines_cut_while_splitting_keep_their_dead_letter_id_across_restarts(
    tmp_path: Path, workers: str, source: str
) -> None:
    """A line longer than a read (1 MiB, 2 MiB raw) is cut by the line splitter, not the decoder:
    its dead letter keeps the id of its offset, the same in the second run (state kept, checkpoints
    forgotten) as in the first."""
    long_line = b'{"pad": "' + b"x" * (5 << 20) + b'"}'  # spans reads: the splitter keeps 1000 bytes
    (tmp_path / "in.ndjson").write_bytes(b"\n".join([b'{"n": 0}', long_line, b'{"n": 1}', long_line]) + b"\n")
    config = write_config(
        tmp_path,
        f"""
        state_dir: state
        sources:
          app: {source}
        sinks:
          out: {{type: file, path: out.ndjson}}
        routes:
          - {{name: all, sink: out}}
        """,
    )
    ids = []
    for _ in range(2):
        proc = start(config, "--workers", workers)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        rows = [r for r in dead_letter_rows(tmp_path / "state") if r["stage"] == "decode"]
        ids.append([(r["id"], r["reason"], len(r["raw"])) for r in rows])
        with sqlite3.connect(tmp_path / "state" / "state.db") as db:
            db.execute("DELETE FROM checkpoints WHERE path NOT LIKE 'pipeflow:%'")
            db.execute("DELETE FROM dead_letters")
    first, again = ids
    assert [reason for _, reason, _ in first] == [f"line over max_line_bytes ({len(long_line)} bytes)"] * 2
    assert all(size == 1000 for _, _, size in first)
    assert len({i for i, _, _ in first}) == 2  # two lines, two ids
    assert again == first
