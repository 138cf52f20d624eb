"""The I/O of an exactly-once file sink's start: look at its file, cut it back as ``plan_recovery`` says.

Blocking: call these in a worker thread.
"""

from __future__ import annotations

import os

from pipeflow.domain.sink_recovery import (
    TAIL_BYTES,
    CutTo,
    FoundFile,
    Recovery,
    SinkCommit,
    digest_tail,
    plan_recovery,
)

__all__ = ["commit_of", "found_file", "recover"]


def found_file(fd: int, commit: SinkCommit | None) -> FoundFile:
    """What the open file ``fd`` is, with the digest of its bytes before ``commit``'s length when
    it is the committed file and long enough."""
    st = os.fstat(fd)
    digest = None
    if (
        commit is not None
        and (st.st_dev, st.st_ino) == (commit.device, commit.inode)
        and st.st_size >= commit.length
    ):
        digest = _digest_before(fd, commit.length)
    return FoundFile(st.st_dev, st.st_ino, st.st_size, digest)


def recover(fd: int, commit: SinkCommit | None, existed: bool) -> Recovery:
    """Decide what to do with the file open as ``fd`` (``existed``: it was there before we opened
    it) and do it: truncate it to the committed length, or leave it."""
    found = found_file(fd, commit) if existed else None
    recovery = plan_recovery(commit, found)
    if isinstance(recovery, CutTo) and recovery.extra > 0:
        os.ftruncate(fd, recovery.length)
    return recovery


def commit_of(fd: int, length: int) -> SinkCommit:
    """The commit of the file open as ``fd`` at ``length`` (its identity and last bytes' digest)."""
    st = os.fstat(fd)
    return SinkCommit(st.st_dev, st.st_ino, length, _digest_before(fd, length))


def _digest_before(fd: int, length: int) -> bytes:
    start = max(0, length - TAIL_BYTES)
    return digest_tail(os.pread(fd, length - start, start))
