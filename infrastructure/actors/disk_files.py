"""The files of a disk queue besides its records: the system calls it writes with, and its read position.

``FileOps`` is the seam the queue changes its files through (``open``, ``write``, ``fsync``); a
test replaces it to make the disk full. The read position lives in ``read.pos`` (``<segment>
<offset>``), written atomically by ``save_position`` (a temporary file, fsync, rename).
"""

from __future__ import annotations

import contextlib
import os
from typing import Final

__all__ = ["POSITION_FILE", "FileOps", "forget_position", "load_position", "save_position"]

POSITION_FILE: Final = "read.pos"
"""The sidecar file holding the saved read position (``<segment> <offset>``)."""


class FileOps:
    """The system calls a ``DiskQueue`` writes its files with (a test overrides them to inject faults)."""

    def open(self, path: str, flags: int, mode: int = 0o644) -> int:
        """``os.open``."""
        return os.open(path, flags, mode)

    def write(self, fd: int, data: memoryview | bytes) -> int:
        """``os.write``: how many bytes went out (may be fewer than asked)."""
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        """``os.fsync``."""
        os.fsync(fd)


def save_position(files: FileOps, directory: str, position: tuple[int, int]) -> None:
    """Write ``position`` to ``directory/read.pos`` durably: a temporary file, fsync, rename.

    :raises OSError: it could not be written (the position saved before stays as it was).
    """
    path = os.path.join(directory, POSITION_FILE)
    temp = path + ".tmp"
    fd = files.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(b"%d %d\n" % position)
        while view:
            view = view[files.write(fd, view) :]
        files.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)


def load_position(directory: str) -> tuple[int, int] | None:
    """The ``(segment, offset)`` saved in ``directory`` (``None``: there is none, or it is unreadable)."""
    try:
        with open(os.path.join(directory, POSITION_FILE), "rb") as fh:
            fields = fh.read(64).split()
    except FileNotFoundError:
        return None
    if len(fields) != 2 or not all(f.isdigit() for f in fields):
        return None
    return int(fields[0]), int(fields[1])


def forget_position(directory: str) -> None:
    """Remove the saved position: a restart reads the segments left from their start."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(directory, POSITION_FILE))
