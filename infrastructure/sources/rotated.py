"""Finding a file that was rotated away while pipeflow was not running.

A file source's checkpoint names a path and the inode it held. If the path holds another inode at
a restart, the file was rotated meanwhile (``app.log`` renamed ``app.log.1``, a new ``app.log``
made): the lines after the checkpoint are in the old inode, which logrotate and its kind leave
in the same folder under another name. ``find_rotated`` looks for it there, so its rest is read
before the new file, not lost.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import anyio.to_thread

from pipeflow.domain.ports import Clock
from pipeflow.infrastructure.sources.tail import FileTail, open_file

__all__ = ["find_rotated", "open_rotated"]


async def open_rotated(
    path: str, inode: int, offset: int, tails: Mapping[str, FileTail], max_line_bytes: int, clock: Clock
) -> FileTail | None:
    """A tail on ``path``'s old inode at ``offset``, when it is found in the folder and none of
    ``tails`` (the files already open, by path) reads it yet."""
    found = await anyio.to_thread.run_sync(find_rotated, path, inode, offset)
    opened = await open_file(found) if found is not None and found not in tails else None
    if found is None or opened is None:
        return None
    handle, at_inode, _ = opened
    if at_inode != inode or any(t.inode == inode for t in tails.values()):
        handle.close()
        return None
    return FileTail(found, handle, inode, offset, max_line_bytes, clock)


def find_rotated(path: str, inode: int, offset: int) -> str | None:
    """The file in ``path``'s folder (on its device) that is inode ``inode`` and holds more than
    ``offset`` bytes, or ``None`` (blocking: call it in a worker thread).

    >>> import tempfile, pathlib
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "app.log"
    >>> _ = log.write_bytes(b"old\\n")
    >>> old = log.stat().st_ino
    >>> _ = log.rename(log.with_name("app.log.1")), log.write_bytes(b"")
    >>> os.path.basename(find_rotated(str(log), old, 2) or ""), find_rotated(str(log), old, 4)
    ('app.log.1', None)
    """
    folder = os.path.dirname(os.path.abspath(path))
    try:
        device = os.stat(folder).st_dev
        entries = list(os.scandir(folder))
    except OSError:
        return None
    for entry in entries:
        try:
            if entry.inode() != inode or not entry.is_file(follow_symlinks=False):
                continue
            found = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if found.st_dev == device and found.st_size > offset:
            return entry.path
    return None
