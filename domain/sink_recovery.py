"""What to do with an exactly-once file sink's file at start: cut it back to its committed length, or not.

A ``SinkCommit`` is what was saved with the last checkpoint: the file's identity, the length it
had after the last committed batch, and a digest of the bytes just before that length. At start
the file at the sink's path is looked at (``FoundFile``) and ``plan_recovery`` decides. It cuts
only bytes this pipeline wrote after its last commit: the same file (device and inode), at least
as long as the commit, whose bytes before the committed length are still the ones committed.
Anything else (no commit yet, a missing, rotated, replaced or shortened file) is left as it is,
with the reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TypeAlias, final

__all__ = [
    "TAIL_BYTES",
    "CutTo",
    "FoundFile",
    "LeaveAsIs",
    "Recovery",
    "SinkCommit",
    "digest_tail",
    "plan_recovery",
]

TAIL_BYTES = 64
"""How many bytes before a committed length its digest covers."""


def digest_tail(tail: bytes) -> bytes:
    """The digest of the bytes just before a committed length (up to ``TAIL_BYTES`` of them).

    >>> digest_tail(b"x" * 100) == digest_tail(b"x" * TAIL_BYTES)
    True
    """
    return hashlib.blake2b(tail[-TAIL_BYTES:], digest_size=16, person=b"pipeflow-sink").digest()


@final
@dataclass(frozen=True, slots=True)
class SinkCommit:
    """A file sink's file as committed with a checkpoint: identity, length, digest of its last bytes."""

    device: int
    inode: int
    length: int
    digest: bytes


@final
@dataclass(frozen=True, slots=True)
class FoundFile:
    """The file at a sink's path at start; ``digest`` is of its bytes before the committed length
    (``None`` when it is another file or shorter than the commit)."""

    device: int
    inode: int
    size: int
    digest: bytes | None


@final
@dataclass(frozen=True, slots=True)
class CutTo:
    """Truncate the file to ``length``: the ``extra`` bytes after it were written after the commit."""

    length: int
    extra: int


@final
@dataclass(frozen=True, slots=True)
class LeaveAsIs:
    """Do not touch the file; ``reason`` says why (``None``: nothing was committed to it yet)."""

    reason: str | None


Recovery: TypeAlias = CutTo | LeaveAsIs
"""What ``plan_recovery`` decides."""


def plan_recovery(commit: SinkCommit | None, found: FoundFile | None) -> Recovery:
    """Cut the file back to the commit when it is provably the file committed to, else leave it.

    >>> commit = SinkCommit(1, 7, 100, b"d")
    >>> plan_recovery(commit, FoundFile(1, 7, 130, b"d"))
    CutTo(length=100, extra=30)
    >>> plan_recovery(commit, FoundFile(1, 8, 130, None)).reason
    'another file is at its path (rotated or replaced): left as it is'
    """
    if commit is None:
        return LeaveAsIs(None)
    if found is None:
        return LeaveAsIs("the file is missing (deleted or moved away): a new one is started")
    if (found.device, found.inode) != (commit.device, commit.inode):
        return LeaveAsIs("another file is at its path (rotated or replaced): left as it is")
    if found.size < commit.length:
        return LeaveAsIs(
            f"the file has {found.size} bytes, fewer than the {commit.length} committed (cut by"
            " something else, or lost in a power cut with fsync: false): left as it is"
        )
    if found.digest != commit.digest:
        return LeaveAsIs("its bytes before the committed length are not the ones written: left as it is")
    return CutTo(commit.length, found.size - commit.length)
