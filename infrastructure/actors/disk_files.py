"""The files of a disk queue: the system calls it writes with, its segments' names, its read position.

``FileOps`` is the seam the queue changes its files through (``open``, ``write``, ``fsync``); a
test replaces it to make the disk full. Segments are ``NNNNNNNNNN.seg`` (``segment_path``). The
read position lives in ``read.pos`` (``<segment> <offset>``), written atomically by
``save_position`` (a temporary file, fsync, rename).
"""

from __future__ import annotations

import contextlib
import os
from typing import BinaryIO, Final

from pipeflow.domain.record_framing import MAGIC

__all__ = [
    "POSITION_FILE",
    "SEGMENT_SUFFIX",
    "FileOps",
    "forget_position",
    "load_position",
    "next_magic",
    "save_position",
    "segment_path",
    "segments_in",
]

_SCAN = 1 << 20  # bytes read at a time while looking for the next record after damage

POSITION_FILE: Final = "read.pos"
"""The sidecar file holding the saved read position (``<segment> <offset>``)."""

SEGMENT_SUFFIX: Final = ".seg"
"""The file name ending of a segment."""


def segment_path(directory: str, segment: int) -> str:
    """The file of segment number ``segment``.

    >>> segment_path("/q", 7)
    '/q/0000000007.seg'
    """
    return os.path.join(directory, f"{segment:010d}{SEGMENT_SUFFIX}")


def segments_in(directory: str) -> list[int]:
    """The numbers of the segments in ``directory``, in order (other files are not segments)."""
    names = (f[: -len(SEGMENT_SUFFIX)] for f in os.listdir(directory) if f.endswith(SEGMENT_SUFFIX))
    return sorted(int(n) for n in names if n.isdigit())


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


def next_magic(reader: BinaryIO, start: int, limit: int) -> int:
    """Where the next record may start at or after ``start``: the first record magic before
    ``limit``, read a MiB at a time, or ``limit`` when there is none (past damage in a segment).

    >>> import io
    >>> from pipeflow.domain.record_framing import MAGIC
    >>> data = b"junk" + MAGIC + b"rest"
    >>> next_magic(io.BytesIO(data), 1, len(data)), next_magic(io.BytesIO(data), 5, len(data))
    (4, 12)
    """
    while start < limit:
        reader.seek(start)
        chunk = reader.read(min(_SCAN, limit - start))
        found = chunk.find(MAGIC)
        if found >= 0:
            return start + found
        start += max(1, len(chunk) - len(MAGIC) + 1)
    return limit
