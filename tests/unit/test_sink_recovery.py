"""``plan_recovery``: an exactly-once file sink's file is cut back only when it is provably the file
committed to and the bytes cut were written after the commit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.sink_recovery import (
    TAIL_BYTES,
    CutTo,
    FoundFile,
    LeaveAsIs,
    SinkCommit,
    digest_tail,
    plan_recovery,
)

COMMIT = SinkCommit(device=1, inode=7, length=100, digest=digest_tail(b"x" * 100))


def test_the_committed_file_with_bytes_after_the_commit_is_cut_back() -> None:
    assert plan_recovery(COMMIT, FoundFile(1, 7, 180, COMMIT.digest)) == CutTo(100, 80)
    assert plan_recovery(COMMIT, FoundFile(1, 7, 100, COMMIT.digest)) == CutTo(100, 0)


def test_anything_else_is_left_as_it_is_with_its_reason() -> None:
    assert plan_recovery(None, FoundFile(1, 7, 180, None)) == LeaveAsIs(None)
    cases = {
        "missing": plan_recovery(COMMIT, None),
        "rotated or replaced": plan_recovery(COMMIT, FoundFile(1, 8, 180, None)),
        "another device": plan_recovery(COMMIT, FoundFile(2, 7, 180, None)),
        "fewer than": plan_recovery(COMMIT, FoundFile(1, 7, 99, None)),
        "not the ones written": plan_recovery(COMMIT, FoundFile(1, 7, 180, digest_tail(b"y" * 100))),
    }
    for words, recovery in cases.items():
        assert isinstance(recovery, LeaveAsIs)
        assert recovery.reason is not None
        if words != "another device":
            assert words in recovery.reason


def test_the_digest_covers_the_last_tail_bytes() -> None:
    assert digest_tail(b"a" + b"b" * TAIL_BYTES) == digest_tail(b"b" * TAIL_BYTES)
    assert digest_tail(b"a" + b"b" * (TAIL_BYTES - 1)) != digest_tail(b"b" * TAIL_BYTES)


_commits = st.builds(
    SinkCommit, st.integers(0, 3), st.integers(0, 3), st.integers(0, 500), st.binary(max_size=2)
)
_found = st.none() | st.builds(
    FoundFile, st.integers(0, 3), st.integers(0, 3), st.integers(0, 500), st.none() | st.binary(max_size=2)
)


@given(st.none() | _commits, _found)
def test_a_cut_never_takes_bytes_that_were_not_written_after_the_commit(
    commit: SinkCommit | None, found: FoundFile | None
) -> None:
    recovery = plan_recovery(commit, found)
    if isinstance(recovery, CutTo):
        assert commit is not None
        assert found is not None
        assert (found.device, found.inode) == (commit.device, commit.inode)
        assert found.digest == commit.digest
        assert recovery.length == commit.length <= found.size
        assert recovery.extra == found.size - commit.length
