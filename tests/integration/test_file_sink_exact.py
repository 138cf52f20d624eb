"""The exactly-once ``FileSink`` on real files: cut back to its commit at open, only when the file is
the one committed to; its length after each write; a commit read back from the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeflow.domain.sink_recovery import CutTo, LeaveAsIs, SinkCommit
from pipeflow.infrastructure.sinks.file import FileSink

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _committed_at(path: Path, data: bytes) -> FileSink:
    """A sink that wrote ``data`` and was committed at that length (then closed)."""
    sink = FileSink("out", str(path), exact=True)
    await sink.open()
    await sink.write_encoded(data)
    assert sink.length == sink.opened_length + len(data)
    return sink


async def _reopened(path: Path, commit: SinkCommit | None) -> FileSink:
    """An exactly-once sink opened at ``path`` with ``commit`` and closed again: its recovery is known."""
    sink = FileSink("out", str(path), exact=True, committed=commit)
    await sink.open()
    await sink.close()
    return sink


async def test_a_restart_cuts_what_was_written_after_the_commit(tmp_path: Path) -> None:
    path = tmp_path / "out.ndjson"
    first = await _committed_at(path, b'{"n":1}\n{"n":2}\n')
    commit = first.commit_at(first.length)
    await first.write_encoded(b'{"n":3}\n')  # written after the commit, then the process "dies"
    await first.close()
    assert commit is not None
    again = FileSink("out", str(path), exact=True, committed=commit)
    await again.open()
    assert again.recovery == CutTo(16, 8)
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n'
    await again.write_encoded(b'{"n":3}\n')
    await again.close()
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n{"n":3}\n'


async def test_a_commit_can_be_read_after_close_while_the_file_is_there(tmp_path: Path) -> None:
    path = tmp_path / "out.ndjson"
    sink = await _committed_at(path, b'{"n":1}\n')
    open_commit = sink.commit_at(8)
    await sink.close()
    assert sink.commit_at(8) == open_commit
    path.rename(tmp_path / "rotated.ndjson")
    assert sink.commit_at(8) is None  # another file (or none) at its path: no commit of it


async def test_a_replaced_file_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "out.ndjson"
    sink = await _committed_at(path, b'{"n":1}\n')
    commit = sink.commit_at(8)
    await sink.close()
    path.rename(tmp_path / "old.ndjson")
    path.write_bytes(b'{"someone":"else"}\n{"more":1}\n')
    again = await _reopened(path, commit)
    assert isinstance(again.recovery, LeaveAsIs)
    assert path.read_bytes() == b'{"someone":"else"}\n{"more":1}\n'


async def test_a_file_whose_committed_bytes_changed_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "out.ndjson"
    sink = await _committed_at(path, b'{"n":1}\n{"n":2}\n')
    commit = sink.commit_at(16)
    await sink.close()
    with path.open("r+b") as fh:  # same inode, same size, other bytes: not ours to cut
        fh.write(b'{"n":9}\n{"n":9}\n{"n":9}\n')
    again = await _reopened(path, commit)
    assert isinstance(again.recovery, LeaveAsIs)
    assert path.read_bytes() == b'{"n":9}\n{"n":9}\n{"n":9}\n'


async def test_a_shorter_or_missing_file_is_left_and_a_missing_one_started(tmp_path: Path) -> None:
    path = tmp_path / "out.ndjson"
    sink = await _committed_at(path, b'{"n":1}\n{"n":2}\n')
    commit = sink.commit_at(16)
    await sink.close()
    os.truncate(path, 8)
    shorter = await _reopened(path, commit)
    assert isinstance(shorter.recovery, LeaveAsIs)
    assert path.read_bytes() == b'{"n":1}\n'
    path.unlink()
    missing = FileSink("out", str(path), exact=True, committed=commit)
    await missing.open()
    assert isinstance(missing.recovery, LeaveAsIs)
    assert missing.opened_length == 0
    await missing.close()
    assert path.exists()


async def test_without_exact_a_file_is_never_cut(tmp_path: Path) -> None:
    path = tmp_path / "out.ndjson"
    sink = await _committed_at(path, b'{"n":1}\n{"n":2}\n')
    commit = sink.commit_at(8)
    await sink.close()
    plain = FileSink("out", str(path), committed=commit)
    await plain.open()
    await plain.close()
    assert plain.recovery is None
    assert path.read_bytes() == b'{"n":1}\n{"n":2}\n'
